// A BridgeApi over in-memory state, for the few renderer tests whose state real parts cannot
// reach in jsdom (a reconnect countdown on a frozen clock, a reply with no push, crafted stats)
// and the screenshot pass: built from REQUEST_CHANNELS/methodName as the preload builds its
// API, it records every call and answers app.snapshot, app.info and logs.query from its state.
// It has no rules of main's: every other request fails until a test scripts its answer with
// respond(), from MAIN_REPLIES where main's answer matters (test/integration/
// services-fake-bridge.test.ts holds those, and these snapshots' shape, to main). Pushes go
// out with one app-wide seq, as main's do. Runs in Node and in a browser page (no node:*).
import {
  EVENT_CHANNELS,
  methodName,
  REQUEST_CHANNELS,
  type AppInfo,
  type AppSettings,
  type AppSnapshot,
  type BridgeApi,
  type EventChannel,
  type Events,
  type ReplyOf,
  type RequestChannel,
  type RequestOf,
  type Result,
  type StatsUpdate,
  type TunnelTotals,
} from '../../src-main/shared/ipc-contract';
import type { LogRecord, TunnelConfig, TunnelSnapshot } from '../../src-main/shared/model';
import { emptyEngineSnapshot, idleTunnelSnapshot } from '../../src-main/shared/tunnel-snapshot';
import { errorInfo, fail, ok } from '../../src-main/services/errors';

export interface RecordedCall {
  readonly channel: RequestChannel;
  readonly request: unknown;
}

type Handler<C extends RequestChannel> = (
  request: RequestOf<C>,
) => Result<ReplyOf<C>> | Promise<Result<ReplyOf<C>>>;
type Handlers = { [C in RequestChannel]?: Handler<C> };

export interface FakeBridge {
  readonly api: BridgeApi;
  readonly calls: RecordedCall[];
  /** Calls made on one channel, in order. */
  callsTo<C extends RequestChannel>(channel: C): RequestOf<C>[];
  current(): AppSnapshot;
  /** Replaces the state and pushes app.changed with the next seq, as main does. */
  update(change: (snapshot: AppSnapshot) => AppSnapshot): AppSnapshot;
  emit<E extends EventChannel>(event: E, payload: Events[E]): void;
  /** A live batch of new records. */
  pushLogs(records: readonly LogRecord[]): void;
  /** The batch main sends on show: what was logged while hidden, and how many did not fit. */
  catchUpLogs(records: readonly LogRecord[], omitted: number): void;
  /** Overrides one channel's answer (e.g. to return a failed Result with fields). */
  respond<C extends RequestChannel>(channel: C, handler: Handler<C>): void;
  listenerCount(event: EventChannel): number;
}

export interface FakeBridgeOptions {
  readonly snapshot?: AppSnapshot;
  readonly info?: AppInfo;
  readonly logs?: readonly LogRecord[];
  /** Clock for timestamps; defaults to Date.now. */
  readonly now?: () => number;
}

const iso = (ms: number) => new Date(ms).toISOString();

export { errorInfo };

export function tunnelSnapshot(
  config: TunnelConfig,
  extra: Partial<TunnelSnapshot> = {},
): TunnelSnapshot {
  return { ...idleTunnelSnapshot(config), ...extra };
}

export const SAMPLE_INFO: AppInfo = {
  version: '0.1.0',
  commit: '7023d71',
  electron: '45.4.1',
  chrome: '156.0.0.0',
  node: '24.11.0',
  platform: 'linux',
  hostName: 'desk-42',
};

/** Main's defaults (src-main/services/settings-file.ts), held to them by services-fake-bridge. */
export const DEFAULT_SETTINGS: AppSettings = {
  relay: null,
  tunnels: [],
  autoConnect: true,
  launchAtLogin: false,
  notifications: { connectionLost: true, connectionRestored: true, tokenExpiry: true },
  language: 'system',
};

/** A first run: no relay, no token, no tunnels. */
export function firstRunSnapshot(now: number): AppSnapshot {
  return {
    seq: 1,
    engine: emptyEngineSnapshot(DEFAULT_SETTINGS, 1, iso(now)),
    account: {
      signedIn: false,
      subject: null,
      tenant: null,
      expiresAt: null,
      expiresSoon: false,
      keychainError: null,
    },
    settings: DEFAULT_SETTINGS,
    totals: {},
    notices: [{ kind: 'first_run', at: iso(now) }],
    logDirectory: '/home/user/.config/CloudBridge/logs',
    invite: { pending: null, problem: null },
  };
}

const SAMPLE_TUNNELS: readonly TunnelConfig[] = [
  {
    id: 't-rdp',
    name: 'Office desktop',
    kind: 'rdp',
    localHost: '127.0.0.1',
    localPort: 13389,
    remoteHost: 'desk-42.corp.example',
    remotePort: 3389,
    enabled: true,
  },
  {
    id: 't-ssh',
    name: 'Build server',
    kind: 'ssh',
    localHost: '127.0.0.1',
    localPort: 2222,
    remoteHost: '10.0.4.17',
    remotePort: 22,
    enabled: false,
  },
  {
    id: 't-web',
    name: 'Intranet',
    kind: 'other',
    localHost: '127.0.0.1',
    localPort: 8080,
    remoteHost: 'intranet.corp.example',
    remotePort: 80,
    enabled: true,
  },
];

/** Signed in, Active, three tunnels: one carrying traffic, one off, one whose port is taken. */
export function activeSnapshot(now: number): AppSnapshot {
  const base = firstRunSnapshot(now);
  const hour = 3_600_000;
  const totals: Record<string, TunnelTotals> = {
    't-rdp': {
      todayIn: 48_234_112,
      todayOut: 3_201_554,
      allTimeIn: 9_823_441_201,
      allTimeOut: 612_300_114,
    },
    't-ssh': { todayIn: 0, todayOut: 0, allTimeIn: 52_113_000, allTimeOut: 4_020_110 },
  };
  return {
    ...base,
    seq: 10,
    engine: {
      ...base.engine,
      state: 'active',
      session: {
        ...base.engine.session,
        relay: 'relay.corp.example:443',
        clientId: 'c-5f2a91',
        tenantId: 'acme',
        connectedSince: iso(now - 2 * hour - 14 * 60_000),
        relayVersion: '2.0',
        relayFeatures: ['tcp_stream'],
      },
      tunnels: [
        tunnelSnapshot(SAMPLE_TUNNELS[0]!, {
          status: 'listening',
          dataMode: 'stream',
          bytesIn: 48_234_112,
          bytesOut: 3_201_554,
          rateInBps: 1_245_000,
          rateOutBps: 82_300,
          openConnections: 2,
          totalConnections: 7,
        }),
        tunnelSnapshot(SAMPLE_TUNNELS[1]!),
        tunnelSnapshot(SAMPLE_TUNNELS[2]!, {
          status: 'error',
          dataMode: 'stream',
          error: {
            ...errorInfo(
              'port_in_use',
              'Local port 8080 is in use',
              now - 60_000,
              'EADDRINUSE: listen EADDRINUSE: address already in use 127.0.0.1:8080',
            ),
            detailKey: 'errorDetail.portHeldBy',
            params: { port: 8080, command: 'nginx', pid: 1234 },
          },
        }),
      ],
      // Main says null while this computer is not shared (services/share-session.ts).
      publish: null,
      seq: 10,
    },
    account: {
      signedIn: true,
      subject: 'ivan.petrov@acme.example',
      tenant: 'acme',
      expiresAt: iso(now + 30 * 24 * hour),
      expiresSoon: false,
      keychainError: null,
    },
    settings: {
      ...DEFAULT_SETTINGS,
      relay: {
        id: 'default',
        name: 'Corporate relay',
        host: 'relay.corp.example',
        port: 443,
        caFile: null,
        pinSha256: null,
        serverName: null,
        insecure: false,
        opener: 'auto',
        builtin: false,
      },
      tunnels: SAMPLE_TUNNELS,
      autoConnect: true,
    },
    totals,
    notices: [],
  };
}

/** The same session, lost: attempt 3 of 10, next try `inMs` from now. */
export function reconnectingSnapshot(now: number, attempt = 3, inMs = 4_000): AppSnapshot {
  const active = activeSnapshot(now);
  return {
    ...active,
    seq: active.seq + 1,
    engine: {
      ...active.engine,
      state: 'reconnecting',
      session: {
        ...active.engine.session,
        reconnectAttempt: attempt,
        nextRetryAt: iso(now + inMs),
      },
      tunnels: active.engine.tunnels.map((t): TunnelSnapshot =>
        t.enabled ? { ...t, status: 'pending', rateInBps: 0, rateOutBps: 0 } : t,
      ),
      lastError: errorInfo(
        'connection_lost',
        'Connection reset by peer',
        now - 3_000,
        'ECONNRESET',
      ),
      seq: active.engine.seq + 1,
    },
  };
}

/** A day of main's own records (real events and details), the newest a minute ago. */
export function sampleLogs(now: number): LogRecord[] {
  const at = (ago: number) => iso(now - ago);
  const minute = 60_000;
  const records: Omit<LogRecord, 'seq'>[] = [
    {
      timestamp: at(26 * 60 * minute),
      level: 'info',
      event: 'app_started',
      tunnel_id: null,
      details: { version: '0.1.0', platform: 'linux' },
    },
    {
      timestamp: at(15 * minute),
      level: 'warn',
      event: 'connection_lost',
      tunnel_id: null,
      details: { code: 'heartbeat_timeout', reason: 'no answer to 2 heartbeats' },
    },
    {
      timestamp: at(15 * minute - 10),
      level: 'info',
      event: 'reconnect_scheduled',
      tunnel_id: null,
      details: { attempt: 1, delay_ms: 900 },
    },
    {
      timestamp: at(14 * minute),
      level: 'info',
      event: 'authenticated',
      tunnel_id: null,
      details: { client_id: 'c-5f2a91', tenant_id: 'acme', relay_version: '2.0' },
    },
    {
      timestamp: at(14 * minute - 200),
      level: 'info',
      event: 'tunnel_listening',
      tunnel_id: 't-rdp',
      details: { address: '127.0.0.1:13389' },
    },
    {
      timestamp: at(14 * minute - 300),
      level: 'error',
      event: 'tunnel_error',
      tunnel_id: 't-web',
      details: {
        code: 'port_in_use',
        reason: 'Local port 8080 is in use',
        detail: 'listen EADDRINUSE: address already in use 127.0.0.1:8080',
      },
    },
    {
      timestamp: at(minute),
      level: 'debug',
      event: 'mux_connected',
      tunnel_id: null,
      details: { connections: 1 },
    },
  ];
  // Main numbers every record it logs (services/logger.ts).
  return records.map((record, i) => ({ ...record, seq: i + 1 }));
}

const EPOCH = '2026-01-01T00:00:00.000Z';

/**
 * Main's answers the fake-based tests script, each the reply main gives to the request named
 * beside it in test/integration/services-fake-bridge.test.ts (`at` aside).
 */
export const MAIN_REPLIES = {
  /** Any request whose reply is void, answered. */
  done: ok<undefined>(undefined),
  /** settings.update with a relay whose host and port break the shared rules. */
  invalidRelay: fail<AppSettings>(
    errorInfo(
      'invalid_tunnel_info',
      'Check the highlighted fields.',
      Date.parse(EPOCH),
      'host, port',
    ),
    { host: { key: 'validation.host' }, port: { key: 'validation.port' } },
  ),
  /** tunnel.save with a remote host that breaks the shared rules. */
  invalidRemoteHost: fail<TunnelConfig>(
    errorInfo(
      'invalid_tunnel_info',
      'Check the highlighted fields.',
      Date.parse(EPOCH),
      'remoteHost',
    ),
    { remoteHost: { key: 'validation.host' } },
  ),
} as const;

/** A stats.changed push as main sends it: counters for the tunnels that moved. */
export function statsUpdate(
  seq: number,
  tunnels: readonly {
    id: string;
    bytesIn: number;
    bytesOut?: number;
    openConnections?: number;
    totalConnections?: number;
    failedConnections?: number;
    rateInBps?: number;
    rateOutBps?: number;
  }[],
  now = Date.now(),
  totals: Readonly<Record<string, TunnelTotals>> = {},
): StatsUpdate {
  return {
    seq,
    at: iso(now),
    totals,
    tunnels: tunnels.map((t) => ({
      id: t.id,
      bytesIn: t.bytesIn,
      bytesOut: t.bytesOut ?? 0,
      rateInBps: t.rateInBps ?? 0,
      rateOutBps: t.rateOutBps ?? 0,
      openConnections: t.openConnections ?? 0,
      totalConnections: t.totalConnections ?? 0,
      failedConnections: t.failedConnections ?? 0,
    })),
  };
}

export function createFakeBridge(options: FakeBridgeOptions = {}): FakeBridge {
  const now = options.now ?? (() => Date.now());
  let snapshot = options.snapshot ?? firstRunSnapshot(now());
  let logs: LogRecord[] = [...(options.logs ?? [])];
  const info = options.info ?? SAMPLE_INFO;
  const calls: RecordedCall[] = [];
  const listeners = new Map<EventChannel, Set<(payload: never) => void>>(
    EVENT_CHANNELS.map((e) => [e, new Set()]),
  );

  const emit = <E extends EventChannel>(event: E, payload: Events[E]) => {
    for (const listener of [...(listeners.get(event) ?? [])])
      (listener as (p: Events[E]) => void)(payload);
  };
  const update = (change: (s: AppSnapshot) => AppSnapshot) => {
    const next = change(snapshot);
    snapshot = { ...next, seq: snapshot.seq + 1, engine: { ...next.engine, at: iso(now()) } };
    emit('cloudbridge:app.changed', snapshot);
    return snapshot;
  };

  const handlers: Handlers = {
    'cloudbridge:app.snapshot': () => ok(snapshot),
    'cloudbridge:app.info': () => ok(info),
    'cloudbridge:logs.query': (query) => ok(logs.slice(-query.limit)),
  };
  const unscripted = (channel: RequestChannel) =>
    fail(
      errorInfo(
        'internal_error',
        `The fake bridge has no answer for ${channel}: script one with respond().`,
        now(),
      ),
    );

  const api: Record<string, unknown> = {};
  for (const channel of REQUEST_CHANNELS) {
    api[methodName(channel)] = async (request: unknown) => {
      calls.push({ channel, request });
      const handler = handlers[channel] as
        ((r: unknown) => Result<unknown> | Promise<Result<unknown>>) | undefined;
      // A structured clone, like IPC: the page never shares objects with main.
      return structuredClone(handler ? await handler(request) : unscripted(channel));
    };
  }
  api['on'] = (event: EventChannel, listener: (payload: never) => void) => {
    const set = listeners.get(event);
    set?.add(listener);
    return () => {
      set?.delete(listener);
    };
  };

  return {
    api: api as BridgeApi,
    calls,
    callsTo: <C extends RequestChannel>(channel: C) =>
      calls.filter((c) => c.channel === channel).map((c) => c.request as RequestOf<C>),
    current: () => snapshot,
    update,
    emit,
    pushLogs: (records) => {
      logs = [...logs, ...records];
      emit('cloudbridge:logs.appended', { records, omitted: 0, catchUp: false });
    },
    catchUpLogs: (records, omitted) => {
      logs = [...logs, ...records];
      emit('cloudbridge:logs.appended', { records, omitted, catchUp: true });
    },
    respond: (channel, handler) => {
      (handlers as Record<RequestChannel, unknown>)[channel] = handler;
    },
    listenerCount: (event) => listeners.get(event)?.size ?? 0,
  };
}

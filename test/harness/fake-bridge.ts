// A BridgeApi over in-memory state, for component tests and the screenshot pass: built from
// REQUEST_CHANNELS/methodName exactly as the preload builds its API, it records every call,
// answers with Results, and pushes app.changed / stats.changed / logs.appended like main does:
// one app-wide seq on every push (engine seqs are left as given), state pushed before the
// reply, field problems as message keys from the same shared rules main applies, and the
// codes main answers with. Runs in Node and in a browser page (no node:*, no DOM).
import {
  EVENT_CHANNELS,
  methodName,
  REQUEST_CHANNELS,
  type AccountInfo,
  type AppInfo,
  type AppSettings,
  type AppSnapshot,
  type BridgeApi,
  type EventChannel,
  type Events,
  type FieldProblem,
  type ReplyOf,
  type RequestChannel,
  type RequestOf,
  type Result,
  type TunnelTotals,
} from '../../src-main/shared/ipc-contract';
import type { LogRecord, TunnelConfig, TunnelSnapshot } from '../../src-main/shared/model';
import { emptyEngineSnapshot, idleTunnelSnapshot } from '../../src-main/shared/tunnel-snapshot';
import { validateRelayProfile, validateTunnelDraft } from '../../src-main/shared/tunnel-validation';
import { errorInfo, fail, ok } from '../../src-main/services/errors';

export interface RecordedCall {
  readonly channel: RequestChannel;
  readonly request: unknown;
}

type Handler<C extends RequestChannel> = (
  request: RequestOf<C>,
) => Result<ReplyOf<C>> | Promise<Result<ReplyOf<C>>>;
type Handlers = { [C in RequestChannel]: Handler<C> };

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
};

export const DEFAULT_SETTINGS: AppSettings = {
  relay: null,
  tunnels: [],
  autoConnect: false,
  launchAtLogin: false,
  notifications: { connectionLost: true, connectionRestored: true, tokenExpiry: true },
  language: 'en',
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
    notices: [{ kind: 'first_run', message: 'No relay configured', at: iso(now) }],
    logDirectory: '/home/user/.config/CloudBridge/logs',
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
          error: errorInfo(
            'port_in_use',
            'Local port 8080 is in use',
            now - 60_000,
            '127.0.0.1:8080 is held by nginx (pid 1234)',
          ),
        }),
      ],
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

export function sampleLogs(now: number): LogRecord[] {
  const at = (ago: number) => iso(now - ago);
  return [
    {
      timestamp: at(900_000),
      level: 'info',
      event: 'session.connecting',
      tunnel_id: null,
      details: { relay: 'relay.corp.example:443' },
    },
    {
      timestamp: at(899_000),
      level: 'debug',
      event: 'tls.handshake',
      tunnel_id: null,
      details: { protocol: 'TLSv1.3' },
    },
    {
      timestamp: at(898_000),
      level: 'info',
      event: 'session.authenticated',
      tunnel_id: null,
      details: { client_id: 'c-5f2a91', tenant_id: 'acme' },
    },
    {
      timestamp: at(897_000),
      level: 'info',
      event: 'tunnel.registered',
      tunnel_id: 't-rdp',
      details: { local_port: 13389 },
    },
    {
      timestamp: at(896_000),
      level: 'error',
      event: 'tunnel.listen_failed',
      tunnel_id: 't-web',
      details: { code: 'port_in_use', port: 8080 },
    },
    {
      timestamp: at(120_000),
      level: 'info',
      event: 'stream.opened',
      tunnel_id: 't-rdp',
      details: { remote: 'desk-42.corp.example:3389' },
    },
    {
      timestamp: at(60_000),
      level: 'warn',
      event: 'session.heartbeat_late',
      tunnel_id: null,
      details: { waited_ms: 10_000 },
    },
  ];
}

/** Decodes a JWT's claims without verifying, like the token store does for display. */
function decodeClaims(token: string): Record<string, unknown> | null {
  const part = token.split('.')[1];
  if (token.split('.').length !== 3 || !part) return null;
  try {
    const json = atob(
      part
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(part.length / 4) * 4, '='),
    );
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
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
  let nextTunnel = 1;

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
  const invalidFields = (fields: Readonly<Record<string, FieldProblem | undefined>>) => {
    const present = Object.entries(fields).filter(
      (entry): entry is [string, FieldProblem] => entry[1] !== undefined,
    );
    if (present.length === 0) return null;
    const keys = present.map(([k]) => k).join(', ');
    return fail<never>(
      errorInfo('invalid_tunnel_info', 'Check the highlighted fields.', now(), keys),
      Object.fromEntries(present),
    );
  };
  const setTunnels = (tunnels: readonly TunnelSnapshot[]) =>
    update((s) => ({
      ...s,
      engine: { ...s.engine, tunnels },
      settings: {
        ...s.settings,
        tunnels: tunnels.map(
          ({ id, name, kind, localHost, localPort, remoteHost, remotePort, enabled }) => ({
            id,
            name,
            kind,
            localHost,
            localPort,
            remoteHost,
            remotePort,
            enabled,
          }),
        ),
      },
    }));
  const liveStatus = (enabled: boolean): TunnelSnapshot['status'] =>
    !enabled ? 'off' : snapshot.engine.state === 'active' ? 'listening' : 'pending';

  const handlers: Handlers = {
    'cloudbridge:app.snapshot': () => ok(snapshot),
    'cloudbridge:app.info': () => ok(info),
    'cloudbridge:app.openExternal': () => ok(undefined),
    'cloudbridge:session.connect': () => {
      if (!snapshot.settings.relay)
        return fail(errorInfo('token_missing', 'Choose a relay first.', now()));
      if (!snapshot.account.signedIn)
        return fail(errorInfo('token_missing', 'Paste a token before connecting.', now()));
      update((s) => ({
        ...s,
        engine: {
          ...s.engine,
          state: 'active',
          lastError: null,
          session: {
            ...s.engine.session,
            reconnectAttempt: 0,
            nextRetryAt: null,
            connectedSince: iso(now()),
          },
          tunnels: s.engine.tunnels.map((t): TunnelSnapshot => ({
            ...t,
            status: t.enabled ? 'listening' : 'off',
          })),
        },
      }));
      return ok(undefined);
    },
    'cloudbridge:session.disconnect': () => {
      update((s) => ({
        ...s,
        engine: {
          ...s.engine,
          state: 'disconnected',
          session: {
            ...s.engine.session,
            connectedSince: null,
            reconnectAttempt: 0,
            nextRetryAt: null,
          },
          tunnels: s.engine.tunnels.map((t): TunnelSnapshot => ({
            ...t,
            status: t.enabled ? 'pending' : 'off',
            openConnections: 0,
          })),
        },
      }));
      return ok(undefined);
    },
    'cloudbridge:session.retryNow': () => {
      update((s) => ({
        ...s,
        engine: { ...s.engine, session: { ...s.engine.session, nextRetryAt: iso(now()) } },
      }));
      return ok(undefined);
    },
    'cloudbridge:tunnel.setEnabled': ({ id, enabled }) => {
      if (!snapshot.engine.tunnels.some((t) => t.id === id))
        return fail(errorInfo('invalid_tunnel_info', `No tunnel ${id}`, now()));
      setTunnels(
        snapshot.engine.tunnels.map((t) =>
          t.id === id ? { ...t, enabled, status: liveStatus(enabled), error: null } : t,
        ),
      );
      return ok(undefined);
    },
    'cloudbridge:tunnel.save': (draft) => {
      const refused = invalidFields(validateTunnelDraft(draft, snapshot.settings.tunnels));
      if (refused) return refused;
      const id = draft.id ?? `t-new-${nextTunnel++}`;
      const config: TunnelConfig = { ...draft, id };
      const existing = snapshot.engine.tunnels.find((t) => t.id === id);
      const next = existing
        ? snapshot.engine.tunnels.map((t) =>
            t.id === id ? { ...t, ...config, status: liveStatus(config.enabled) } : t,
          )
        : [
            ...snapshot.engine.tunnels,
            tunnelSnapshot(config, { status: liveStatus(config.enabled) }),
          ];
      setTunnels(next);
      return ok(config);
    },
    'cloudbridge:tunnel.remove': ({ id }) => {
      setTunnels(snapshot.engine.tunnels.filter((t) => t.id !== id));
      return ok(undefined);
    },
    'cloudbridge:tunnel.open': () => ok(undefined),
    'cloudbridge:token.save': ({ token }) => {
      const claims = decodeClaims(token);
      if (!claims)
        return fail(
          errorInfo(
            'token_malformed',
            'This does not look like a CloudBridge token (a JWT).',
            now(),
          ),
        );
      const exp = typeof claims['exp'] === 'number' ? claims['exp'] * 1000 : null;
      const account: AccountInfo = {
        signedIn: true,
        subject: typeof claims['sub'] === 'string' ? claims['sub'] : null,
        tenant: typeof claims['tenant_id'] === 'string' ? claims['tenant_id'] : null,
        expiresAt: exp === null ? null : iso(exp),
        expiresSoon: exp !== null && exp - now() < 24 * 3_600_000,
        keychainError: null,
      };
      update((s) => ({ ...s, account }));
      return ok(account);
    },
    'cloudbridge:token.signOut': () => {
      const account: AccountInfo = {
        ...snapshot.account,
        signedIn: false,
        subject: null,
        tenant: null,
        expiresAt: null,
        expiresSoon: false,
      };
      update((s) => ({ ...s, account }));
      return ok(account);
    },
    'cloudbridge:token.confirmRelay': () => {
      update((s) => ({ ...s, engine: { ...s.engine, lastError: null } }));
      return ok(snapshot.account);
    },
    'cloudbridge:settings.update': (patch) => {
      if (patch.relay?.builtin && patch.relay.id !== snapshot.settings.relay?.id)
        return fail(
          errorInfo(
            'invalid_tunnel_info',
            'Use "Try the built-in relay" for a local relay.',
            now(),
            'builtin',
          ),
          { builtin: { key: 'validation.builtinRelay' } },
        );
      const refused = patch.relay ? invalidFields(validateRelayProfile(patch.relay)) : null;
      if (refused) return refused;
      const settings: AppSettings = { ...snapshot.settings, ...patch };
      update((s) => ({ ...s, settings }));
      return ok(settings);
    },
    'cloudbridge:relay.useBuiltin': () => {
      const settings: AppSettings = {
        ...snapshot.settings,
        relay: {
          id: 'builtin',
          name: 'Built-in local relay',
          host: '127.0.0.1',
          port: 8443,
          caFile: null,
          pinSha256: null,
          serverName: null,
          insecure: false,
          opener: 'auto',
          builtin: true,
        },
      };
      // Main stores a token it minted for the built-in relay, so the user is signed in.
      const account: AccountInfo = {
        signedIn: true,
        subject: 'local-user',
        tenant: null,
        expiresAt: iso(now() + 30 * 24 * 3_600_000),
        expiresSoon: false,
        keychainError: null,
      };
      update((s) => ({
        ...s,
        settings,
        account,
        notices: s.notices.filter((n) => n.kind !== 'first_run'),
      }));
      return ok(settings);
    },
    'cloudbridge:logs.query': (query) => ok(logs.slice(-query.limit)),
    'cloudbridge:logs.export': () => ok({ path: '/home/user/cloudbridge-logs.zip' }),
    'cloudbridge:logs.openFolder': () => ok(undefined),
    'cloudbridge:diagnostics.export': () => ok({ path: '/home/user/cloudbridge-diagnostics.zip' }),
    'cloudbridge:notice.dismiss': ({ kind }) => {
      update((s) => ({ ...s, notices: s.notices.filter((n) => n.kind !== kind) }));
      return ok(undefined);
    },
  };

  const api: Record<string, unknown> = {};
  for (const channel of REQUEST_CHANNELS) {
    api[methodName(channel)] = async (request: unknown) => {
      calls.push({ channel, request });
      const handler = handlers[channel] as (
        r: unknown,
      ) => Result<unknown> | Promise<Result<unknown>>;
      // A structured clone, like IPC: the page never shares objects with main.
      return structuredClone(await handler(request));
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

// The desktop app's core in plain Node: folds engine snapshots into the AppSnapshot, decides
// notifications, implements every IPC request, pushes state at once, stats <= 4/s, logs in
// batches and nothing to a hidden window. Never imports electron (the Electron layer forwards).

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Engine, EngineOptions, RelayEndpoint } from '../engine/types';
import type {
  AppInfo,
  AppSettings,
  AppSnapshot,
  Events,
  EventChannel,
  Notice,
  RelayProfile,
  ReplyOf,
  RequestChannel,
  RequestOf,
  StatsUpdate,
  TunnelDraft,
} from '../shared/ipc-contract';
import {
  SNAPSHOT_MIN_INTERVAL_MS,
  type EngineSnapshot,
  type ErrorInfo,
  type LogRecord,
  type TunnelConfig,
} from '../shared/model';
import { validateRelayProfile, validateTunnelDraft } from '../shared/tunnel-validation';
import { buildDiagnosticsZip } from './diagnostics';
import { ServiceError, errorInfo, messageOf } from './errors';
import { isAllowedExternalUrl } from './external-url';
import type { Logger } from './logger';
import { formatRecord } from './logger';
import { describeOwner, type PortOwner } from './port-owner';
import type { SettingsStore } from './settings-store';
import type { TokenService } from './token-service';
import { createKnownSecrets } from './known-secrets';
import { createTokenBindings } from './token-binding';
import { confirmPendingChange, createTokenGate, type RelayChangeConfirmer } from './token-gate';
import { buildOpenCommand, type Spawner } from './tunnel-launcher';
import { emptyEngineSnapshot } from '../shared/tunnel-snapshot';
import type { Clock } from '../shared/clock';

/** A push to the window: one of the contract's events with its payload. */
export type Push = {
  [E in EventChannel]: { readonly event: E; readonly payload: Events[E] };
}[EventChannel];

export interface AppNotification {
  readonly kind: 'connection_lost' | 'connection_restored' | 'token_expiring' | 'engine_restarted';
  readonly title: string;
  readonly body: string;
}

/** What the built-in local relay hands the controller (see builtin-relay.ts). */
export interface BuiltinRelay {
  readonly profile: RelayProfile;
  /** A token minted for this relay; stored in the SecretStore like any other. */
  readonly token: string;
  /** The demo tunnel's target (a small echo/HTTP server the relay host runs). */
  readonly demoTarget: { readonly host: string; readonly port: number };
  close(): Promise<void>;
}
export type BuiltinRelayStarter = (previous: RelayProfile | null) => Promise<BuiltinRelay>;

export interface AppControllerOptions {
  readonly settingsStore: SettingsStore;
  readonly tokenService: TokenService;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random?: () => number;
  readonly createEngine: (options: EngineOptions) => Engine;
  readonly appInfo: AppInfo;
  readonly logDirectory: string;
  readonly dataDir: string;
  readonly platform?: NodeJS.Platform;
  readonly startBuiltinRelay?: BuiltinRelayStarter;
  readonly findPortOwner?: (port: number) => Promise<PortOwner | null>;
  readonly launch?: Spawner;
  /** Opens an allowed URL in the system browser (shell.openExternal in the app). */
  readonly openExternal?: (url: string) => Promise<void>;
  /** Opens a folder in the file manager (shell.openPath in the app). */
  readonly openPath?: (path: string) => Promise<void>;
  /** Where to save an export; null = the user cancelled. Default: <dataDir>/exports/<name>. */
  readonly chooseExportPath?: (defaultName: string) => Promise<string | null>;
  /** Hosts `app.openExternal` may open (https only). */
  readonly externalAllowList?: readonly string[];
  /** A loss shorter than this is a brief drop: no "restored" notification. */
  readonly restoredNotifyAfterMs?: number;
  /** Data mode for relays without tcp_stream (PROTOCOL.md §3). */
  readonly allowDirect?: boolean;
  readonly readTextFile?: (path: string) => Promise<string>;
  /** Asks the user (a native dialog in the app) before a stored token goes to a changed relay. */
  readonly confirmRelayChange?: RelayChangeConfirmer;
}

export interface AppController {
  /** Loads settings and the token, starts the built-in relay if configured, connects if wanted. */
  start(): Promise<void>;
  snapshot(): AppSnapshot;
  handle<C extends RequestChannel>(channel: C, request: RequestOf<C>): Promise<ReplyOf<C>>;
  /** Pushes for the window (respecting visibility and throttles). */
  onPush(listener: (push: Push) => void): () => void;
  /** Every state change, whatever the window does (the tray listens here). */
  onChange(listener: (snapshot: AppSnapshot) => void): () => void;
  onNotification(listener: (notification: AppNotification) => void): () => void;
  /** Hidden: nothing is pushed. Shown: the full snapshot is pushed at once. */
  setWindowVisible(visible: boolean): void;
  /** Resume, unlock, network change: skip the backoff wait. */
  reconnectNow(reason: string): void;
  /** A notice from outside (the engine host restarted): replaces one of its kind, optionally notifies. */
  showNotice(notice: Notice, notification?: AppNotification): void;
  close(): Promise<void>;
}

const LOG_BATCH_MS = 200;
const TOTALS_FLUSH_MS = 10_000;
const TOKEN_CHECK_MS = 60 * 60 * 1000;
const DEFAULT_ALLOW_LIST = ['github.com'];
const DIAGNOSTICS_LOG_TAIL_CHARS = 2 * 1024 * 1024;
/** Errors no retry can fix: a wake-up event must not spend auth attempts on them. */
const NEEDS_USER_CODES: ReadonlySet<string> = new Set([
  'invalid_token',
  'tenant_not_found',
  'token_missing',
  'token_malformed',
  'token_expired',
  'token_relay_changed',
  'keychain_unavailable',
]);

/** Everything in an engine snapshot except counters: a change here is a state change. */
function structuralKey(s: EngineSnapshot): string {
  return JSON.stringify([
    s.state,
    s.session,
    s.lastError,
    s.tunnels.map((t) => [
      t.id,
      t.name,
      t.kind,
      t.localHost,
      t.localPort,
      t.remoteHost,
      t.remotePort,
      t.enabled,
      t.status,
      t.dataMode,
      t.error,
    ]),
  ]);
}

/** A form with field errors is refused with every message on its field (Result.fields). */
function rejectInvalidFields(fields: Readonly<Record<string, string>>): void {
  if (Object.keys(fields).length === 0) return;
  throw new ServiceError(
    'invalid_tunnel_info',
    'Check the highlighted fields.',
    Object.keys(fields).join(', '),
    fields,
  );
}

function newTunnelId(random: () => number): string {
  let id = 't-';
  for (let i = 0; i < 12; i += 1) id += Math.floor(random() * 36).toString(36);
  return id;
}

export function createAppController(options: AppControllerOptions): AppController {
  const { settingsStore, logger, clock } = options;
  /** The profile the engine's endpoint was made from; the token gate checks it too. */
  let dialProfile: RelayProfile | null = null;
  const knownSecrets = createKnownSecrets();
  const tokenService = createTokenGate({
    tokens: options.tokenService,
    bindings: createTokenBindings({ dataDir: options.dataDir }),
    settingsProfile: () => settingsStore.get().relay,
    dialProfile: () => dialProfile,
    onHandedOut: (token) => knownSecrets.remember(token),
  });
  const random = options.random ?? Math.random;
  const platform = options.platform ?? process.platform;
  const readText = options.readTextFile ?? ((path: string) => readFile(path, 'utf8'));
  const restoredAfterMs = options.restoredNotifyAfterMs ?? 10_000;
  const allowList = options.externalAllowList ?? DEFAULT_ALLOW_LIST;
  const iso = () => new Date(clock.now()).toISOString();

  let engine: Engine | null = null;
  let engineUnsubscribe: (() => void)[] = [];
  let builtin: BuiltinRelay | null = null;
  let notices: Notice[] = [];
  let engineSnap: EngineSnapshot = emptyEngineSnapshot(settingsStore.get(), 0, iso());
  let snapshotCache: AppSnapshot | null = null;
  let lastStructural = '';
  let visible = false;
  let closed = false;
  let userDisconnect = false;
  let lostAt: number | null = null;
  let lastEngineSeq = -1;
  let totalsChanged = false;
  let notifiedExpiryFor: string | null = null;
  const lastCounters = new Map<string, { bytesIn: number; bytesOut: number }>();
  const portOwners = new Map<string, { at: string; detail: string | null }>();

  const pushListeners = new Set<(push: Push) => void>();
  const changeListeners = new Set<(snapshot: AppSnapshot) => void>();
  const notifyListeners = new Set<(n: AppNotification) => void>();

  let statsTimer: unknown = null;
  let lastStatsAt = 0;
  let logTimer: unknown = null;
  let logBatch: LogRecord[] = [];
  let totalsTimer: unknown = null;
  let tokenTimer: unknown = null;

  function emit(push: Push): void {
    if (!visible || closed) return;
    for (const l of [...pushListeners]) l(push);
  }

  function snapshot(): AppSnapshot {
    snapshotCache ??= {
      engine: withPortOwners(engineSnap),
      account: tokenService.account(),
      settings: settingsStore.get(),
      totals: settingsStore.totals(),
      notices,
      logDirectory: options.logDirectory,
    };
    return snapshotCache;
  }

  /** State changed: push the whole snapshot at once (PROTOCOL-independent UI rule, STYLE.md). */
  function changed(): void {
    snapshotCache = null;
    const snap = snapshot();
    for (const l of [...changeListeners]) l(snap);
    emit({ event: 'cloudbridge:app.changed', payload: snap });
  }

  function statsUpdate(): StatsUpdate {
    return {
      seq: engineSnap.seq,
      at: engineSnap.at,
      tunnels: engineSnap.tunnels.map((t) => ({
        id: t.id,
        bytesIn: t.bytesIn,
        bytesOut: t.bytesOut,
        rateInBps: t.rateInBps,
        rateOutBps: t.rateOutBps,
        openConnections: t.openConnections,
      })),
    };
  }

  /** Counters only: trailing throttle, at most one push per SNAPSHOT_MIN_INTERVAL_MS. */
  function scheduleStats(): void {
    if (statsTimer !== null || !visible) return;
    const wait = Math.max(0, lastStatsAt + SNAPSHOT_MIN_INTERVAL_MS - clock.now());
    statsTimer = clock.setTimeout(() => {
      statsTimer = null;
      lastStatsAt = clock.now();
      snapshotCache = null;
      emit({ event: 'cloudbridge:stats.changed', payload: statsUpdate() });
    }, wait);
  }

  function notify(n: AppNotification): void {
    for (const l of [...notifyListeners]) l(n);
  }

  function withPortOwners(s: EngineSnapshot): EngineSnapshot {
    if (!s.tunnels.some((t) => t.error?.code === 'port_in_use')) return s;
    return {
      ...s,
      tunnels: s.tunnels.map((t) => {
        if (t.error?.code !== 'port_in_use') return t;
        const owner = portOwners.get(t.id);
        if (owner === undefined || owner.at !== t.error.at || owner.detail === null) return t;
        return { ...t, error: { ...t.error, detail: owner.detail } };
      }),
    };
  }

  /** "Port in use" says who holds the port where the OS lets us find out. */
  function lookUpPortOwners(s: EngineSnapshot): void {
    if (!options.findPortOwner) return;
    for (const t of s.tunnels) {
      if (t.error?.code !== 'port_in_use') continue;
      const known = portOwners.get(t.id);
      if (known?.at === t.error.at) continue;
      const at = t.error.at;
      portOwners.set(t.id, { at, detail: null });
      options
        .findPortOwner(t.localPort)
        .then((owner) => {
          const described = describeOwner(owner);
          if (closed || described === null) return;
          portOwners.set(t.id, { at, detail: `Port ${t.localPort} is held by ${described}.` });
          changed();
        })
        .catch(() => undefined);
    }
  }

  function accountTotals(s: EngineSnapshot): void {
    for (const t of s.tunnels) {
      const prev = lastCounters.get(t.id) ?? { bytesIn: 0, bytesOut: 0 };
      // Counters restart with a new engine: a smaller value is all new traffic.
      const dIn = t.bytesIn >= prev.bytesIn ? t.bytesIn - prev.bytesIn : t.bytesIn;
      const dOut = t.bytesOut >= prev.bytesOut ? t.bytesOut - prev.bytesOut : t.bytesOut;
      settingsStore.addTraffic(t.id, dIn, dOut);
      if (dIn > 0 || dOut > 0) totalsChanged = true;
      lastCounters.set(t.id, { bytesIn: t.bytesIn, bytesOut: t.bytesOut });
    }
  }

  function decideNotifications(prev: EngineSnapshot, next: EngineSnapshot): void {
    const prefs = settingsStore.get().notifications;
    const wasUp = prev.state === 'active' || prev.state === 'reconnecting';
    if (prev.state === 'active' && next.state === 'reconnecting') lostAt = clock.now();
    if (next.state === 'disconnected' && wasUp && !userDisconnect) {
      // Lost for good: backoff exhausted or the relay refused us (PROTOCOL.md §4).
      lostAt = null;
      if (prefs.connectionLost) {
        notify({
          kind: 'connection_lost',
          title: 'CloudBridge disconnected',
          body: next.lastError ? next.lastError.message : 'The connection to the relay was lost.',
        });
      }
    }
    if (next.state === 'active' && prev.state !== 'active') {
      if (lostAt !== null && clock.now() - lostAt >= restoredAfterMs && prefs.connectionRestored) {
        notify({
          kind: 'connection_restored',
          title: 'CloudBridge reconnected',
          body: 'Your tunnels are available again.',
        });
      }
      lostAt = null;
    }
    if (next.state === 'disconnected') userDisconnect = false;
  }

  function onEngineSnapshot(next: EngineSnapshot): void {
    // Seq increases per engine; a lower one from the same engine is a stale delivery.
    if (next.seq < lastEngineSeq) return;
    lastEngineSeq = next.seq;
    const prev = engineSnap;
    engineSnap = next;
    accountTotals(next);
    decideNotifications(prev, next);
    lookUpPortOwners(next);
    const key = structuralKey(next);
    if (key !== lastStructural) {
      lastStructural = key;
      changed();
    } else {
      snapshotCache = null;
      scheduleStats();
    }
  }

  function onLog(record: LogRecord): void {
    logger.record(record);
  }

  const unsubscribeLogger = logger.subscribe((record) => {
    if (!visible) return;
    logBatch.push(record);
    logTimer ??= clock.setTimeout(() => {
      logTimer = null;
      const batch = logBatch;
      logBatch = [];
      if (batch.length > 0) emit({ event: 'cloudbridge:logs.appended', payload: batch });
    }, LOG_BATCH_MS);
  });

  async function endpointFor(profile: RelayProfile): Promise<RelayEndpoint> {
    let ca: string | undefined;
    if (profile.caFile !== null) {
      try {
        ca = await readText(profile.caFile);
      } catch (error) {
        throw new ServiceError(
          'tls_error',
          `Cannot read the CA file ${profile.caFile}.`,
          messageOf(error),
        );
      }
    }
    return {
      host: profile.host,
      port: profile.port,
      ...(ca !== undefined ? { ca } : {}),
      ...(profile.pinSha256 !== null ? { pinSha256: profile.pinSha256 } : {}),
      ...(profile.serverName !== null ? { serverName: profile.serverName } : {}),
      insecure: profile.insecure,
      opener: profile.opener,
    };
  }

  /** Without an engine the shown snapshot follows the settings (relay, tunnels). */
  function showIdleEngine(): void {
    engineSnap = emptyEngineSnapshot(settingsStore.get(), engineSnap.seq + 1, iso());
  }

  async function closeEngine(): Promise<void> {
    const old = engine;
    engine = null;
    for (const off of engineUnsubscribe) off();
    engineUnsubscribe = [];
    if (old) {
      accountTotals(old.snapshot());
      await old.close();
    }
    lastCounters.clear();
    showIdleEngine();
    lastStructural = '';
  }

  /** Makes the engine match the relay profile: created, switched, or closed. */
  async function applyRelay(previous: RelayProfile | null): Promise<void> {
    const profile = settingsStore.get().relay;
    if (profile === null) {
      await closeEngine();
      dialProfile = null;
      return;
    }
    const endpoint = await endpointFor(profile);
    if (engine === null) {
      dialProfile = profile;
      engine = options.createEngine({
        relay: endpoint,
        tunnels: settingsStore.get().tunnels,
        getToken: () => tokenService.getToken(),
        clock,
        random,
        persistence: settingsStore.sessionState,
        clientVersion: options.appInfo.version,
        allowDirect: options.allowDirect ?? false,
      });
      lastEngineSeq = -1;
      engineUnsubscribe = [engine.on('snapshot', onEngineSnapshot), engine.on('log', onLog)];
      onEngineSnapshot(engine.snapshot());
    } else if (previous === null || JSON.stringify(previous) !== JSON.stringify(profile)) {
      dialProfile = profile;
      engine.setRelay(endpoint);
    }
  }

  function checkTokenExpiry(): void {
    const account = tokenService.account();
    if (!account.signedIn || !account.expiresSoon || account.expiresAt === null) return;
    if (notifiedExpiryFor === account.expiresAt) return;
    notifiedExpiryFor = account.expiresAt;
    const message = `Your relay token expires at ${account.expiresAt}. Paste a new one before then.`;
    notices = [
      ...notices.filter((n) => n.kind !== 'token_expiring'),
      { kind: 'token_expiring', message, at: iso() },
    ];
    if (settingsStore.get().notifications.tokenExpiry) {
      notify({ kind: 'token_expiring', title: 'CloudBridge token expires soon', body: message });
    }
    changed();
  }

  function scheduleTokenCheck(): void {
    tokenTimer = clock.setTimeout(() => {
      checkTokenExpiry();
      if (!closed) scheduleTokenCheck();
    }, TOKEN_CHECK_MS);
  }

  function scheduleTotalsFlush(): void {
    totalsTimer = clock.setTimeout(() => {
      // Stats pushes carry live counters only; the persisted totals reach the window here.
      if (totalsChanged) {
        totalsChanged = false;
        changed();
      }
      void settingsStore.flushTotals().finally(() => {
        if (!closed) scheduleTotalsFlush();
      });
    }, TOTALS_FLUSH_MS);
  }

  async function saveSettings(next: AppSettings): Promise<AppSettings> {
    const saved = await settingsStore.save(next);
    if (!saved.ok)
      throw new ServiceError(saved.error.code, saved.error.message, saved.error.detail);
    return next;
  }

  function requireEngine(): Engine {
    if (engine === null) throw new ServiceError('token_missing', 'Choose a relay first.');
    return engine;
  }

  function canConnect(): boolean {
    return engine !== null && tokenService.account().signedIn;
  }

  async function exportPath(name: string): Promise<string | null> {
    if (options.chooseExportPath) return options.chooseExportPath(name);
    const path = join(options.dataDir, 'exports', name);
    await mkdir(dirname(path), { recursive: true });
    return path;
  }

  function stamp(): string {
    return iso().replace(/[:.]/g, '-');
  }

  async function useBuiltin(): Promise<AppSettings> {
    if (!options.startBuiltinRelay)
      throw new ServiceError(
        'internal_error',
        'The built-in relay is not available in this build.',
      );
    const previous = settingsStore.get().relay;
    await builtin?.close();
    builtin = await options.startBuiltinRelay(previous?.builtin ? previous : null);
    const current = settingsStore.get();
    let tunnels = current.tunnels;
    if (tunnels.length === 0) {
      const probe = await freeLocalPort();
      tunnels = [
        {
          id: newTunnelId(random),
          name: 'Demo echo service',
          kind: 'other',
          localHost: '127.0.0.1',
          localPort: probe,
          remoteHost: builtin.demoTarget.host,
          remotePort: builtin.demoTarget.port,
          enabled: true,
        },
      ];
    }
    const next = await saveSettings({ ...current, relay: builtin.profile, tunnels });
    await tokenService.setAccount(builtin.profile.id);
    await tokenService.save(builtin.token);
    notifiedExpiryFor = null;
    checkTokenExpiry();
    engine?.setTunnels(tunnels);
    await applyRelay(previous);
    notices = notices.filter((n) => n.kind !== 'first_run');
    logger.log('info', 'builtin_relay_started', {
      relay: `${builtin.profile.host}:${builtin.profile.port}`,
    });
    if (engine !== null && engine.snapshot().state === 'disconnected') engine.connect();
    changed();
    return next;
  }

  async function freeLocalPort(): Promise<number> {
    const { createServer } = await import('node:net');
    const taken = new Set(settingsStore.get().tunnels.map((t) => t.localPort));
    for (let i = 0; i < 20; i += 1) {
      const port = await new Promise<number>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          const address = server.address();
          const p = typeof address === 'object' && address !== null ? address.port : 0;
          server.close(() => resolve(p));
        });
      });
      if (!taken.has(port)) return port;
    }
    throw new ServiceError('listen_failed', 'No free local port for the demo tunnel.');
  }

  const handlers: { [C in RequestChannel]: (request: RequestOf<C>) => Promise<ReplyOf<C>> } = {
    'cloudbridge:app.snapshot': () => Promise.resolve(snapshot()),
    'cloudbridge:app.info': () => Promise.resolve(options.appInfo),
    'cloudbridge:app.openExternal': async ({ url }) => {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new ServiceError('internal_error', 'That is not a web address.');
      }
      if (!isAllowedExternalUrl(url, allowList) || !options.openExternal)
        throw new ServiceError(
          'internal_error',
          'This link cannot be opened from the app.',
          parsed.origin,
        );
      await options.openExternal(parsed.toString());
    },
    'cloudbridge:session.connect': () => {
      const e = requireEngine();
      if (!tokenService.account().signedIn)
        throw new ServiceError('token_missing', 'Paste a token before connecting.');
      userDisconnect = false;
      e.connect();
      return Promise.resolve();
    },
    'cloudbridge:session.disconnect': async () => {
      if (engine === null) return;
      userDisconnect = engine.snapshot().state !== 'disconnected';
      lostAt = null;
      await engine.disconnect();
    },
    'cloudbridge:session.retryNow': () => {
      requireEngine().reconnectNow();
      return Promise.resolve();
    },
    'cloudbridge:tunnel.setEnabled': async ({ id, enabled }) => {
      const current = settingsStore.get();
      if (!current.tunnels.some((t) => t.id === id))
        throw new ServiceError('invalid_tunnel_info', 'This tunnel no longer exists.');
      await saveSettings({
        ...current,
        tunnels: current.tunnels.map((t) => (t.id === id ? { ...t, enabled } : t)),
      });
      engine?.setTunnelEnabled(id, enabled);
      if (engine === null) showIdleEngine();
      changed();
    },
    'cloudbridge:tunnel.save': async (draft: TunnelDraft) => {
      const current = settingsStore.get();
      const fields = validateTunnelDraft(draft, current.tunnels);
      rejectInvalidFields(fields);
      const config: TunnelConfig = {
        id: draft.id ?? newTunnelId(random),
        name: draft.name.trim(),
        kind: draft.kind,
        localHost: draft.localHost.trim(),
        localPort: draft.localPort,
        remoteHost: draft.remoteHost.trim(),
        remotePort: draft.remotePort,
        enabled: draft.enabled,
      };
      const tunnels =
        draft.id === undefined
          ? [...current.tunnels, config]
          : current.tunnels.map((t) => (t.id === config.id ? config : t));
      await saveSettings({ ...current, tunnels });
      engine?.setTunnels(tunnels);
      if (engine === null) showIdleEngine();
      logger.log(
        'info',
        draft.id === undefined ? 'tunnel_added' : 'tunnel_changed',
        { local_port: config.localPort },
        config.id,
      );
      changed();
      return config;
    },
    'cloudbridge:tunnel.remove': async ({ id }) => {
      const current = settingsStore.get();
      if (!current.tunnels.some((t) => t.id === id)) return;
      const tunnels = current.tunnels.filter((t) => t.id !== id);
      await saveSettings({ ...current, tunnels });
      engine?.setTunnels(tunnels);
      settingsStore.removeTotals(id);
      if (engine === null) showIdleEngine();
      logger.log('info', 'tunnel_removed', {}, id);
      changed();
    },
    'cloudbridge:tunnel.open': async ({ id }) => {
      const tunnel = settingsStore.get().tunnels.find((t) => t.id === id);
      if (!tunnel) throw new ServiceError('invalid_tunnel_info', 'This tunnel no longer exists.');
      const command = buildOpenCommand(tunnel, platform);
      if (command === null || !options.launch) {
        throw new ServiceError(
          'internal_error',
          'There is no app to open this kind of tunnel with; connect to the local port yourself.',
        );
      }
      try {
        await options.launch(command);
      } catch (error) {
        throw new ServiceError(
          'internal_error',
          `Could not start ${command.command}.`,
          messageOf(error),
        );
      }
    },
    'cloudbridge:token.save': async ({ token }) => {
      const account = await tokenService.save(token);
      notices = notices.filter(
        (n) => n.kind !== 'token_expiring' && n.kind !== 'keychain_unavailable',
      );
      notifiedExpiryFor = null;
      checkTokenExpiry();
      logger.log('info', 'token_saved', {
        subject: account.subject,
        tenant: account.tenant,
        expires_at: account.expiresAt,
      });
      if (engine !== null && settingsStore.get().autoConnect) {
        const state = engine.snapshot().state;
        if (state === 'disconnected') engine.connect();
        else engine.reconnectNow();
      }
      changed();
      return account;
    },
    'cloudbridge:token.confirmRelay': async () => {
      const change = await confirmPendingChange(tokenService, options.confirmRelayChange);
      if (change !== null)
        logger.log('info', 'token_relay_confirmed', {
          relay: `${change.to.host}:${change.to.port}`,
          changed: change.fields.join(','),
        });
      if (engine !== null && engine.snapshot().state === 'disconnected') engine.connect();
      else engine?.reconnectNow();
      changed();
      return tokenService.account();
    },
    'cloudbridge:token.signOut': async () => {
      if (engine !== null && engine.snapshot().state !== 'disconnected') {
        userDisconnect = true;
        await engine.disconnect();
      }
      const account = await tokenService.signOut();
      notices = notices.filter((n) => n.kind !== 'token_expiring');
      logger.log('info', 'token_removed');
      changed();
      return account;
    },
    'cloudbridge:settings.update': async (patch) => {
      const current = settingsStore.get();
      if (patch.relay) {
        // Only relay.useBuiltin makes a built-in profile: the window cannot claim one.
        if (patch.relay.builtin && patch.relay.id !== current.relay?.id) {
          throw new ServiceError(
            'invalid_tunnel_info',
            'Use "Try the built-in relay" for a local relay.',
            'builtin',
            {
              builtin: 'Only the app can create the built-in relay profile.',
            },
          );
        }
        const fields = validateRelayProfile(patch.relay);
        rejectInvalidFields(fields);
      }
      const next: AppSettings = { ...current, ...patch };
      await saveSettings(next);
      if ('relay' in patch) {
        if (current.relay?.builtin && !next.relay?.builtin) {
          await builtin?.close();
          builtin = null;
        }
        if (current.relay?.id !== next.relay?.id)
          await tokenService.setAccount(next.relay?.id ?? null);
        await applyRelay(current.relay);
        notices = notices.filter((n) => n.kind !== 'insecure_relay');
        if (next.relay?.insecure)
          notices = [
            ...notices,
            {
              kind: 'insecure_relay',
              message: 'This relay uses plaintext: tunnel traffic is not encrypted.',
              at: iso(),
            },
          ];
      }
      changed();
      return next;
    },
    'cloudbridge:relay.useBuiltin': () => useBuiltin(),
    'cloudbridge:logs.query': (query) => Promise.resolve(logger.query(query)),
    'cloudbridge:logs.export': async () => {
      const path = await exportPath(`cloudbridge-logs-${stamp()}.jsonl`);
      if (path === null) return { path: null };
      await writeFile(path, `${logger.recent().map(formatRecord).join('\n')}\n`, { mode: 0o600 });
      return { path };
    },
    'cloudbridge:logs.openFolder': async () => {
      if (!options.openPath)
        throw new ServiceError('internal_error', `Logs are in ${options.logDirectory}.`);
      await options.openPath(options.logDirectory);
    },
    'cloudbridge:diagnostics.export': async () => {
      const path = await exportPath(`cloudbridge-diagnostics-${stamp()}.zip`);
      if (path === null) return { path: null };
      // The tail of the log file reaches further back than the in-memory ring.
      const logFile = await readText(join(options.logDirectory, 'cloudbridge.log')).catch(() => '');
      const zip = buildDiagnosticsZip({
        logs: logger.recent(),
        settings: settingsStore.get(),
        snapshot: snapshot(),
        versions: options.appInfo,
        files: logFile ? { 'cloudbridge.log': logFile.slice(-DIAGNOSTICS_LOG_TAIL_CHARS) } : {},
        secrets: await knownSecrets.collect([
          () => options.tokenService.getToken(),
          () => builtin?.token,
          async () => (await settingsStore.sessionState.load())?.reconnectToken,
        ]),
        createdAt: iso(),
      });
      await writeFile(path, zip, { mode: 0o600 });
      return { path };
    },
    'cloudbridge:notice.dismiss': ({ kind }) => {
      if (notices.some((n) => n.kind === kind)) {
        notices = notices.filter((n) => n.kind !== kind);
        changed();
      }
      return Promise.resolve();
    },
  };

  const controller: AppController = {
    async start() {
      const loaded = await settingsStore.load();
      // The keychain may prompt and take a while (E5): the window says why nothing shows yet.
      notices = [
        ...loaded.notices,
        ...notices,
        { kind: 'keychain_unlocking', message: 'Unlocking keychain…', at: iso() },
      ];
      changed();
      const relay = loaded.settings.relay;
      if (relay?.builtin && options.startBuiltinRelay) {
        try {
          builtin = await options.startBuiltinRelay(relay);
          if (JSON.stringify(builtin.profile) !== JSON.stringify(relay))
            await saveSettings({ ...settingsStore.get(), relay: builtin.profile });
          await tokenService.setAccount(builtin.profile.id);
          await tokenService.save(builtin.token);
        } catch (error) {
          logger.log('error', 'builtin_relay_failed', { error: messageOf(error) });
        }
      }
      const account = await tokenService.setAccount(settingsStore.get().relay?.id ?? null);
      await tokenService.adoptAtStart(settingsStore.get().relay);
      if (account.keychainError) {
        notices.push({
          kind: 'keychain_unavailable',
          message: account.keychainError.message,
          at: iso(),
        });
      }
      notices = notices.filter((n) => n.kind !== 'keychain_unlocking');
      if (loaded.firstRun || settingsStore.get().relay === null) {
        notices.push({
          kind: 'first_run',
          message:
            'Nothing is configured yet. Add your relay and token, or try the built-in local relay.',
          at: iso(),
        });
      }
      try {
        await applyRelay(null);
      } catch (error) {
        logger.log('error', 'relay_setup_failed', { error: messageOf(error) });
      }
      if (settingsStore.get().autoConnect && canConnect()) engine?.connect();
      checkTokenExpiry();
      scheduleTokenCheck();
      scheduleTotalsFlush();
      logger.log('info', 'app_started', { version: options.appInfo.version, platform });
      changed();
    },
    snapshot,
    handle(channel, request) {
      const handler = handlers[channel] as (r: typeof request) => Promise<ReplyOf<typeof channel>>;
      return handler(request);
    },
    onPush(listener) {
      pushListeners.add(listener);
      return () => pushListeners.delete(listener);
    },
    onChange(listener) {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },
    onNotification(listener) {
      notifyListeners.add(listener);
      return () => notifyListeners.delete(listener);
    },
    setWindowVisible(isVisible) {
      if (isVisible === visible) return;
      visible = isVisible;
      if (!visible) {
        logBatch = [];
        return;
      }
      snapshotCache = null;
      emit({ event: 'cloudbridge:app.changed', payload: snapshot() });
    },
    reconnectNow(reason) {
      if (engine === null || !tokenService.account().signedIn) return;
      const { state, lastError } = engine.snapshot();
      // A user disconnect stays a disconnect, and a refused token stays refused until the user
      // acts (PROTOCOL.md §2); a lost or retrying session is tried again at once.
      const lostForNetwork = lastError !== null && !NEEDS_USER_CODES.has(lastError.code);
      if (
        state === 'reconnecting' ||
        (state === 'disconnected' && lostForNetwork && settingsStore.get().autoConnect)
      ) {
        logger.log('info', 'reconnect_now', { reason });
        engine.reconnectNow();
      }
    },
    showNotice(notice, notification) {
      if (closed) return;
      notices = [...notices.filter((n) => n.kind !== notice.kind), notice];
      if (notification) notify(notification);
      changed();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const t of [statsTimer, logTimer, totalsTimer, tokenTimer])
        if (t !== null) clock.clearTimeout(t);
      unsubscribeLogger();
      pushListeners.clear();
      changeListeners.clear();
      notifyListeners.clear();
      await closeEngine().catch(() => undefined);
      await builtin?.close().catch(() => undefined);
      builtin = null;
      await settingsStore.flushTotals();
    },
  };
  return controller;
}

/** ErrorInfo for anything a handler threw; ServiceErrors keep their code and fields. */
export function toErrorInfo(
  error: unknown,
  now: number,
): { error: ErrorInfo; fields?: Readonly<Record<string, string>> } {
  if (error instanceof ServiceError) {
    const info = errorInfo(error.code, error.message, now, error.detail);
    return error.fields ? { error: info, fields: error.fields } : { error: info };
  }
  return {
    error: errorInfo(
      'internal_error',
      'Something went wrong inside the app.',
      now,
      messageOf(error),
    ),
  };
}

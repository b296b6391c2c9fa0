// The data every layer agrees on: connection states, tunnel and session snapshots, log records
// and the stable error codes. Runs anywhere (no node:*, no electron, no DOM); the renderer,
// the IPC contract, the services and the engine all import their shapes from here.

/** docs/protocol.md#state-machine. */
export const CONNECTION_STATES = [
  'disconnected',
  'authenticating',
  'registered',
  'active',
  'reconnecting',
] as const;
export type ConnectionState = (typeof CONNECTION_STATES)[number];

/** What a tunnel carries: picks its preset (shared/tunnel-presets.ts) and what Open starts. */
export const TUNNEL_KINDS = ['rdp', 'ssh', 'web', 'other'] as const;
export type TunnelKind = (typeof TUNNEL_KINDS)[number];

/**
 * How a tunnel's TCP connections travel (docs/protocol.md#data-streams-feature-tcp_stream):
 * `stream` through the relay (`tcp_stream` feature), or `direct` (the client dials the target
 * itself; only for relays without `tcp_stream`, and always shown as such).
 */
export type DataMode = 'stream' | 'direct';

/**
 * Stable error codes. The first group are the relay's wire codes (docs/protocol.md#errors, v2
 * names; v1 numbers map onto them), the second are failures the client detects itself.
 */
export const ERROR_CODES = [
  // relay (wire) codes
  'invalid_token',
  'rate_limit_exceeded',
  'connection_limit_reached',
  'server_unavailable',
  'invalid_tunnel_info',
  'unknown_message_type',
  'tenant_limit_exceeded',
  'tenant_not_found',
  'ip_not_allowed',
  'buffer_pool_exhausted',
  'data_transfer_failed',
  'tunnel_exists',
  // client-side codes
  'protocol_error',
  'tls_error',
  'tls_pin_mismatch',
  'tls_version',
  'connect_timeout',
  'connection_refused',
  'connection_lost',
  'heartbeat_timeout',
  'reconnect_exhausted',
  'auth_rate_limited',
  'port_in_use',
  'listen_failed',
  'target_unreachable',
  'stream_failed',
  'token_missing',
  'token_malformed',
  'token_expired',
  /** The relay profile changed since the token was saved for it (services/token-binding.ts). */
  'token_relay_changed',
  /** A connection link that fails a check of docs/protocol.md#connection-links. */
  'invite_invalid',
  /** A connection link, or the token it carries, past its expiry. */
  'invite_expired',
  /** A connection link already accepted or answered (asked once). */
  'invite_used',
  'keychain_unavailable',
  'settings_corrupt',
  'disk_full',
  'io_error',
  'internal_error',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Values a catalogue message is filled with (shared/i18n): never a sentence of their own. */
export type MessageParams = Readonly<Record<string, string | number>>;

/**
 * Details main can say in the user's language (shared/i18n catalogue keys): the window renders
 * them from `ErrorInfo.detailKey` and `params`, never from the English `detail`.
 */
export const ERROR_DETAIL_KEYS = [
  /** params: port, command, pid. */
  'errorDetail.portHeldBy',
  /** params: port, pid (the OS did not name the program). */
  'errorDetail.portHeldByPid',
  /** The engine host child exited and is being started again (src-main/engine-host). */
  'errorDetail.engineRestarting',
  /** Published servers (services/share-details.ts), from the relay's `details.reason`: */
  /** params: name. Another client of the tenant holds the name (`name_taken`). */
  'errorDetail.serverNameTaken',
  /** params: name. The same user holds it with another key (`public_key_mismatch`). */
  'errorDetail.serverKeyMismatch',
  /** params: server. No such server this identity may reach (`unknown_server`). */
  'errorDetail.serverUnknown',
  /** params: server. Its allow list no longer has this identity (`server_not_allowed`). */
  'errorDetail.serverNotAllowed',
  /** params: server. No serving connection now (`server_offline`). */
  'errorDetail.serverOffline',
  /** params: server, port. */
  'errorDetail.portNotPublished',
  /** params: server. Its key differs from the one first seen (`server_key_changed`). */
  'errorDetail.serverKeyChanged',
] as const;
export type ErrorDetailKey = (typeof ERROR_DETAIL_KEYS)[number];

/**
 * An error as every layer reports it. The window says it from `code` (and `detailKey` with
 * `params`) in the user's language; `message` and `detail` stay English, for the log, the CLI
 * and the window's technical details.
 */
export interface ErrorInfo {
  readonly code: ErrorCode;
  /** English, for the log and the CLI. */
  readonly message: string;
  /** English context for the log (Node's reason, a field name, a relay's own words). */
  readonly detail?: string;
  /** A detail the window can put in the user's language, filled with `params`. */
  readonly detailKey?: ErrorDetailKey;
  readonly params?: MessageParams;
  /** ISO 8601 time the error was observed. */
  readonly at: string;
}

/** What a user configures for one tunnel. `id` is the wire `tunnel_id` and never changes. */
export interface TunnelConfig {
  readonly id: string;
  readonly name: string;
  readonly kind: TunnelKind;
  /** Bind address of the local listener, 127.0.0.1 unless configured otherwise. */
  readonly localHost: string;
  readonly localPort: number;
  readonly remoteHost: string;
  readonly remotePort: number;
  readonly enabled: boolean;
  /**
   * A published server's name (docs/protocol.md#reaching-a-published-server): the tunnel names
   * it in `server` and `remoteHost` is not sent.
   */
  readonly server?: string;
}

/**
 * A tunnel's own lifecycle, independent of the session's:
 * off (disabled) -> pending (waiting for the session) -> registering -> listening, or error.
 */
export type TunnelStatus = 'off' | 'pending' | 'registering' | 'listening' | 'error';

export interface TunnelSnapshot extends TunnelConfig {
  readonly status: TunnelStatus;
  /** null until the relay's features are known. */
  readonly dataMode: DataMode | null;
  /** relay -> local, bytes since the engine started. */
  readonly bytesIn: number;
  /** local -> relay, bytes since the engine started. */
  readonly bytesOut: number;
  /** Bytes per second over the last rate window. */
  readonly rateInBps: number;
  readonly rateOutBps: number;
  readonly openConnections: number;
  readonly totalConnections: number;
  readonly failedConnections: number;
  readonly error: ErrorInfo | null;
  /**
   * A tunnel to a published server: true when its streams are end to end (TLS inside, pinned
   * to the registered key), false for a keyless server; absent for other tunnels.
   */
  readonly endToEnd?: boolean;
}

/** This computer published under a name (docs/protocol.md "Published servers"). */
export type PublishStatus = 'registering' | 'online' | 'offline' | 'error';

/** One consumer's stream to this computer, as the relay named it in its OPEN. */
export interface ServedConnection {
  readonly id: number;
  readonly sub: string;
  readonly tenantId: string;
  /** The consumer's address as the relay saw it. */
  readonly remote: string;
  readonly port: number;
  /** ISO 8601. */
  readonly since: string;
  /** consumer -> this computer's service. */
  readonly bytesIn: number;
  readonly bytesOut: number;
}

export interface PublishSnapshot {
  readonly name: string;
  readonly ports: readonly number[];
  /** null: every identity of the tenant. */
  readonly allowSubs: readonly string[] | null;
  /** The registered key (base64 DER SPKI): streams are end to end; null: keyless. */
  readonly publicKey: string | null;
  readonly status: PublishStatus;
  readonly tunnelId: string | null;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly totalConnections: number;
  readonly connections: readonly ServedConnection[];
  readonly error: ErrorInfo | null;
}

export interface SessionInfo {
  /** host:port as configured. */
  readonly relay: string;
  /** True when the profile uses plaintext (`insecure`); the UI says so loudly. */
  readonly insecure: boolean;
  readonly clientId: string | null;
  readonly tenantId: string | null;
  /** ISO 8601; set when the session last became Active. */
  readonly connectedSince: string | null;
  /** 0 when not reconnecting; 1..maxReconnectAttempts while reconnecting. */
  readonly reconnectAttempt: number;
  readonly maxReconnectAttempts: number;
  /** ISO 8601 time of the next reconnect attempt, when one is scheduled. */
  readonly nextRetryAt: string | null;
  readonly relayVersion: string | null;
  readonly relayFeatures: readonly string[];
}

export interface EngineSnapshot {
  readonly state: ConnectionState;
  readonly session: SessionInfo;
  readonly tunnels: readonly TunnelSnapshot[];
  /** This computer as a published server; absent or null when it is not shared. */
  readonly publish?: PublishSnapshot | null;
  /** The error that caused the last state change for the worse, cleared once Active. */
  readonly lastError: ErrorInfo | null;
  /**
   * Rises with every snapshot of one engine, so its consumer can drop a stale one. A new engine
   * starts again; the window orders by the app-wide AppSnapshot.seq instead.
   */
  readonly seq: number;
  /** ISO 8601 time the snapshot was taken. */
  readonly at: string;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One structured log record (docs/protocol.md#metrics-and-logs). Never contains a token. */
export interface LogRecord {
  readonly timestamp: string;
  readonly level: LogLevel;
  readonly event: string;
  readonly tunnel_id: string | null;
  readonly details: Readonly<Record<string, unknown>>;
  /**
   * Position in the app's log, set by the services' logger: the same record from a query and
   * from a push has the same seq, and two records equal in every other field do not.
   */
  readonly seq?: number;
}

/** docs/protocol.md#reconnect. */
export const RECONNECT_POLICY = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxAttempts: 10,
  backoffFactor: 2,
} as const;

export const HEARTBEAT_INTERVAL_MS = 30_000;
export const HEARTBEAT_TIMEOUT_MS = 10_000;
export const CONNECT_TIMEOUT_MS = 10_000;
export const MAX_AUTH_ATTEMPTS_PER_MINUTE = 5;
/** Snapshots are delivered at most this often, whatever the traffic. */
export const SNAPSHOT_MIN_INTERVAL_MS = 250;

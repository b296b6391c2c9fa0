// The engine's public surface: what the CLI, the desktop services and the tests program
// against. Message-shaped (commands in, snapshots and log records out) so the engine could
// move into a utilityProcess without a rewrite. Never imports electron.

import type { Clock } from '../shared/clock';
import type { EngineSnapshot, LogRecord, TunnelConfig } from '../shared/model';
import type { ListedServer } from '../protocol/server-messages';

export type { ListedServer } from '../protocol/server-messages';

export type OpenerMode = 'auto' | 'client' | 'server';

/** Where and how to reach a relay (docs/protocol.md#transport). */
export interface RelayEndpoint {
  readonly host: string;
  readonly port: number;
  /** PEM text of the CA(s) to trust instead of the OS trust store and Node's roots. */
  readonly ca?: string;
  /** Base64 SHA-256 of the relay certificate's SubjectPublicKeyInfo (DER). */
  readonly pinSha256?: string;
  /** SNI and certificate name when it differs from `host`. */
  readonly serverName?: string;
  /** Plaintext TCP, for development relays only. Logged loudly at every connect. */
  readonly insecure?: boolean;
  readonly opener?: OpenerMode;
}

/** Reconnect state kept across restarts (docs/protocol.md#persisted-client-state); no JWT. */
export interface PersistedSessionState {
  readonly relay: string;
  readonly clientId: string | null;
  readonly reconnectToken: string | null;
  /** What this relay did last time, so the next connect does not wait (docs/protocol.md#opener). */
  readonly opener: 'client' | 'server' | null;
  readonly tunnelIds: readonly string[];
}

export interface SessionStatePersistence {
  load(): Promise<PersistedSessionState | null>;
  save(state: PersistedSessionState): Promise<void>;
}

/**
 * Where the publishing computer's private key is kept (docs/protocol.md "End to end"): the OS
 * keychain on the desktop, a 0600 file for the CLI. Rejects when the store cannot be used.
 */
export interface ServerKeyStore {
  /** The PKCS#8 PEM kept so far, or null before first use. */
  load(): Promise<string | null>;
  save(privateKeyPem: string): Promise<void>;
}

/** One published port and where this computer dials for it. */
export interface PublishedPort {
  readonly port: number;
  /** Default 127.0.0.1 (docs/protocol.md "Published servers": its own services). */
  readonly targetHost?: string;
  /** Default: the published port. */
  readonly targetPort?: number;
}

/** This computer published under a name (docs/protocol.md "Register"). */
export interface PublishOptions {
  readonly name: string;
  readonly ports: readonly PublishedPort[];
  /** Who may reach it: these `sub`s of the tenant; null or absent: the whole tenant. */
  readonly allowSubs?: readonly string[] | null;
  /** The key of the end-to-end layer; null publishes keyless (no inner TLS, shown as such). */
  readonly keyStore: ServerKeyStore | null;
  /** Consumers' streams carried at once; more are refused (default MAX_SERVED_STREAMS, 256). */
  readonly maxStreams?: number;
}

export interface EngineOptions {
  readonly relay: RelayEndpoint;
  readonly tunnels: readonly TunnelConfig[];
  /** Asked at every (re)connect; the engine never keeps the token in its state or logs. */
  readonly getToken: () => Promise<string>;
  /**
   * Data mode when the relay lacks `tcp_stream` (docs/protocol.md "Data streams"): refuse
   * (default), or dial targets directly and show it.
   */
  readonly allowDirect?: boolean;
  /** Ready data connections kept per relay (docs/protocol.md, the warm pool of data streams). */
  readonly poolSize?: number;
  /** Carry streams over tcp_mux when the relay announces it (docs/protocol.md); default true. */
  readonly mux?: boolean;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly persistence?: SessionStatePersistence;
  /** Client version reported in v1 `client_info`. */
  readonly clientVersion?: string;
  /** Heartbeat period (docs/protocol.md#heartbeats); default HEARTBEAT_INTERVAL_MS (30 s). */
  readonly heartbeatIntervalMs?: number;
  /** Wait for each heartbeat answer; default HEARTBEAT_TIMEOUT_MS (10 s). */
  readonly heartbeatTimeoutMs?: number;
  /** Publish this computer on every session (docs/protocol.md "Published servers"). */
  readonly publish?: PublishOptions | null;
}

export type EngineEvents = {
  /** State changes at once; counter-only changes at most every SNAPSHOT_MIN_INTERVAL_MS. */
  snapshot: (snapshot: EngineSnapshot) => void;
  log: (record: LogRecord) => void;
};

export interface Engine {
  /** Disconnected -> Authenticating. No-op unless Disconnected. */
  connect(): void;
  /** User disconnect: closes the session and every listener; established streams are ended. */
  disconnect(): Promise<void>;
  /** Skip the backoff wait (resume, network change, "Retry now"); also restarts after giving up. */
  reconnectNow(): void;
  /** Replaces the tunnel list; added/removed/changed tunnels are (un)registered as needed. */
  setTunnels(tunnels: readonly TunnelConfig[]): void;
  setTunnelEnabled(tunnelId: string, enabled: boolean): void;
  /** Switches relay; an open session is closed and, if it was wanted, reopened. */
  setRelay(relay: RelayEndpoint): void;
  /** Starts, changes or (null) stops publishing this computer; stopping unregisters it. */
  setPublish(publish: PublishOptions | null): void;
  /**
   * The tenant's published servers this identity may reach (`servers`), asked on the live
   * session. Rejects when there is none or the relay does not publish servers.
   */
  listServers(): Promise<readonly ListedServer[]>;
  snapshot(): EngineSnapshot;
  on<E extends keyof EngineEvents>(event: E, listener: EngineEvents[E]): () => void;
  /** Prometheus text exposition of the client metrics (docs/protocol.md#metrics-and-logs). */
  metrics(): Promise<string>;
  /** Stops everything and releases every socket and timer. */
  close(): Promise<void>;
}

// Every bound of the relay's front door with its default (docs/protocol.md#limits): phase
// deadlines, connection caps per source and in total, sessions per client, line sizes, auth
// and tunnel-creation budgets, refusal-log budgets, the greeting delay and the bounds of
// published servers. Resolves the options against the defaults
// and, for defaults only, against the process's open-file limit. Pure apart from reading
// /proc/self/limits when asked.

import { readFileSync } from 'node:fs';
import { MAX_LINE_BYTES } from '../protocol/codec';
import { MUX_CONTROL_OUTPUT_LIMIT, MUX_OUTPUT_STALL_MS } from '../protocol/mux-output-budget';

export interface FrontDoorLimits {
  /** TCP accepted to TLS established, absolute (HAProxy `timeout client` for the handshake). */
  readonly handshakeTimeoutMs: number;
  readonly maxHandshakes: number;
  readonly maxHandshakesPerSource: number;
  /** TLS established to first line, absolute: a byte now and then does not move it. */
  readonly firstLineTimeoutMs: number;
  /** First line of a control session to a successful auth (OpenSSH LoginGraceTime). */
  readonly authTimeoutMs: number;
  /** Connections without a first line, and control sessions before auth (MaxStartups). */
  readonly maxUnauthenticated: number;
  readonly maxUnauthenticatedPerSource: number;
  /** Established connections: authenticated sessions, mux and data connections (limit_conn). */
  readonly maxConnections: number;
  readonly maxConnectionsPerSource: number;
  /** Control sessions one client (tenant + subject) may hold at once. */
  readonly maxSessionsPerIdentity: number;
  /** An authenticated session that sends nothing for this long is dropped (3 heartbeats). */
  readonly sessionIdleTimeoutMs: number;
  /** A mux connection that receives nothing for this long is closed (3 PING periods). */
  readonly muxIdleTimeoutMs: number;
  /** Unsent non-DATA mux frames past which the peer is not read (4x closes the connection). */
  readonly muxControlOutputBytes: number;
  /** A mux connection not read for this long while its peer leaves its answers unread is closed. */
  readonly muxOutputStallMs: number;
  /** Longest line before a session has authenticated (a 16 KiB JWT and its envelope). */
  readonly maxLineBytesBeforeAuth: number;
  /** Longest line after (docs/protocol.md "Framing"). */
  readonly maxLineBytes: number;
  /** Failed authentications per source (IPv6 /64) a minute. */
  readonly authAttemptsPerMinute: number;
  /** Failed authentications per client (as the token names it) a minute. */
  readonly authFailuresPerIdentityPerMinute: number;
  /** Tunnel creations per client an hour (the protocol's 10, now per client). */
  readonly tunnelCreationsPerHour: number;
  /** Tunnel creations of all clients of one tenant an hour. */
  readonly tenantTunnelCreationsPerHour: number;
  /**
   * Reads plus messages a control connection (or one before its first line) may cost a second;
   * one that goes past it (and its burst) is closed.
   */
  readonly controlReadsPerSecond: number;
  /** The same, as a burst: a client registering many tunnels at once stays within it. */
  readonly controlReadBurst: number;
  /** A source whose penalty stands above this is refused at accept (0: no penalties). */
  readonly penaltyMinMs: number;
  readonly penaltyMaxMs: number;
  /** Penalty for running past a read budget. */
  readonly penaltyReadBudgetMs: number;
  /** Penalty for a pre-auth line past its limit. */
  readonly penaltyLineTooLongMs: number;
  /** Penalty for a handshake or auth deadline missed. */
  readonly penaltyDeadlineMs: number;
  /** Penalty for a connection that never sent its first line. */
  readonly penaltyFirstLineMs: number;
  readonly refusalLogPerConnection: number;
  readonly refusalLogPerSource: number;
  readonly refusalLogTotal: number;
  readonly refusalLogWindowMs: number;
  /** A connection silent this long after its handshake gets the relay's hello (0: never). */
  readonly greetDelayMs: number;
  /** Published servers one client (tenant + subject) may hold, live or in grace. */
  readonly maxServersPerClient: number;
  /** Published servers a tenant may hold (0: publishing off). */
  readonly maxServersPerTenant: number;
  /** Streams to one published server, from all its consumers. */
  readonly maxStreamsPerServer: number;
  /** Relay OPENs towards one published server still waiting for its answer. */
  readonly maxServerOpensInFlight: number;
}

export const DEFAULT_FRONT_DOOR_LIMITS: FrontDoorLimits = {
  handshakeTimeoutMs: 10_000,
  maxHandshakes: 512,
  maxHandshakesPerSource: 32,
  // The client's warm pool holds a data connection up to 45 s before its first line.
  firstLineTimeoutMs: 60_000,
  authTimeoutMs: 10_000,
  maxUnauthenticated: 1_024,
  maxUnauthenticatedPerSource: 32,
  maxConnections: 10_000,
  maxConnectionsPerSource: 256,
  maxSessionsPerIdentity: 32,
  // Clients heartbeat every 30 s and PING every 30 s (docs/protocol.md).
  sessionIdleTimeoutMs: 90_000,
  muxIdleTimeoutMs: 90_000,
  muxControlOutputBytes: MUX_CONTROL_OUTPUT_LIMIT,
  muxOutputStallMs: MUX_OUTPUT_STALL_MS,
  maxLineBytesBeforeAuth: 24 * 1024,
  maxLineBytes: MAX_LINE_BYTES,
  authAttemptsPerMinute: 5,
  authFailuresPerIdentityPerMinute: 5,
  tunnelCreationsPerHour: 10,
  tenantTunnelCreationsPerHour: 100,
  // A client sends a heartbeat every 30 s and a tunnel_info per tunnel (a tenant holds <= 100).
  controlReadsPerSecond: 100,
  controlReadBurst: 500,
  // OpenSSH PerSourcePenalties: min 15 s, max 600 s, grace-exceeded 10 s.
  penaltyMinMs: 15_000,
  penaltyMaxMs: 600_000,
  penaltyReadBudgetMs: 10_000,
  penaltyLineTooLongMs: 5_000,
  penaltyDeadlineMs: 10_000,
  penaltyFirstLineMs: 1_000,
  refusalLogPerConnection: 10,
  refusalLogPerSource: 20,
  refusalLogTotal: 200,
  refusalLogWindowMs: 60_000,
  // Short enough that a client waiting for the relay barely notices, long enough that one
  // that speaks first (its hello or auth follows the handshake at once) is never greeted.
  greetDelayMs: 200,
  maxServersPerClient: 10,
  maxServersPerTenant: 100,
  // One serving connection's worth (DEFAULT_MUX_MAX_STREAMS).
  maxStreamsPerServer: 256,
  maxServerOpensInFlight: 32,
};

export type FrontDoorLimitName = keyof FrontDoorLimits;

/** Gauge/counter label of each bound (cloudbridge_relay_limit{limit=...}). */
export const LIMIT_LABELS: Readonly<Record<FrontDoorLimitName, string>> = {
  handshakeTimeoutMs: 'handshake_timeout_ms',
  maxHandshakes: 'handshakes',
  maxHandshakesPerSource: 'handshakes_per_source',
  firstLineTimeoutMs: 'first_line_timeout_ms',
  authTimeoutMs: 'auth_timeout_ms',
  maxUnauthenticated: 'unauthenticated',
  maxUnauthenticatedPerSource: 'unauthenticated_per_source',
  maxConnections: 'connections',
  maxConnectionsPerSource: 'connections_per_source',
  maxSessionsPerIdentity: 'sessions_per_identity',
  sessionIdleTimeoutMs: 'session_idle_timeout_ms',
  muxIdleTimeoutMs: 'mux_idle_timeout_ms',
  muxControlOutputBytes: 'mux_control_output_bytes',
  muxOutputStallMs: 'mux_output_stall_ms',
  maxLineBytesBeforeAuth: 'line_bytes_before_auth',
  maxLineBytes: 'line_bytes',
  authAttemptsPerMinute: 'auth_failures_per_source',
  authFailuresPerIdentityPerMinute: 'auth_failures_per_identity',
  tunnelCreationsPerHour: 'tunnel_creations_per_identity',
  tenantTunnelCreationsPerHour: 'tunnel_creations_per_tenant',
  controlReadsPerSecond: 'control_reads_per_second',
  controlReadBurst: 'control_read_burst',
  penaltyMinMs: 'penalty_min_ms',
  penaltyMaxMs: 'penalty_max_ms',
  penaltyReadBudgetMs: 'penalty_read_budget_ms',
  penaltyLineTooLongMs: 'penalty_line_too_long_ms',
  penaltyDeadlineMs: 'penalty_deadline_ms',
  penaltyFirstLineMs: 'penalty_first_line_ms',
  refusalLogPerConnection: 'refusal_log_per_connection',
  refusalLogPerSource: 'refusal_log_per_source',
  refusalLogTotal: 'refusal_log_total',
  refusalLogWindowMs: 'refusal_log_window_ms',
  greetDelayMs: 'greet_delay_ms',
  maxServersPerClient: 'servers_per_client',
  maxServersPerTenant: 'servers_per_tenant',
  maxStreamsPerServer: 'streams_per_server',
  maxServerOpensInFlight: 'server_opens_in_flight',
};

export function isFrontDoorLimitName(name: string): name is FrontDoorLimitName {
  return Object.prototype.hasOwnProperty.call(DEFAULT_FRONT_DOOR_LIMITS, name);
}

/** Descriptors the relay keeps for itself (listener, log, metrics, DNS, certificates). */
const RESERVED_FDS = 64;
/** Shares of the rest for defaulted totals; established connections may each dial a target. */
const FD_SHARES = { maxHandshakes: 0.15, maxUnauthenticated: 0.15, maxConnections: 0.3 } as const;

/** The soft RLIMIT_NOFILE (Node raises it to the hard limit at start), or null off Linux. */
export function readOpenFileLimit(
  read = (path: string) => readFileSync(path, 'utf8'),
): number | null {
  try {
    const line = read('/proc/self/limits')
      .split('\n')
      .find((text) => text.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft !== undefined && /^\d+$/.test(soft) ? Number(soft) : null;
  } catch {
    return null;
  }
}

export interface ResolvedLimits {
  readonly limits: FrontDoorLimits;
  /** Totals lowered to fit the open-file limit (defaults only), for the start-up log. */
  readonly scaled: Partial<Record<FrontDoorLimitName, number>>;
}

/**
 * Options over defaults. A total left at its default is lowered to its share of the open-file
 * limit, so a flood meets the cap before the process meets EMFILE; a configured value is kept.
 * Per-source caps never exceed their totals.
 */
export function resolveFrontDoorLimits(
  options: Partial<FrontDoorLimits>,
  openFileLimit: number | null,
): ResolvedLimits {
  const limits: Record<FrontDoorLimitName, number> = { ...DEFAULT_FRONT_DOOR_LIMITS };
  for (const [name, value] of Object.entries(options)) {
    if (isFrontDoorLimitName(name) && typeof value === 'number') limits[name] = value;
  }
  const scaled: Partial<Record<FrontDoorLimitName, number>> = {};
  if (openFileLimit !== null) {
    const spare = Math.max(8, openFileLimit - RESERVED_FDS);
    for (const [name, share] of Object.entries(FD_SHARES) as Array<[FrontDoorLimitName, number]>) {
      const fit = Math.max(4, Math.floor(spare * share));
      if (options[name] === undefined && limits[name] > fit) {
        limits[name] = fit;
        scaled[name] = fit;
      }
    }
  }
  limits.maxHandshakesPerSource = Math.min(limits.maxHandshakesPerSource, limits.maxHandshakes);
  limits.maxUnauthenticatedPerSource = Math.min(
    limits.maxUnauthenticatedPerSource,
    limits.maxUnauthenticated,
  );
  limits.maxConnectionsPerSource = Math.min(limits.maxConnectionsPerSource, limits.maxConnections);
  return { limits, scaled };
}

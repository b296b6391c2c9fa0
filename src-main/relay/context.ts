// What every connection handler of one relay shares: clock, log, metrics, tenants, verifier,
// registry, limits, open-socket tracking and the line writer. Built once by relay-server.ts;
// no module-level state, so several relays can run in one process (tests, the desktop app).

import type { Socket } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { encodeMessage, type CodecError, type JsonObject } from '../protocol/codec';
import { v1CodeFor } from '../protocol/errors';
import type { TokenVerifier } from './auth';
import type { RelayLogger } from './log';
import type { RelayMetrics } from './metrics';
import type { TenantTable } from './policy';
import type { SlotPool } from './connection-limits';
import type { AuthFailureLimits, MinIntervalGate, TunnelCreationLimits } from './rate-limit';
import type { RefusalLog } from './refusal-log';
import type { SourcePenalties } from './source-penalties';
import type { FrontDoorLimits } from './relay-limits';
import type { ServerRegistry } from './published-servers';
import type { TunnelRegistry } from './registry';
import type { StreamBudget } from './stream-budget';
import type { StreamTable } from './stream-table';
import type { Clock } from '../shared/clock';

/** `identity` is the client asking (target.ts clientKeyOf): lookups are bounded per client. */
export type LookupAll = (hostname: string, identity?: string) => Promise<readonly LookupAddress[]>;

/** The front door's bounds (relay-limits.ts, docs/protocol.md#limits) and the session's own. */
export interface RelayLimits extends FrontDoorLimits {
  /** Seed v1 §5.2: heartbeats no closer than 30 s; the default leaves 2 s of slack. */
  readonly minHeartbeatIntervalMs: number;
  /** docs/protocol.md#reconnect: grace period for a dropped session's registrations. */
  readonly graceMs: number;
  /** docs/protocol.md#data-streams-feature-tcp_stream: dial timeout towards the target (10 s). */
  readonly dialTimeoutMs: number;
}

export interface RelayContext {
  readonly clock: Clock;
  readonly log: RelayLogger;
  readonly metrics: RelayMetrics;
  readonly tenants: TenantTable;
  readonly verifier: TokenVerifier;
  readonly registry: TunnelRegistry;
  /** Published servers (docs/protocol.md "Published servers"). */
  readonly servers: ServerRegistry;
  /** What register_response says of the relay (its `config`). */
  readonly serverInfo: {
    /** Where serving connections go, for a client that reached the relay as `serverName`. */
    endpoint(serverName: string | null): string;
    /** The relay's SPKI pin; null when plaintext. */
    readonly pin: string | null;
  };
  readonly authLimits: AuthFailureLimits;
  readonly tunnelLimits: TunnelCreationLimits;
  /** Rate-limited log for records a peer can cause at will (refusal-log.ts). */
  readonly refusals: RefusalLog;
  /** Penalties per source for abuse; a penalised source is refused at accept. */
  readonly penalties: SourcePenalties;
  /** Control sessions per client (tenant + subject). */
  readonly identitySessions: SlotPool;
  /** Counts one action of a bound, by its label (cloudbridge_relay_limit_hits_total). */
  hit(limit: string): void;
  readonly newHeartbeatGate: () => MinIntervalGate;
  readonly limits: RelayLimits;
  readonly lookup: LookupAll;
  readonly features: readonly string[];
  readonly version: string;
  /** Open data streams per client and tenant, from stream_open until both sockets close. */
  readonly streams: StreamTable;
  /** The ceiling on bytes held for stream peers that do not read. */
  readonly budget: StreamBudget;
  /** Open control sessions, told about a shutdown before their sockets go. */
  readonly sessions: Set<{ shutdown(): void }>;
  /** Every socket the relay holds (client and target side), for close(). */
  track(socket: Socket): void;
  nextSessionId(): number;
  isClosing(): boolean;
}

/** Control sockets whose peer stops reading are cut once this much is queued. */
export const MAX_CONTROL_BACKLOG_BYTES = 1024 * 1024;
/** After an error reply the relay waits this long for the peer to close before it cuts. */
export const LINGER_AFTER_ERROR_MS = 2_000;

/** Writes one message line. Returns false if the socket is gone or hopelessly backed up. */
export function sendLine(socket: Socket, message: JsonObject): boolean {
  if (socket.destroyed || !socket.writable) return false;
  if (socket.writableLength > MAX_CONTROL_BACKLOG_BYTES) {
    socket.destroy();
    return false;
  }
  socket.write(encodeMessage(message));
  return true;
}

/** Resolves once a socket whose write() returned false has drained, or has closed. */
export function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}

export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly details?: JsonObject;
}

/** The answer to a framing error (docs/protocol.md "Framing"): the codec's reason kept. */
export function framingError(error: CodecError): WireError {
  return {
    code: 'unknown_message_type',
    message: error.message,
    details: { reason: error.reason },
  };
}

/**
 * An `error` line or JSON (docs/protocol.md#errors): the text in `message` and in `error`
 * (older clients read it there), the v1 number in `v1_code` where there is one.
 */
export function errorMessage(error: WireError): JsonObject {
  const v1 = v1CodeFor(error.code, error.details?.['reason']);
  return {
    type: 'error',
    code: error.code,
    ...(v1 !== null ? { v1_code: v1 } : {}),
    message: error.message,
    error: error.message,
    ...(error.details ? { details: error.details } : {}),
  };
}

/**
 * Sends an error, half-closes, and drains whatever the peer still sends until it closes or
 * LINGER_AFTER_ERROR_MS pass. Draining matters: closing with unread bytes makes the kernel
 * send a reset, and a reset can discard the error line before the peer reads it.
 */
export function closeWithError(ctx: RelayContext, socket: Socket, error: WireError): void {
  ctx.metrics.errorsTotal.inc({ code: error.code });
  if (socket.destroyed) return;
  sendLine(socket, errorMessage(error));
  socket.removeAllListeners('data');
  socket.on('data', () => undefined);
  socket.resume();
  socket.end();
  const timer = setTimeout(() => socket.destroy(), LINGER_AFTER_ERROR_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('end', () => socket.destroy());
}

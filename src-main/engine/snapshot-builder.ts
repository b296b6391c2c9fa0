// The EngineSnapshot (shared/model.ts) from the parts' plain state and a time: a pure
// function. It samples no rate, bumps no sequence and keeps nothing; the facade decides when
// a snapshot is pushed and with which seq (engine.ts).

import type {
  ConnectionState,
  DataMode,
  EngineSnapshot,
  ErrorInfo,
  PublishSnapshot,
  TunnelConfig,
  TunnelSnapshot,
  TunnelStatus,
} from '../shared/model';
import { RECONNECT_POLICY } from '../shared/model';
import type { RelayEndpoint } from './types';

/** The counter values a snapshot shows (TunnelCounters has them as plain numbers). */
export interface CounterValues {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly rateInBps: number;
  readonly rateOutBps: number;
  readonly openConnections: number;
  readonly totalConnections: number;
  readonly failedConnections: number;
}

/** One tunnel as the tunnel set holds it. */
export interface TunnelState {
  readonly config: TunnelConfig;
  readonly status: TunnelStatus;
  readonly dataMode: DataMode | null;
  readonly error: ErrorInfo | null;
  readonly counters: CounterValues;
  /** A published server's registered key (null: keyless); undefined otherwise or not yet known. */
  readonly serverKey?: string | null | undefined;
}

/** The session as the supervisor holds it; times in epoch milliseconds. */
export interface SessionView {
  readonly state: ConnectionState;
  readonly relay: RelayEndpoint;
  readonly clientId: string | null;
  readonly tenantId: string | null;
  readonly connectedSince: number | null;
  readonly attempt: number;
  readonly nextRetryAt: number | null;
  readonly relayVersion: string | null;
  readonly relayFeatures: readonly string[];
  readonly lastError: ErrorInfo | null;
}

export interface SnapshotInput {
  readonly session: SessionView;
  readonly tunnels: Iterable<TunnelState>;
  /** This computer as a published server; null when it is not shared. */
  readonly publish?: PublishSnapshot | null;
  readonly seq: number;
  readonly now: number;
}

export function relayKey(relay: RelayEndpoint): string {
  return `${relay.host}:${relay.port}`;
}

function iso(ms: number | null): string | null {
  return ms !== null ? new Date(ms).toISOString() : null;
}

export function tunnelSnapshot(t: TunnelState): TunnelSnapshot {
  const c = t.counters;
  return {
    ...t.config,
    status: t.status,
    dataMode: t.dataMode,
    bytesIn: c.bytesIn,
    bytesOut: c.bytesOut,
    rateInBps: c.rateInBps,
    rateOutBps: c.rateOutBps,
    openConnections: c.openConnections,
    totalConnections: c.totalConnections,
    failedConnections: c.failedConnections,
    error: t.error,
    ...(t.config.server !== undefined && t.serverKey !== undefined
      ? { endToEnd: t.serverKey !== null }
      : {}),
  };
}

export function buildSnapshot(input: SnapshotInput): EngineSnapshot {
  const { session } = input;
  const tunnels: TunnelSnapshot[] = [];
  for (const t of input.tunnels) tunnels.push(tunnelSnapshot(t));
  return {
    state: session.state,
    session: {
      relay: relayKey(session.relay),
      insecure: session.relay.insecure === true,
      clientId: session.clientId,
      tenantId: session.tenantId,
      connectedSince: iso(session.connectedSince),
      // The attempt counter means "attempt n of 10" only while Reconnecting.
      reconnectAttempt: session.state === 'reconnecting' ? session.attempt : 0,
      maxReconnectAttempts: RECONNECT_POLICY.maxAttempts,
      nextRetryAt: iso(session.nextRetryAt),
      relayVersion: session.relayVersion,
      relayFeatures: session.relayFeatures,
    },
    tunnels,
    ...(input.publish !== undefined ? { publish: input.publish } : {}),
    lastError: session.lastError,
    seq: input.seq,
    at: new Date(input.now).toISOString(),
  };
}

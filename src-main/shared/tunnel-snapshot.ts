// A tunnel as it is shown before the engine has reported on it: its configuration, pending
// (or off when disabled), every counter at zero; and the engine snapshot shown while there is
// no engine. Runs anywhere.

import type { AppSettings } from './ipc-contract';
import {
  RECONNECT_POLICY,
  type EngineSnapshot,
  type TunnelConfig,
  type TunnelSnapshot,
} from './model';

export function idleTunnelSnapshot(config: TunnelConfig): TunnelSnapshot {
  return {
    ...config,
    status: config.enabled ? 'pending' : 'off',
    dataMode: null,
    bytesIn: 0,
    bytesOut: 0,
    rateInBps: 0,
    rateOutBps: 0,
    openConnections: 0,
    totalConnections: 0,
    failedConnections: 0,
    error: null,
  };
}

/** No engine (no relay yet, or it was closed): disconnected, the configured tunnels idle. */
export function emptyEngineSnapshot(
  settings: AppSettings,
  seq: number,
  at: string,
): EngineSnapshot {
  return {
    state: 'disconnected',
    session: {
      relay: settings.relay ? `${settings.relay.host}:${settings.relay.port}` : '',
      insecure: settings.relay?.insecure ?? false,
      clientId: null,
      tenantId: null,
      connectedSince: null,
      reconnectAttempt: 0,
      maxReconnectAttempts: RECONNECT_POLICY.maxAttempts,
      nextRetryAt: null,
      relayVersion: null,
      relayFeatures: [],
    },
    tunnels: settings.tunnels.map(idleTunnelSnapshot),
    lastError: null,
    seq,
    at,
  };
}

// A tunnel as it is shown before the engine has reported on it: its configuration, pending
// (or off when disabled), every counter at zero. Runs anywhere.

import type { TunnelConfig, TunnelSnapshot } from './model';

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

// What a tunnel row and its details say, as pure functions of the tunnel's snapshot, totals and
// history: addresses, whether Open applies, the words for its state, the time since it last
// moved bytes, whether its error is one a new local port fixes. No React, no clock of its own.
import type { TunnelTotals } from '../../src-main/shared/ipc-contract';
import type { TunnelSnapshot } from '../../src-main/shared/model';
import { dialAddress } from '../../src-main/shared/tunnel-presets';
import type { MessageKey } from '../i18n/i18n';
import { errorTextKey } from '../i18n/error-advice';
import type { TunnelHistory } from '../store/traffic-history';

export const ZERO_TOTALS: TunnelTotals = { todayIn: 0, todayOut: 0, allTimeIn: 0, allTimeOut: 0 };

/** "desk-42.corp.example:3389", "[fd00::5]:22". */
export function remoteAddress(tunnel: Pick<TunnelSnapshot, 'remoteHost' | 'remotePort'>): string {
  const host = tunnel.remoteHost.includes(':') ? `[${tunnel.remoteHost}]` : tunnel.remoteHost;
  return `${host}:${tunnel.remotePort}`;
}

export { dialAddress };

/** Remote Desktop, SSH and Web tunnels open their client once the tunnel is ready. */
export function canOpen(tunnel: Pick<TunnelSnapshot, 'kind' | 'status'>): boolean {
  return tunnel.status === 'listening' && tunnel.kind !== 'other';
}

/** A local port someone else holds, or one the OS would not open: a new port fixes it. */
export function isPortProblem(tunnel: Pick<TunnelSnapshot, 'error'>): boolean {
  const code = tunnel.error?.code;
  return code === 'port_in_use' || code === 'listen_failed';
}

/** The short line under a tunnel's state; null when the state says it all. */
export function stateReasonKey(
  tunnel: Pick<TunnelSnapshot, 'status' | 'error'>,
): MessageKey | null {
  switch (tunnel.status) {
    case 'error':
      return tunnel.error ? errorTextKey(tunnel.error.code) : null;
    case 'pending':
      return 'tunnels.reason.pending';
    case 'registering':
      return 'tunnels.reason.registering';
    default:
      return null;
  }
}

/** Milliseconds since the counters last moved, or null when that is not known. */
export function sinceActivity(history: TunnelHistory | undefined, now: number): number | null {
  const at = history?.lastActivityAt ?? null;
  return at === null ? null : Math.max(0, now - at);
}

/** A tunnel shows rates only while it can carry traffic. */
export function showsRates(tunnel: Pick<TunnelSnapshot, 'status'>): boolean {
  return tunnel.status === 'listening';
}

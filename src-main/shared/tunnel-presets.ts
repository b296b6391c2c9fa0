// What each kind of tunnel starts with (Remote Desktop, SSH, Web, Other): its usual remote
// port, the local port suggested for it and the address a client dials. Pure data and
// arithmetic; whether a port is free is main's to find out (services/port-suggestions.ts).
// Runs anywhere.

import type { TunnelConfig, TunnelKind } from './model';

export interface TunnelPreset {
  readonly kind: TunnelKind;
  /** The service's usual port on the remote computer; null for Other (the person says). */
  readonly remotePort: number | null;
  /** Remote hosts the form starts with: the computer the relay runs on, as it sees itself. */
  readonly remoteHost: string;
}

/**
 * `localhost` is the relay's own computer (the relay resolves it to loopback without DNS,
 * docs/protocol.md#target-addresses): with one's own relay that is the computer to reach, so
 * a preset works without typing; any other computer is typed over it.
 */
export const PRESET_REMOTE_HOST = 'localhost';

export const TUNNEL_PRESETS: readonly TunnelPreset[] = [
  { kind: 'rdp', remotePort: 3389, remoteHost: PRESET_REMOTE_HOST },
  { kind: 'ssh', remotePort: 22, remoteHost: PRESET_REMOTE_HOST },
  { kind: 'web', remotePort: 80, remoteHost: PRESET_REMOTE_HOST },
  { kind: 'other', remotePort: null, remoteHost: '' },
];

export function presetFor(kind: TunnelKind): TunnelPreset {
  return TUNNEL_PRESETS.find((p) => p.kind === kind) ?? { kind, remotePort: null, remoteHost: '' };
}

/** Well-known remote ports and the local port people expect for them. */
const CONVENTIONAL_LOCAL: ReadonlyMap<number, number> = new Map([
  [22, 2222],
  [80, 8080],
  [443, 8443],
]);
const LOCAL_OFFSET = 10_000;
const MAX_PORT = 65_535;

/**
 * The local port to offer first for a remote port: 22 -> 2222, 80 -> 8080, 443 -> 8443, else
 * the remote port + 10000 (3389 -> 13389, 5432 -> 15432), which stays clear of the same
 * service running on this computer; the remote port itself when that would pass 65535.
 * Main moves on to the next free one from here.
 */
export function preferredLocalPort(remotePort: number): number {
  const conventional = CONVENTIONAL_LOCAL.get(remotePort);
  if (conventional !== undefined) return conventional;
  const shifted = remotePort + LOCAL_OFFSET;
  return shifted <= MAX_PORT ? shifted : remotePort;
}

/** The web scheme a Web tunnel's remote port suggests: https for 443 and 8443, else http. */
export function webScheme(remotePort: number): 'http' | 'https' {
  return remotePort === 443 || remotePort === 8443 ? 'https' : 'http';
}

/** The address a client dials for a listener bound to `localHost` (0.0.0.0 and :: -> 127.0.0.1). */
export function dialHost(localHost: string): string {
  return localHost === '0.0.0.0' || localHost === '::' ? '127.0.0.1' : localHost;
}

/** "127.0.0.1:13389", "[::1]:2222": what to type into the client, or copy. */
export function dialAddress(tunnel: Pick<TunnelConfig, 'localHost' | 'localPort'>): string {
  const host = dialHost(tunnel.localHost);
  return host.includes(':') ? `[${host}]:${tunnel.localPort}` : `${host}:${tunnel.localPort}`;
}

/** The page a Web tunnel opens in the browser: "http://127.0.0.1:8080/". */
export function webUrl(
  tunnel: Pick<TunnelConfig, 'localHost' | 'localPort' | 'remotePort'>,
): string {
  return `${webScheme(tunnel.remotePort)}://${dialAddress(tunnel)}/`;
}

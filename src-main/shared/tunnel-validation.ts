// Field-level validation of what a user types for a tunnel or a relay profile: port ranges,
// host syntax, duplicate local ports. Pure and shared, so the editor can run the same checks
// the main process enforces; main is still the authority (never trust the renderer).

import type { RelayProfile, TunnelDraft } from './ipc-contract';
import type { TunnelConfig } from './model';

export type FieldErrors = Record<string, string>;

const MAX_NAME_LENGTH = 100;
const MAX_HOST_LENGTH = 253;

export function isValidPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65_535;
}

/** Base64 SHA-256 of a public key: 43 characters and one `=` of padding. */
export const PIN_PATTERN = /^[A-Za-z0-9+/]{43}=$/;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export function isIpv4(host: string): boolean {
  return IPV4.test(host);
}

/**
 * Longest IPv6 zone id accepted: an interface name (IFNAMSIZ is 16 bytes with the NUL on
 * Linux and macOS) or a Windows interface index.
 */
export const MAX_ZONE_ID_LENGTH = 15;
/**
 * Interface-name characters only. The local host reaches the RDP/SSH launchers
 * (services/tunnel-launcher.ts), so a zone id must never carry shell, AppleScript or
 * cmd.exe syntax (`;`, `"`, `&`, spaces, `%`).
 */
const ZONE_ID = new RegExp(`^[A-Za-z0-9_.-]{1,${MAX_ZONE_ID_LENGTH}}$`);

export function isZoneId(zone: string): boolean {
  return ZONE_ID.test(zone);
}

/** Loose IPv6 check: hex groups, one `::` at most, optional trailing IPv4 and zone. */
export function isIpv6(host: string): boolean {
  const [address = '', zone, extra] = host.split('%');
  if (extra !== undefined || !address.includes(':')) return false;
  if (zone !== undefined && !isZoneId(zone)) return false;
  if ((address.match(/::/g) ?? []).length > 1 || address.includes(':::')) return false;
  // A lone colon at either end is only valid as part of `::`.
  if (/^:[^:]/.test(address) || /[^:]:$/.test(address)) return false;
  const groups = address.split(':');
  const last = groups[groups.length - 1] ?? '';
  let budget = 8;
  if (last.includes('.')) {
    if (!isIpv4(last)) return false;
    groups.pop();
    budget = 6;
  }
  const compressed = address.includes('::');
  const filled = groups.filter((g) => g !== '');
  if (!filled.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return compressed ? filled.length < budget : filled.length === budget;
}

/** RFC 1123 host name, IPv4 literal or IPv6 literal (without brackets). */
export function isValidHost(host: string): boolean {
  if (host.length === 0 || host.length > MAX_HOST_LENGTH) return false;
  if (isIpv4(host) || isIpv6(host)) return true;
  // All-numeric dotted names that are not IPv4 (999.1.1.1) are typos, not host names.
  if (/^[\d.]+$/.test(host)) return false;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  return name.split('.').every((label) => LABEL.test(label));
}

/**
 * Checks a tunnel draft against the tunnels already configured. Returns field -> message;
 * empty means valid. `existing` includes the tunnel being edited (matched by `draft.id`).
 */
export function validateTunnelDraft(
  draft: TunnelDraft,
  existing: readonly TunnelConfig[],
): FieldErrors {
  const fields: FieldErrors = {};
  const name = draft.name.trim();
  if (name.length === 0) fields.name = 'Enter a name.';
  else if (name.length > MAX_NAME_LENGTH) fields.name = `At most ${MAX_NAME_LENGTH} characters.`;
  if (!isValidHost(draft.localHost.trim()))
    fields.localHost = 'Enter an IP address or host name to listen on.';
  if (!isValidPort(draft.localPort)) fields.localPort = 'Enter a port from 1 to 65535.';
  if (!isValidHost(draft.remoteHost.trim())) fields.remoteHost = 'Enter a host name or IP address.';
  if (!isValidPort(draft.remotePort)) fields.remotePort = 'Enter a port from 1 to 65535.';
  if (draft.id !== undefined && !existing.some((t) => t.id === draft.id))
    fields.id = 'This tunnel no longer exists.';
  if (fields.localPort === undefined) {
    const clash = existing.find((t) => t.id !== draft.id && t.localPort === draft.localPort);
    if (clash) fields.localPort = `Port ${draft.localPort} is already used by "${clash.name}".`;
  }
  return fields;
}

/** Checks a relay profile the user entered. Returns field -> message; empty means valid. */
export function validateRelayProfile(profile: RelayProfile): FieldErrors {
  const fields: FieldErrors = {};
  if (profile.name.trim().length === 0) fields.name = 'Enter a name.';
  if (!isValidHost(profile.host.trim())) fields.host = 'Enter a host name or IP address.';
  if (!isValidPort(profile.port)) fields.port = 'Enter a port from 1 to 65535.';
  if (profile.pinSha256 !== null && !PIN_PATTERN.test(profile.pinSha256)) {
    fields.pinSha256 = 'A pin is the base64 SHA-256 of the public key (44 characters).';
  }
  if (profile.serverName !== null && !isValidHost(profile.serverName))
    fields.serverName = 'Enter a host name.';
  return fields;
}

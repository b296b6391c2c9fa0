// The one rule set for what a user types for a tunnel or a relay profile: names, port ranges,
// host syntax, duplicate local ports. Returns message keys with parameters (never sentences),
// so the editor shows main's refusals in its own language. Pure; the renderer runs the same
// checks as the person types, and main is still the authority (never trust the renderer).

import type { FieldProblem, RelayProfile, TunnelDraft } from './ipc-contract';
import type { TunnelConfig } from './model';
import { isServerName } from './share-model';

/** Longest tunnel name, in UTF-16 code units after trimming. */
export const MAX_NAME_LENGTH = 64;
const MAX_HOST_LENGTH = 253;

export type TunnelDraftField =
  'id' | 'name' | 'localHost' | 'localPort' | 'remoteHost' | 'remotePort' | 'server';
export type TunnelFieldErrors = Partial<Record<TunnelDraftField, FieldProblem>>;
export type RelayProfileField = 'name' | 'host' | 'port' | 'pinSha256' | 'serverName';
export type RelayFieldErrors = Partial<Record<RelayProfileField, FieldProblem>>;

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

/** Empty is "required"; otherwise the host must be a name or an IP literal (no brackets). */
function hostProblem(text: string): FieldProblem | undefined {
  const host = text.trim();
  if (host.length === 0) return { key: 'validation.required' };
  return isValidHost(host) ? undefined : { key: 'validation.host' };
}

const WILDCARDS: ReadonlySet<string> = new Set(['0.0.0.0', '::']);

/** Two listeners collide on a port when they bind the same address or either binds all. */
export function sameBindAddress(a: string, b: string): boolean {
  const x = a.trim().toLowerCase();
  const y = b.trim().toLowerCase();
  return x === y || WILDCARDS.has(x) || WILDCARDS.has(y);
}

/**
 * Checks a tunnel draft against the tunnels already configured. Returns field -> problem;
 * empty means valid. `existing` includes the tunnel being edited (matched by `draft.id`).
 */
export function validateTunnelDraft(
  draft: TunnelDraft,
  existing: readonly TunnelConfig[],
): TunnelFieldErrors {
  const fields: { -readonly [K in TunnelDraftField]?: FieldProblem } = {};
  const name = draft.name.trim();
  if (name.length === 0) fields.name = { key: 'validation.required' };
  else if (name.length > MAX_NAME_LENGTH)
    fields.name = { key: 'validation.nameLength', params: { max: MAX_NAME_LENGTH } };
  const localHost = hostProblem(draft.localHost);
  if (localHost) fields.localHost = localHost;
  if (!isValidPort(draft.localPort)) fields.localPort = { key: 'validation.port' };
  // A published server is named, not a host (docs/protocol.md#reaching-a-published-server).
  if (draft.server !== undefined) {
    if (!isServerName(draft.server)) fields.server = { key: 'validation.serverName' };
  } else {
    const remoteHost = hostProblem(draft.remoteHost);
    if (remoteHost) fields.remoteHost = remoteHost;
  }
  if (!isValidPort(draft.remotePort)) fields.remotePort = { key: 'validation.port' };
  if (draft.id !== undefined && !existing.some((t) => t.id === draft.id))
    fields.id = { key: 'validation.tunnelGone' };
  if (fields.localPort === undefined) {
    const clash = existing.find(
      (t) =>
        t.id !== draft.id &&
        t.localPort === draft.localPort &&
        sameBindAddress(t.localHost, draft.localHost),
    );
    if (clash) fields.localPort = { key: 'validation.duplicatePort', params: { name: clash.name } };
  }
  return fields;
}

/** Checks a relay profile the user entered. Returns field -> problem; empty means valid. */
export function validateRelayProfile(profile: RelayProfile): RelayFieldErrors {
  const fields: { -readonly [K in RelayProfileField]?: FieldProblem } = {};
  if (profile.name.trim().length === 0) fields.name = { key: 'validation.required' };
  const host = hostProblem(profile.host);
  if (host) fields.host = host;
  if (!isValidPort(profile.port)) fields.port = { key: 'validation.port' };
  if (profile.pinSha256 !== null && !PIN_PATTERN.test(profile.pinSha256))
    fields.pinSha256 = { key: 'validation.pin' };
  if (profile.serverName !== null && !isValidHost(profile.serverName))
    fields.serverName = { key: 'validation.host' };
  return fields;
}

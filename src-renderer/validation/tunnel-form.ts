// The tunnel editor's form: text as typed, turned into the draft main receives and checked
// by the shared rules main enforces (shared/tunnel-validation.ts: name length, host syntax,
// ports, a local port no other tunnel on the same address uses) as the person types, and a
// preset (shared/tunnel-presets.ts) filling what the person has not typed themselves. The
// only checks of its own are on the text: an empty port is "required", a port that is not
// plain digits is a port problem. Pure.
import type { FieldProblem, TunnelDraft } from '../../src-main/shared/ipc-contract';
import {
  isIpv6,
  isValidHost as isValidSharedHost,
  validateTunnelDraft,
} from '../../src-main/shared/tunnel-validation';
import type { TunnelConfig, TunnelKind } from '../../src-main/shared/model';
import {
  PRESET_REMOTE_HOST,
  TUNNEL_PRESETS,
  presetFor,
} from '../../src-main/shared/tunnel-presets';

/** What the form holds: text as typed, parsed only on submit. */
export interface TunnelFormValues {
  readonly name: string;
  readonly kind: TunnelKind;
  readonly localHost: string;
  readonly localPort: string;
  readonly remoteHost: string;
  readonly remotePort: string;
  readonly enabled: boolean;
  /** A shared computer's name instead of a remote host ('' for a host; components/server-picker). */
  readonly server: string;
}

export type TunnelField = 'name' | 'localHost' | 'localPort' | 'remoteHost' | 'remotePort';
/** The form's fields, and `id` when the tunnel being edited is gone. */
export type TunnelFormErrors = Partial<Record<TunnelField | 'id' | 'server', FieldProblem>>;

export { MAX_NAME_LENGTH } from '../../src-main/shared/tunnel-validation';
const DEFAULT_PORTS: readonly string[] = TUNNEL_PRESETS.map((p) => String(p.remotePort ?? ''));

/** True when the remote port is empty or some kind's usual one, i.e. not typed by hand. */
export function isDefaultRemotePort(text: string): boolean {
  return DEFAULT_PORTS.includes(text.trim());
}

/** A new tunnel of `kind`: its preset's remote port and host, named by `name` (its label). */
export function emptyTunnelForm(kind: TunnelKind = 'other', name = ''): TunnelFormValues {
  const preset = presetFor(kind);
  return {
    name,
    kind,
    localHost: '127.0.0.1',
    localPort: '',
    remoteHost: preset.remoteHost,
    remotePort: preset.remotePort === null ? '' : String(preset.remotePort),
    enabled: true,
    server: '',
  };
}

/**
 * The form after choosing another preset: the kind, and the name, remote host and remote port
 * where they are still empty or a preset's own (`presetNames` are every preset's label), so
 * nothing the person typed is lost. The local port is the screen's: main suggests one.
 */
export function withPreset(
  values: TunnelFormValues,
  kind: TunnelKind,
  presetName: string,
  presetNames: readonly string[],
): TunnelFormValues {
  const preset = presetFor(kind);
  const name = values.name.trim();
  const host = values.remoteHost.trim();
  return {
    ...values,
    kind,
    name: name === '' || presetNames.includes(name) ? presetName : values.name,
    remoteHost: host === '' || host === PRESET_REMOTE_HOST ? preset.remoteHost : values.remoteHost,
    remotePort: isDefaultRemotePort(values.remotePort)
      ? preset.remotePort === null
        ? ''
        : String(preset.remotePort)
      : values.remotePort,
  };
}

export function tunnelFormFrom(config: TunnelConfig): TunnelFormValues {
  return {
    name: config.name,
    kind: config.kind,
    localHost: config.localHost,
    localPort: String(config.localPort),
    remoteHost: config.remoteHost,
    remotePort: String(config.remotePort),
    enabled: config.enabled,
    server: config.server ?? '',
  };
}

/** A whole decimal number from 1 to 65535, nothing else (no signs, spaces or exponents). */
export function parsePort(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,5}$/.test(trimmed)) return null;
  const port = Number(trimmed);
  return port >= 1 && port <= 65_535 ? port : null;
}

/** Trimmed, with the brackets that may wrap an IPv6 literal taken off (main stores it bare). */
export function unbracketHost(text: string): string {
  return text.trim().replace(/^\[(.*)\]$/, '$1');
}

/** A DNS name, an IPv4 address or an IPv6 address (brackets optional), as main checks it. */
export function isValidHost(text: string): boolean {
  const host = text.trim();
  // Brackets only ever wrap an IPv6 literal.
  if (host.startsWith('[') && host.endsWith(']')) return isIpv6(host.slice(1, -1));
  return isValidSharedHost(host);
}

/** The draft main receives; ports that are not numbers go as 0, which the rules refuse. */
export function toTunnelDraft(values: TunnelFormValues, editingId: string | null): TunnelDraft {
  return {
    ...(editingId ? { id: editingId } : {}),
    name: values.name.trim(),
    kind: values.kind,
    localHost: unbracketHost(values.localHost),
    localPort: parsePort(values.localPort) ?? 0,
    remoteHost: values.server !== '' ? values.server : unbracketHost(values.remoteHost),
    remotePort: parsePort(values.remotePort) ?? 0,
    enabled: values.enabled,
    ...(values.server !== '' ? { server: values.server } : {}),
  };
}

/**
 * Every problem in the form; an empty object means it can be submitted. `tunnels` are the
 * configured ones, the one being edited included, exactly as main checks a draft.
 */
export function validateTunnelForm(
  values: TunnelFormValues,
  tunnels: readonly TunnelConfig[],
  editingId: string | null,
): TunnelFormErrors {
  const errors: { -readonly [K in keyof TunnelFormErrors]: TunnelFormErrors[K] } = {
    ...validateTunnelDraft(toTunnelDraft(values, editingId), tunnels),
  };
  for (const field of ['localPort', 'remotePort'] as const)
    if (values[field].trim() === '') errors[field] = { key: 'validation.required' };
  return errors;
}

// Field-level checks of the tunnel editor, run as the person types: ports 1-65535, host
// syntax, a local port no other tunnel on the same address uses. Pure; the relay and main
// re-check everything (their Result.fields are shown on the same fields).
import type { TunnelDraft } from '../../src-main/shared/ipc-contract';
import { isIpv6, isValidHost as isValidSharedHost } from '../../src-main/shared/tunnel-validation';
import type { TunnelConfig, TunnelKind } from '../../src-main/shared/model';
import type { MessageKey, Params } from '../i18n/i18n';

/** What the form holds: text as typed, parsed only on submit. */
export interface TunnelFormValues {
  readonly name: string;
  readonly kind: TunnelKind;
  readonly localHost: string;
  readonly localPort: string;
  readonly remoteHost: string;
  readonly remotePort: string;
  readonly enabled: boolean;
}

export type TunnelField = 'name' | 'localHost' | 'localPort' | 'remoteHost' | 'remotePort';
export type FieldProblem = { readonly key: MessageKey; readonly params?: Params };
export type TunnelFormErrors = Partial<Record<TunnelField, FieldProblem>>;

export const MAX_NAME_LENGTH = 64;
const DEFAULT_PORTS: Readonly<Record<TunnelKind, string>> = { rdp: '3389', ssh: '22', other: '' };

/** True when the remote port is empty or some kind's usual one, i.e. not typed by hand. */
export function isDefaultRemotePort(text: string): boolean {
  return Object.values(DEFAULT_PORTS).includes(text);
}

export function emptyTunnelForm(kind: TunnelKind = 'other'): TunnelFormValues {
  return {
    name: '',
    kind,
    localHost: '127.0.0.1',
    localPort: '',
    remoteHost: '',
    remotePort: DEFAULT_PORTS[kind],
    enabled: true,
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
  };
}

/** A whole decimal number from 1 to 65535, nothing else (no signs, spaces or exponents). */
export function parsePort(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,5}$/.test(trimmed)) return null;
  const port = Number(trimmed);
  return port >= 1 && port <= 65_535 ? port : null;
}

/** A DNS name, an IPv4 address or an IPv6 address (brackets optional), as main checks it. */
export function isValidHost(text: string): boolean {
  const host = text.trim();
  // Brackets only ever wrap an IPv6 literal.
  if (host.startsWith('[') && host.endsWith(']')) return isIpv6(host.slice(1, -1));
  return isValidSharedHost(host);
}

function sameBindAddress(a: string, b: string): boolean {
  const wildcard = (h: string) => h === '0.0.0.0' || h === '::' || h === '[::]';
  return a.trim() === b.trim() || wildcard(a.trim()) || wildcard(b.trim());
}

/** Every problem in the form; an empty object means it can be submitted. */
export function validateTunnelForm(
  values: TunnelFormValues,
  others: readonly TunnelConfig[],
  editingId: string | null,
): TunnelFormErrors {
  const errors: { -readonly [K in TunnelField]?: FieldProblem } = {};
  const name = values.name.trim();
  if (name.length === 0) errors.name = { key: 'validation.required' };
  else if (name.length > MAX_NAME_LENGTH) errors.name = { key: 'validation.nameLength' };

  if (values.localHost.trim() === '') errors.localHost = { key: 'validation.required' };
  else if (!isValidHost(values.localHost)) errors.localHost = { key: 'validation.host' };

  if (values.remoteHost.trim() === '') errors.remoteHost = { key: 'validation.required' };
  else if (!isValidHost(values.remoteHost)) errors.remoteHost = { key: 'validation.host' };

  const localPort = parsePort(values.localPort);
  if (values.localPort.trim() === '') errors.localPort = { key: 'validation.required' };
  else if (localPort === null) errors.localPort = { key: 'validation.port' };
  else {
    const clash = others.find(
      (t) =>
        t.id !== editingId &&
        t.localPort === localPort &&
        sameBindAddress(t.localHost, values.localHost),
    );
    if (clash) errors.localPort = { key: 'validation.duplicatePort', params: { name: clash.name } };
  }

  if (values.remotePort.trim() === '') errors.remotePort = { key: 'validation.required' };
  else if (parsePort(values.remotePort) === null) errors.remotePort = { key: 'validation.port' };
  return errors;
}

/** The draft main receives; call only when validateTunnelForm found nothing. */
export function toTunnelDraft(values: TunnelFormValues, editingId: string | null): TunnelDraft {
  return {
    ...(editingId ? { id: editingId } : {}),
    name: values.name.trim(),
    kind: values.kind,
    localHost: values.localHost.trim(),
    localPort: parsePort(values.localPort) ?? 0,
    remoteHost: values.remoteHost.trim().replace(/^\[(.*)\]$/, '$1'),
    remotePort: parsePort(values.remotePort) ?? 0,
    enabled: values.enabled,
  };
}

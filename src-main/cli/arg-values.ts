// The words of a command line, each as a value or a UsageError (exit code 2): flags split into
// their values, and the value kinds several commands take (ports, hosts, HOST:PORT, server
// names, SPKI pins). Pure, like args.ts, which composes the commands from them.

import { isServerName } from '../protocol/server-messages';

/** A wrong command line. The CLI prints the message and the usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Parses a TCP port number, 1-65535. */
export function parsePort(text: string, what: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new UsageError(`${what}: "${text}" is not a port number`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new UsageError(`${what}: port ${port} is outside 1-65535`);
  return port;
}

export function parseHost(text: string, what: string): string {
  const host = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (host.length === 0 || host.length > 253 || /[\s/]/.test(host)) {
    throw new UsageError(`${what}: "${text}" is not a host name or address`);
  }
  return host;
}

/** `HOST:PORT`, with `[v6]:PORT` for IPv6 literals. */
export function parseHostPort(text: string, what: string): HostPort {
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(text);
  if (!match?.[1] || !match[2]) throw new UsageError(`${what}: expected HOST:PORT, got "${text}"`);
  return { host: parseHost(match[1], what), port: parsePort(match[2], what) };
}

/** A published server's name as the relay takes it (docs/protocol.md "Register"). */
export function parseServerName(text: string, what: string): string {
  const given = String(text);
  if (!isServerName(text))
    throw new UsageError(
      `${what}: "${given}" is not a server name (1-63 of a-z, 0-9, "-" and "_", a letter or digit at each end)`,
    );
  return text;
}

/** A base64 (or base64url) SHA-256: 32 bytes. Also accepts a `sha256/` prefix as in HPKP. */
export function parsePin(text: string): string {
  const bare = text.startsWith('sha256/') ? text.slice('sha256/'.length) : text;
  const normal = bare.replace(/-/g, '+').replace(/_/g, '/');
  const padded = normal.length % 4 === 0 ? normal : normal + '='.repeat(4 - (normal.length % 4));
  if (!/^[A-Za-z0-9+/]{43}=$/.test(padded)) {
    throw new UsageError('--pin: expected the base64 SHA-256 of the relay key (44 characters)');
  }
  return padded;
}

export type FlagKind = 'value' | 'switch' | 'repeat';

/** Splits `--flag value`, `--flag=value` and switches; unknown flags are usage errors. */
export function readFlags(
  argv: readonly string[],
  spec: Readonly<Record<string, FlagKind>>,
): Map<string, string[]> {
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const kind = spec[name];
    if (kind === undefined) throw new UsageError(`unknown option --${name}`);
    let value: string;
    if (kind === 'switch') {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      value = 'true';
    } else if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--'))
        throw new UsageError(`--${name} needs a value`);
      value = next;
      i++;
    }
    const list = flags.get(name) ?? [];
    if (kind !== 'repeat' && list.length > 0)
      throw new UsageError(`--${name} given more than once`);
    list.push(value);
    flags.set(name, list);
  }
  return flags;
}

export function one(flags: Map<string, string[]>, name: string): string | null {
  return flags.get(name)?.[0] ?? null;
}

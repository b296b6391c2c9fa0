// The relay's resolver for target names (docs/protocol.md#limits): `localhost` names and the
// hosts file first, then DNS through c-ares (dns.promises.Resolver), which runs on the event
// loop rather than libuv's four-thread pool, so slow names cannot starve the relay's file and
// crypto work or other users' lookups. `system` mode uses getaddrinfo for nsswitch setups.
// Bounds and caching are lookup.ts; this file only answers one name.

import { lookup as systemLookup, Resolver } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { Clock } from '../shared/clock';
import type { ResolvedAddress } from './lookup';

export type ResolverMode = 'dns' | 'system';

export interface DnsResolverOptions {
  readonly clock: Clock;
  readonly mode?: ResolverMode;
  /** DNS servers (`HOST` or `HOST:PORT`, IPv6 in brackets); default the system's. */
  readonly servers?: readonly string[];
  /** c-ares gives up on a query after about this long (its tries included). */
  readonly timeoutMs: number;
  /** Default /etc/hosts (the Windows path on Windows). */
  readonly hostsFile?: string;
}

/** RFC 6761: `localhost` and its subdomains are the loopback addresses, never asked of DNS. */
const LOCALHOST: readonly ResolvedAddress[] = [
  { address: '127.0.0.1', family: 4, ttlMs: 60_000 },
  { address: '::1', family: 6, ttlMs: 60_000 },
];
/** The hosts file is read again at most this often. */
const HOSTS_REFRESH_MS = 30_000;
const HOSTS_TTL_MS = 30_000;
/** getaddrinfo tells no TTL; its answers are kept this long. */
const SYSTEM_TTL_MS = 30_000;
const RESOLVER_TRIES = 2;

export function defaultHostsFile(): string {
  return process.platform === 'win32'
    ? `${process.env['SystemRoot'] ?? 'C:\\Windows'}\\System32\\drivers\\etc\\hosts`
    : '/etc/hosts';
}

/** name (lower case) -> addresses, from hosts-file text. */
export function parseHostsFile(text: string): Map<string, ResolvedAddress[]> {
  const table = new Map<string, ResolvedAddress[]>();
  for (const raw of text.split('\n')) {
    const [address, ...names] = (raw.split('#')[0] ?? '').trim().split(/\s+/);
    if (address === undefined || names.length === 0) continue;
    const family = isIP(address.split('%')[0] ?? '');
    if (family === 0) continue;
    for (const name of names) {
      const key = name.toLowerCase();
      const list = table.get(key) ?? [];
      if (!list.some((entry) => entry.address === address))
        list.push({ address, family, ttlMs: HOSTS_TTL_MS });
      table.set(key, list);
    }
  }
  return table;
}

export interface DnsResolver {
  resolve(hostname: string): Promise<readonly ResolvedAddress[]>;
  /** Cancels queries in flight (relay shutdown). */
  close(): void;
}

export function createDnsResolver(options: DnsResolverOptions): DnsResolver {
  const hostsFile = options.hostsFile ?? defaultHostsFile();
  let hosts: Map<string, ResolvedAddress[]> = new Map();
  let hostsReadAt = -Infinity;
  let hostsReading: Promise<void> | null = null;
  const refreshHosts = async (): Promise<void> => {
    if (options.clock.now() - hostsReadAt < HOSTS_REFRESH_MS) return;
    hostsReading ??= readFile(hostsFile, 'utf8')
      .then(
        (text) => (hosts = parseHostsFile(text)),
        () => (hosts = new Map()),
      )
      .then(() => {
        hostsReadAt = options.clock.now();
        hostsReading = null;
      });
    await hostsReading;
  };

  const resolver = new Resolver({
    timeout: Math.max(1, Math.floor(options.timeoutMs / (2 * RESOLVER_TRIES))),
    tries: RESOLVER_TRIES,
  });
  if (options.servers !== undefined && options.servers.length > 0)
    resolver.setServers([...options.servers]);

  const viaDns = async (hostname: string): Promise<ResolvedAddress[]> => {
    const [v4, v6] = await Promise.allSettled([
      resolver.resolve4(hostname, { ttl: true }),
      resolver.resolve6(hostname, { ttl: true }),
    ]);
    const out: ResolvedAddress[] = [];
    // IPv4 first: the stream dials the first allowed address, and most targets have v4 routes.
    if (v4.status === 'fulfilled')
      for (const r of v4.value) out.push({ address: r.address, family: 4, ttlMs: r.ttl * 1000 });
    if (v6.status === 'fulfilled')
      for (const r of v6.value) out.push({ address: r.address, family: 6, ttlMs: r.ttl * 1000 });
    if (out.length > 0) return out;
    const failure: unknown =
      v4.status === 'rejected' ? v4.reason : v6.status === 'rejected' ? v6.reason : null;
    // ENODATA for one family and a real error for the other: the real error says more.
    if (failure !== null) throw failure as Error;
    const error: NodeJS.ErrnoException = new Error(`${hostname} has no address`);
    error.code = 'ENODATA';
    throw error;
  };

  return {
    async resolve(hostname) {
      const name = hostname.toLowerCase().replace(/\.$/, '');
      if (name === 'localhost' || name.endsWith('.localhost')) return LOCALHOST;
      if (options.mode === 'system') {
        const answer = await systemLookup(name, { all: true, order: 'verbatim' });
        return answer.map((entry) => ({ ...entry, ttlMs: SYSTEM_TTL_MS }));
      }
      await refreshHosts();
      const fromHosts = hosts.get(name);
      if (fromHosts !== undefined) return fromHosts;
      return viaDns(name);
    },
    close: () => resolver.cancel(),
  };
}

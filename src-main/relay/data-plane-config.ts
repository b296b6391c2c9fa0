// The `streams` and `dns` objects of the relay's JSON config file (docs/protocol.md#limits),
// checked and turned into the options data-plane.ts takes. Pure; config.ts calls it and turns
// a DataPlaneConfigError into its own ConfigError.

import type { DnsOptions, StreamOptions } from './data-plane';

export class DataPlaneConfigError extends Error {
  override readonly name = 'DataPlaneConfigError';
}

type Fields = Record<string, unknown>;

function section(file: Fields, key: string): Fields | undefined {
  const value = file[key];
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new DataPlaneConfigError(`"${key}" must be an object`);
  return value as Fields;
}

function whole(fields: Fields, where: string, key: string): number | undefined {
  const value = fields[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new DataPlaneConfigError(`"${where}.${key}" must be a whole number >= 0`);
  return value;
}

function positive(fields: Fields, where: string, key: string): number | undefined {
  const value = whole(fields, where, key);
  if (value === 0) throw new DataPlaneConfigError(`"${where}.${key}" must be at least 1`);
  return value;
}

function pick<T extends object>(entries: ReadonlyArray<readonly [keyof T, unknown]>): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of entries) if (value !== undefined) out[key] = value as T[keyof T];
  return out;
}

/** `streams` and `dns` from a parsed config file; absent sections give absent options. */
export function parseDataPlaneConfig(file: Fields): {
  streams?: Partial<StreamOptions>;
  dns?: Partial<DnsOptions>;
} {
  const out: { streams?: Partial<StreamOptions>; dns?: Partial<DnsOptions> } = {};
  const streams = section(file, 'streams');
  if (streams !== undefined) {
    const readKernelQueues = streams['readKernelQueues'];
    if (readKernelQueues !== undefined && typeof readKernelQueues !== 'boolean')
      throw new DataPlaneConfigError('"streams.readKernelQueues" must be true or false');
    out.streams = pick<StreamOptions>([
      ['idleTimeoutMs', whole(streams, 'streams', 'idleTimeoutMs')],
      ['halfClosedTimeoutMs', whole(streams, 'streams', 'halfClosedTimeoutMs')],
      ['maxPerClient', whole(streams, 'streams', 'maxPerClient')],
      ['maxBufferedBytesPerClient', whole(streams, 'streams', 'maxBufferedBytesPerClient')],
      ['maxBufferedBytesPerTenant', whole(streams, 'streams', 'maxBufferedBytesPerTenant')],
      ['readKernelQueues', readKernelQueues],
    ]);
  }
  const dns = section(file, 'dns');
  if (dns !== undefined) {
    const mode = dns['mode'];
    if (mode !== undefined && mode !== 'dns' && mode !== 'system')
      throw new DataPlaneConfigError('"dns.mode" must be "dns" or "system"');
    const servers = dns['servers'];
    if (
      servers !== undefined &&
      (!Array.isArray(servers) ||
        !servers.every(
          (s) => typeof s === 'string' && /^(\[[0-9a-fA-F:.]+\]|[^\s:]+)(:\d{1,5})?$/.test(s),
        ))
    )
      throw new DataPlaneConfigError('"dns.servers" must be a list of "HOST" or "HOST:PORT"');
    const hostsFile = dns['hostsFile'];
    if (hostsFile !== undefined && typeof hostsFile !== 'string')
      throw new DataPlaneConfigError('"dns.hostsFile" must be a path');
    out.dns = pick<DnsOptions>([
      ['mode', mode],
      ['servers', servers],
      ['hostsFile', hostsFile],
      ['timeoutMs', positive(dns, 'dns', 'timeoutMs')],
      ['perClient', positive(dns, 'dns', 'perClient')],
      ['total', positive(dns, 'dns', 'total')],
      ['cacheEntries', positive(dns, 'dns', 'cacheEntries')],
      ['maxTtlMs', whole(dns, 'dns', 'maxTtlMs')],
      ['negativeTtlMs', whole(dns, 'dns', 'negativeTtlMs')],
    ]);
  }
  return out;
}

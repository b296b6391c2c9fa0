// The `streams` and `dns` sections of the relay's config file and a tenant's per-client
// stream limit: what they turn into, and plain-words errors for what is malformed.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseRelayArgs } from '../../src-main/relay/config';

let dir: string;
const env = { CLOUDBRIDGE_JWT_SECRET: 'config-test-secret-0123456789' };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'relay-data-plane-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parse(config: unknown) {
  const path = join(dir, `c-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(config));
  return parseRelayArgs(['--listen', '127.0.0.1:0', '--config', path], env).options;
}

describe('streams and dns in the config file', () => {
  it('passes every key on', () => {
    const options = parse({
      streams: {
        idleTimeoutMs: 0,
        halfClosedTimeoutMs: 30_000,
        maxPerClient: 64,
        maxBufferedBytesPerClient: 8_388_608,
        maxBufferedBytesPerTenant: 0,
        readKernelQueues: false,
      },
      dns: {
        mode: 'system',
        servers: ['127.0.0.1:5353', '[::1]', 'dns.internal'],
        hostsFile: '/etc/hosts.relay',
        timeoutMs: 2_000,
        perClient: 2,
        total: 16,
        cacheEntries: 100,
        maxTtlMs: 10_000,
        negativeTtlMs: 0,
      },
      tenants: [
        { id: 'acme', maxConnections: 10, maxConnectionsPerClient: 2, allow: ['10.0.0.0/8'] },
      ],
    });
    expect(options.streams).toEqual({
      idleTimeoutMs: 0,
      halfClosedTimeoutMs: 30_000,
      maxPerClient: 64,
      maxBufferedBytesPerClient: 8_388_608,
      maxBufferedBytesPerTenant: 0,
      readKernelQueues: false,
    });
    expect(options.dns).toMatchObject({ mode: 'system', perClient: 2, negativeTtlMs: 0 });
    expect(options.tenants?.[0]).toMatchObject({ maxConnectionsPerClient: 2 });
  });

  it('leaves both out when the file has neither', () => {
    const options = parse({});
    expect(options.streams).toBeUndefined();
    expect(options.dns).toBeUndefined();
  });

  it('refuses malformed values, naming the key', () => {
    for (const [config, message] of [
      [{ streams: [] }, /"streams" must be an object/],
      [{ streams: { idleTimeoutMs: -1 } }, /streams\.idleTimeoutMs/],
      [{ streams: { maxPerClient: 1.5 } }, /streams\.maxPerClient/],
      [{ streams: { readKernelQueues: 'yes' } }, /streams\.readKernelQueues/],
      [{ dns: { mode: 'doh' } }, /dns\.mode/],
      [{ dns: { servers: ['127.0.0.1:53 x'] } }, /dns\.servers/],
      [{ dns: { perClient: 0 } }, /dns\.perClient/],
      [{ dns: { timeoutMs: '5s' } }, /dns\.timeoutMs/],
      [
        { tenants: [{ id: 'a', maxConnectionsPerClient: -2, allow: [] }] },
        /maxConnectionsPerClient/,
      ],
    ] as const) {
      expect(() => parse(config), JSON.stringify(config)).toThrow(ConfigError);
      expect(() => parse(config), JSON.stringify(config)).toThrow(message);
    }
  });
});

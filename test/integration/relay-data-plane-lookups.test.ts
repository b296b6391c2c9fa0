// Target lookups under attack (docs/protocol.md#limits): one client's OPENs to slowly
// resolving names cannot make another client's hostname streams fail. Against the real relay
// process with c-ares pointed at a DNS server on 127.0.0.1 that never answers the slow names,
// and in-process with a resolver that, like getaddrinfo, has four threads.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LookupAddress } from 'node:dns';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  relayBundlePath,
  sharedTestPki,
  startTestRelay,
  type RawRelayClient,
} from '../harness/relay';
import { startEchoServer, type TestServer } from '../harness/traffic';
import {
  metricValue,
  openClassicStream,
  registerTunnel,
  spawnConfiguredRelay,
  startFakeDns,
  type Registered,
} from './relay-data-plane-helpers';

const clients: RawRelayClient[] = [];
const closers: Array<() => Promise<void>> = [];
const track = (client: RawRelayClient): void => void clients.push(client);

beforeAll(async () => {
  await Promise.all([sharedTestPki(), relayBundlePath()]);
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const close of closers.splice(0).reverse()) await close();
});

async function echo(): Promise<TestServer> {
  const server = await startEchoServer();
  closers.push(() => server.close());
  return server;
}

async function roundTrip(client: RawRelayClient, text: string): Promise<string> {
  const answer = new Promise<string>((resolve) =>
    client.socket.once('data', (chunk: Buffer) => resolve(chunk.toString())),
  );
  client.socket.write(text);
  return answer;
}

const TENANT = {
  id: 'acme',
  maxTunnels: 20,
  maxConnections: 100,
  maxConnectionsPerClient: 50,
  allow: ['127.0.0.0/8'],
};

describe('lookups through c-ares (the relay process)', () => {
  it("keeps another client's hostname streams working while one client's 16 OPENs wait on names that never resolve", async () => {
    const dns = await startFakeDns({ 'good.test': '127.0.0.1' });
    closers.push(() => dns.close());
    const dir = mkdtempSync(join(tmpdir(), 'relay-hosts-'));
    closers.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    writeFileSync(join(dir, 'hosts'), '127.0.0.1 intranet.test\n');
    const relay = await spawnConfiguredRelay({
      tenants: [TENANT],
      // No negative caching here: every OPEN has to wait on the silent server itself.
      dns: {
        servers: [dns.address],
        // Long enough that bob's streams finish inside it on a busy machine.
        timeoutMs: 3_000,
        negativeTtlMs: 0,
        hostsFile: join(dir, 'hosts'),
      },
    });
    closers.push(() => relay.close());
    const target = await echo();

    const slow: Registered[] = [];
    for (const name of ['a.slow.test', 'b.slow.test']) {
      slow.push(
        await registerTunnel(
          relay,
          { sub: 'mallory', tenant: 'acme', tunnelId: `t-${name}`, host: name, port: target.port },
          track,
        ),
      );
    }
    let attackAnswered = 0;
    const attack = Array.from({ length: 16 }, (_, i) =>
      openClassicStream(relay, slow[i % 2]!, track).then(({ reply }) => {
        attackAnswered += 1;
        return reply;
      }),
    );
    const bob = await registerTunnel(
      relay,
      { sub: 'bob', tenant: 'acme', tunnelId: 't-good', host: 'good.test', port: target.port },
      track,
    );
    const intranet = await registerTunnel(
      relay,
      { sub: 'bob', tenant: 'acme', tunnelId: 't-hosts', host: 'intranet.test', port: target.port },
      track,
    );
    for (const reg of [bob, bob, bob, intranet]) {
      const { client, reply } = await openClassicStream(relay, reg, track);
      expect(reply).toEqual({ type: 'stream_response', status: 'ok' });
      expect(await roundTrip(client, 'resolved')).toBe('resolved');
    }
    // Bob was served while mallory's lookups were still waiting on the silent server.
    expect(attackAnswered).toBe(0);
    const refused = await Promise.all(attack);
    for (const reply of refused)
      expect(reply).toMatchObject({
        type: 'error',
        code: 'data_transfer_failed',
        details: { reason: 'lookup_failed' },
      });
    // One lookup per name at a time; the hosts file never reaches DNS.
    expect(dns.asked).not.toContain('intranet.test');
    expect(dns.asked.filter((name) => name === 'good.test').length).toBeLessThanOrEqual(4);
    expect(
      await metricValue(relay.metricsUrl, 'cloudbridge_relay_lookups_total', '{result="timeout"}'),
    ).toBeGreaterThan(0);
  });
});

describe('lookups through getaddrinfo (system mode)', () => {
  it("leaves pool threads for another client while one client's lookups hang", async () => {
    // Like getaddrinfo on libuv's pool: four threads, a fifth lookup waits for one.
    let busy = 0;
    const queue: Array<() => void> = [];
    const hung: Array<() => void> = [];
    const pool = (hostname: string): Promise<readonly LookupAddress[]> =>
      new Promise((resolve) => {
        const run = (): void => {
          busy += 1;
          const done = (): void => {
            busy -= 1;
            queue.shift()?.();
          };
          if (hostname.endsWith('.slow.test')) {
            hung.push(() => {
              done();
              resolve([]);
            });
          } else {
            done();
            resolve([{ address: '127.0.0.1', family: 4 }]);
          }
        };
        if (busy < 4) run();
        else queue.push(run);
      });
    const relay = await startTestRelay({
      tenants: [TENANT],
      lookup: pool,
      dns: { mode: 'system', timeoutMs: 1_500 },
    });
    closers.push(async () => {
      for (const release of hung.splice(0)) release();
      await relay.close();
    });
    const target = await echo();
    const slow: Registered[] = [];
    for (let i = 0; i < 4; i++) {
      slow.push(
        await registerTunnel(
          relay,
          {
            sub: 'mallory',
            tenant: 'acme',
            tunnelId: `t-${i}`,
            host: `n${i}.slow.test`,
            port: target.port,
          },
          track,
        ),
      );
    }
    const attack = slow.map((reg) => openClassicStream(relay, reg, track));
    const bob = await registerTunnel(
      relay,
      { sub: 'bob', tenant: 'acme', tunnelId: 't-good', host: 'good.test', port: target.port },
      track,
    );
    const { client, reply } = await openClassicStream(relay, bob, track);
    expect(reply).toEqual({ type: 'stream_response', status: 'ok' });
    expect(await roundTrip(client, 'served')).toBe('served');
    expect(busy).toBeLessThan(4);
    await Promise.all(attack);
  });
});

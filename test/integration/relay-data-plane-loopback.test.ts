// The relay as an open proxy to its own host (docs/protocol.md#target-addresses), against the
// real cloudbridge-relay process: with only broad rules (0.0.0.0/0, ::/0) no spelling of its
// loopback or unspecified addresses, its own /metrics port included, is reached, at
// registration or per stream; a rule that names loopback opens it; no rule refuses everything.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  connectRawClient,
  relayBundlePath,
  sharedTestPki,
  spawnRelayProcess,
  startTestRelay,
  type RawRelayClient,
  type RelayProcess,
} from '../harness/relay';
import { startEchoServer, type TestServer } from '../harness/traffic';
import { openClassicStream, registerTunnel } from './relay-data-plane-helpers';

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

async function relayWith(args: readonly string[]): Promise<RelayProcess & { metricsPort: number }> {
  const relay = await spawnRelayProcess({ args: [...args, '--metrics', '127.0.0.1:0'] });
  closers.push(() => relay.close());
  const url = String(relay.logs.find((r) => r.event === 'relay_listening')?.details['metrics']);
  return Object.assign(relay, { metricsPort: Number(new URL(url).port) });
}

async function echo(host = '127.0.0.1'): Promise<TestServer> {
  const server = await startEchoServer(host);
  closers.push(() => server.close());
  return server;
}

/** An authenticated session; register() sends tunnel_info and returns the answer. */
async function session(relay: RelayProcess) {
  const control = await connectRawClient(relay);
  track(control);
  control.send({ type: 'auth', token: await relay.token({ sub: 'mallory' }) });
  expect(await control.next()).toMatchObject({ type: 'auth_response' });
  return {
    register: async (host: string, port: number, id: string) => {
      control.send({
        type: 'tunnel_info',
        tunnel_id: id,
        local_port: 10000,
        remote_host: host,
        remote_port: port,
      });
      return control.next(10_000);
    },
  };
}

const LOOPBACK_SPELLINGS = [
  '127.0.0.1',
  '127.1',
  '127.255.255.254',
  '0',
  '0.0.0.0',
  '2130706433',
  '0x7f.1',
  '::1',
  '[::1]',
  '::',
  'localhost',
  '::ffff:127.0.0.1',
  '::ffff:0:127.0.0.1',
  '::127.0.0.1',
  '64:ff9b::127.0.0.1',
  '2002:7f00:1::1',
];

describe('broad rules', () => {
  it("refuses every spelling of the relay host's loopback, its /metrics port included", async () => {
    const relay = await relayWith(['--allow', '0.0.0.0/0', '--allow', '::/0']);
    const target = await echo();
    const mallory = await session(relay);
    for (const [i, host] of LOOPBACK_SPELLINGS.entries()) {
      for (const port of [relay.metricsPort, target.port, relay.port]) {
        const answer = await mallory.register(host, port, `t-${i}-${port}`);
        expect(answer, `${host}:${port}`).toMatchObject({ type: 'error', code: 'ip_not_allowed' });
      }
    }
    expect(target.connections).toBe(0);
  });

  it('checks again per stream, so a name that later resolves to loopback is refused', async () => {
    const target = await echo();
    let answers = ['8.8.8.8', '127.0.0.1'];
    const relay = await startTestRelay({
      allow: ['0.0.0.0/0'],
      lookup: () => {
        const address = answers[0] ?? '127.0.0.1';
        answers = answers.slice(1);
        return Promise.resolve([{ address, family: 4 }]);
      },
    });
    closers.push(() => relay.close());
    const reg = await registerTunnel(
      relay,
      { sub: 'mallory', tunnelId: 't-late', host: 'rebinds.test', port: target.port },
      track,
    );
    const { reply } = await openClassicStream(relay, reg, track);
    expect(reply).toMatchObject({ type: 'error', code: 'ip_not_allowed' });
    expect(target.connections).toBe(0);
  });
});

describe('explicit rules', () => {
  it('reaches loopback when a rule names it', async () => {
    const relay = await relayWith(['--allow', '127.0.0.1/32']);
    const target = await echo();
    const reg = await registerTunnel(
      relay,
      { sub: 'alice', tunnelId: 't-ok', host: '127.0.0.1', port: target.port },
      track,
    );
    const { client, reply } = await openClassicStream(relay, reg, track);
    expect(reply).toEqual({ type: 'stream_response', status: 'ok' });
    const answer = new Promise<string>((resolve) =>
      client.socket.once('data', (chunk: Buffer) => resolve(chunk.toString())),
    );
    client.socket.write('named on purpose');
    expect(await answer).toBe('named on purpose');
    // What the rule does not name stays closed.
    expect(
      await (await session(relay)).register('127.0.0.2', target.port, 't-other'),
    ).toMatchObject({
      code: 'ip_not_allowed',
    });
  });

  it('refuses every target when the relay has no rule', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-no-rule-'));
    closers.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    writeFileSync(join(dir, 'relay.json'), '{}');
    const bare = await spawnRelayProcess({ args: ['--config', join(dir, 'relay.json')] });
    closers.push(() => bare.close());
    const target = await echo();
    const mallory = await session(bare);
    for (const host of ['127.0.0.1', '::1', '10.0.0.1']) {
      const answer = await mallory.register(host, target.port, `t-${host}`);
      expect(answer, host).toMatchObject({ code: 'ip_not_allowed' });
    }
    expect(target.connections).toBe(0);
  });
});

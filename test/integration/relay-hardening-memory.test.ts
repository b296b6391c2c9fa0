// What a peer's bytes and refusals cost the relay process (docs/protocol.md#limits): a long
// line sent as 1-byte TLS records holds about its own length, lines before auth are small, and
// a flood of refused requests writes a few log lines and a count of the rest.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { relayBundlePath, sharedTestPki, type RawRelayClient } from '../harness/relay';
import {
  closeHardenedRelays,
  destroyAttackSockets,
  eventually,
  lineClient,
  sleep,
  startHardenedRelay,
  type HardenedRelay,
} from './relay-hardening-helpers';

beforeAll(async () => {
  await Promise.all([relayBundlePath(), sharedTestPki()]);
});

afterEach(async () => {
  destroyAttackSockets();
  await closeHardenedRelays();
});

const NO_READ_BUDGET = [
  '--limit',
  'controlReadsPerSecond=10000000',
  '--limit',
  'controlReadBurst=10000000',
] as const;

/** Writes `bytes` one TLS record each: every write waits for the one before to go out. */
async function dribble(client: RawRelayClient, bytes: Buffer): Promise<void> {
  for (let i = 0; i < bytes.length; i++) {
    await new Promise<void>((resolve, reject) =>
      client.socket.write(bytes.subarray(i, i + 1), (error) => (error ? reject(error) : resolve())),
    );
  }
}

async function authed(relay: HardenedRelay, sub: string, from?: string): Promise<RawRelayClient> {
  const client = await lineClient(relay, from);
  client.send({ type: 'auth', token: await relay.token(sub) });
  expect(await client.next()).toMatchObject({ type: 'auth_response' });
  return client;
}

describe('partial lines', () => {
  it('cost about their own length when they arrive as 1-byte TLS records', async () => {
    // The read budget would close these connections long before: lifted to look at memory.
    const relay = await startHardenedRelay({ args: [...NO_READ_BUDGET] });
    const LINE = 192 * 1024;
    const clients = await Promise.all([0, 1, 2, 3].map((i) => authed(relay, `slow-${i}`)));
    const before = relay.rss();
    const line = Buffer.alloc(LINE, 0x61);
    line.write('{"type":"heartbeat","pad":"');
    await Promise.all(clients.map((client) => dribble(client, line)));
    const grown = relay.rss() - before;
    // 4 x 192 KiB held. One Buffer per record held ~150 bytes per byte (~115 MB here).
    expect(grown).toBeLessThan(40 * 1024 * 1024);
    // Every line is still open and the relay answers once it ends.
    const last = clients[0];
    last?.sendRaw('"}\n');
    expect(await last?.next()).toMatchObject({ type: 'heartbeat_response' });
  });

  it('refuses a line longer than the pre-auth limit before auth, and takes a long one after', async () => {
    const relay = await startHardenedRelay();
    const early = await lineClient(relay);
    early.sendRaw(`{"type":"hello","pad":"${'x'.repeat(30 * 1024)}`);
    expect(await early.next()).toMatchObject({
      type: 'error',
      code: 'unknown_message_type',
      details: { reason: 'line_too_long' },
    });
    const late = await authed(relay, 'long-lines');
    late.send({ type: 'heartbeat', pad: 'x'.repeat(200 * 1024) });
    expect(await late.next()).toMatchObject({ type: 'heartbeat_response' });
    expect(
      await relay.metric('cloudbridge_relay_limit_hits_total{limit="line_bytes_before_auth"}'),
    ).toBe(1);
    expect(await relay.metric('cloudbridge_relay_limit{limit="line_bytes_before_auth"}')).toBe(
      24 * 1024,
    );
  });
});

describe('the read budget of a connection', () => {
  it('closes a first line dribbled in 1-byte TLS records, and a session flooding unknown messages', async () => {
    const relay = await startHardenedRelay({
      args: ['--limit', 'controlReadsPerSecond=50', '--limit', 'controlReadBurst=200'],
    });
    // Each from its own address: an abusive source is penalised (see below).
    const dribbler = await lineClient(relay, '127.0.14.1');
    await dribble(dribbler, Buffer.from(`{"type":"hello","pad":"${'x'.repeat(1_000)}`)).catch(
      () => undefined,
    );
    expect(await dribbler.next()).toMatchObject({
      type: 'error',
      code: 'rate_limit_exceeded',
      details: { reason: 'read_budget' },
    });
    const flood = await authed(relay, 'flooder', '127.0.14.2');
    flood.sendRaw('{"type":"teleport"}\n'.repeat(1_000));
    let reply = await flood.next();
    while (reply['code'] === 'unknown_message_type') reply = await flood.next();
    expect(reply).toMatchObject({
      code: 'rate_limit_exceeded',
      details: { reason: 'read_budget' },
    });
    await flood.closed();
    // A client within the budget is not touched: 150 messages in a burst, then at its pace.
    const steady = await authed(relay, 'steady');
    steady.sendRaw('{"type":"teleport"}\n'.repeat(150));
    for (let i = 0; i < 150; i++)
      expect(await steady.next()).toMatchObject({ code: 'unknown_message_type' });
    expect(
      await relay.metric('cloudbridge_relay_limit_hits_total{limit="control_reads_per_second"}'),
    ).toBe(2);
  });
});

describe('penalties per source', () => {
  it('refuses an abusive source at accept until its penalty decays, and no one else', async () => {
    const relay = await startHardenedRelay({
      args: [
        ...['--limit', 'controlReadsPerSecond=50', '--limit', 'controlReadBurst=100'],
        ...['--limit', 'penaltyMinMs=1000', '--limit', 'penaltyReadBudgetMs=2500'],
      ],
    });
    const abuser = await lineClient(relay, '127.0.13.1');
    await dribble(abuser, Buffer.from(`{"type":"hello","pad":"${'x'.repeat(500)}`)).catch(
      () => undefined,
    );
    expect(await abuser.next()).toMatchObject({ details: { reason: 'read_budget' } });
    // Penalised: reset at accept, before the handshake.
    await expect(lineClient(relay, '127.0.13.1')).rejects.toThrow();
    expect(await authed(relay, 'bystander')).toBeDefined();
    expect(await relay.metric('cloudbridge_relay_limit_hits_total{limit="source_penalised"}')).toBe(
      1,
    );
    await sleep(1_700);
    const back = await lineClient(relay, '127.0.13.1');
    back.send({ type: 'hello', version: '1.0', features: [] });
    expect(await back.next()).toMatchObject({ type: 'hello_response' });
  });
});

describe('refusal logging', () => {
  it('writes 10 records for 20,000 unknown messages on one session, then how many it dropped', async () => {
    const relay = await startHardenedRelay({ args: [...NO_READ_BUDGET] });
    const flood = await authed(relay, 'flooder');
    flood.detach();
    let answered = 0;
    flood.socket.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 0x0a) answered += 1;
    });
    const line = Buffer.from('{"type":"teleport"}\n'.repeat(1_000));
    for (let i = 0; i < 20; i++) flood.sendRaw(line);
    await eventually(
      () => answered,
      (n) => n >= 20_000,
      20_000,
    );
    expect(answered).toBe(20_000);
    flood.destroy();
    const summary = await eventually(
      () => relay.logs.find((r) => r.event === 'refusals_suppressed'),
      (r) => r !== undefined,
      5_000,
    );
    expect(summary?.details).toMatchObject({ scope: 'connection', suppressed: 19_990 });
    expect(relay.logs.filter((r) => r.event === 'request_refused')).toHaveLength(10);
    expect(await relay.metric('cloudbridge_relay_log_suppressed_total')).toBe(19_990);
  });

  it('writes at most the per-source budget for many refused connections, and sums the rest up', async () => {
    const relay = await startHardenedRelay({
      args: ['--limit', 'refusalLogWindowMs=1500', '--limit', 'refusalLogPerSource=5'],
    });
    for (let i = 0; i < 30; i++) {
      const client = await lineClient(relay, '127.0.12.1');
      client.sendRaw('not json\n');
      expect(await client.next()).toMatchObject({ details: { reason: 'invalid_json' } });
      client.destroy();
    }
    const framing = relay.logs.filter((r) => r.event === 'framing_error');
    expect(framing).toHaveLength(5);
    await sleep(1_600);
    const summary = await eventually(
      () =>
        relay.logs.find(
          (r) => r.event === 'refusals_suppressed' && r.details['scope'] === 'source',
        ),
      (r) => r !== undefined,
      3_000,
    );
    expect(summary?.details).toMatchObject({ remote: '127.0.12.1' });
    expect(Number(summary?.details['suppressed'])).toBeGreaterThanOrEqual(25);
  });
});

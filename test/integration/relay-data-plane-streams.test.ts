// Attacks on the relay's stream accounting, against the real cloudbridge-relay process
// (docs/protocol.md#limits): one client's streams cannot use up its tenant, half-closed and
// idle streams are reaped with their slots and file descriptors, a client's streams end with
// its registrations after the grace period, and a client that leaves abruptly leaves no slot.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, FrameType } from '../../src-main/protocol/mux-frames';
import { relayBundlePath, sharedTestPki, type RawRelayClient } from '../harness/relay';
import { startEchoServer, type TestServer } from '../harness/traffic';
import {
  errorOf,
  eventually,
  hasFrame,
  metricValue,
  openClassicStream,
  openFds,
  openMuxPeer,
  registerTunnel,
  spawnConfiguredRelay,
  startStalledTarget,
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

async function relayWith(config: Record<string, unknown>, args: readonly string[] = []) {
  const relay = await spawnConfiguredRelay(config, args);
  closers.push(() => relay.close());
  return relay;
}

async function echo(): Promise<TestServer> {
  const server = await startEchoServer();
  closers.push(() => server.close());
  return server;
}

async function stalled() {
  const server = await startStalledTarget();
  closers.push(() => server.close());
  return server;
}

const acme = (overrides: Record<string, unknown> = {}) => ({
  tenants: [
    {
      id: 'acme',
      maxTunnels: 10,
      maxConnections: 8,
      maxConnectionsPerClient: 3,
      allow: ['127.0.0.0/8'],
      ...overrides,
    },
  ],
});

describe('stream limits per client', () => {
  it("refuses one client's streams beyond its own limit, and another client of the tenant still gets its streams", async () => {
    const relay = await relayWith(acme());
    const sink = await stalled();
    const target = await echo();
    const alice = await registerTunnel(
      relay,
      { sub: 'alice', tenant: 'acme', tunnelId: 't-a', host: '127.0.0.1', port: sink.port },
      track,
    );
    const replies: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 8; i++) {
      const { client, reply } = await openClassicStream(relay, alice, track);
      replies.push(reply);
      // Half-closed: the client is done sending, the target never answers.
      if (reply['type'] === 'stream_response') client.socket.end();
    }
    expect(replies.filter((r) => r['type'] === 'stream_response')).toHaveLength(3);
    expect(replies.slice(3)).toEqual(
      Array(5).fill(
        expect.objectContaining({
          code: 'connection_limit_reached',
          details: { limit: 3, scope: 'client' },
        }),
      ),
    );
    const bob = await registerTunnel(
      relay,
      { sub: 'bob', tenant: 'acme', tunnelId: 't-b', host: '127.0.0.1', port: target.port },
      track,
    );
    const { client, reply } = await openClassicStream(relay, bob, track);
    expect(reply).toEqual({ type: 'stream_response', status: 'ok' });
    const echoed = new Promise<string>((resolve) =>
      client.socket.once('data', (chunk: Buffer) => resolve(chunk.toString())),
    );
    client.socket.write('bob is served');
    expect(await echoed).toBe('bob is served');
  });
});

describe('reaping', () => {
  it('resets half-closed streams that stay silent, classic and mux alike, and gives back their slots and fds', async () => {
    const reaping = await relayWith({
      ...acme({ maxConnectionsPerClient: 6 }),
      streams: { halfClosedTimeoutMs: 400 },
    });
    const sink = await stalled();
    const alice = await registerTunnel(
      reaping,
      { sub: 'alice', tenant: 'acme', tunnelId: 't-a', host: '127.0.0.1', port: sink.port },
      track,
    );
    const mux = await openMuxPeer(reaping, track);
    const before = openFds(reaping.pid);
    const classic: RawRelayClient[] = [];
    for (let i = 0; i < 3; i++) {
      const { client, reply } = await openClassicStream(reaping, alice, track);
      expect(reply['type']).toBe('stream_response');
      client.socket.end();
      classic.push(client);
    }
    for (const id of [1, 3, 5]) mux.open(alice, id);
    await mux.waitFor('three OPEN_OK', (f) =>
      [1, 3, 5].every((id) => hasFrame(f, FrameType.OPEN_OK, id)),
    );
    for (const id of [1, 3, 5]) mux.send(encodeFin(id));
    // Three data connections and six target sockets more than before.
    expect(openFds(reaping.pid)).toBeGreaterThanOrEqual(before + 9);
    await eventually(
      'six streams reaped',
      async () =>
        (await metricValue(
          reaping.metricsUrl,
          'cloudbridge_relay_streams_reaped_total',
          '{reason="half_closed"}',
        )) === 6,
    );
    await mux.waitFor('RST on every mux stream', (f) =>
      [1, 3, 5].every((id) => hasFrame(f, FrameType.RST, id)),
    );
    await Promise.all(classic.map((client) => client.closed(5_000)));
    await eventually('fds back', () => openFds(reaping.pid) <= before);
    expect(await metricValue(reaping.metricsUrl, 'cloudbridge_relay_streams_active')).toBe(0);
    // Every slot came back: the client can hold its six again.
    for (const id of [7, 9, 11, 13, 15, 17]) mux.open(alice, id);
    await mux.waitFor('six more OPEN_OK', (f) =>
      [7, 9, 11, 13, 15, 17].every((id) => hasFrame(f, FrameType.OPEN_OK, id)),
    );
  });

  it('resets a stream that moves no byte for the idle timeout and keeps one that does', async () => {
    const relay = await relayWith({ ...acme(), streams: { idleTimeoutMs: 600 } });
    const target = await echo();
    const alice = await registerTunnel(
      relay,
      { sub: 'alice', tenant: 'acme', tunnelId: 't-a', host: '127.0.0.1', port: target.port },
      track,
    );
    const mux = await openMuxPeer(relay, track);
    mux.open(alice, 1);
    mux.open(alice, 3);
    await mux.waitFor(
      'OPEN_OK',
      (f) => hasFrame(f, FrameType.OPEN_OK, 1) && hasFrame(f, FrameType.OPEN_OK, 3),
    );
    const started = Date.now();
    const ticker = setInterval(() => mux.send(encodeData(3, 'tick')), 150);
    closers.push(() => Promise.resolve(clearInterval(ticker)));
    await mux.waitFor('idle stream reset', (f) => hasFrame(f, FrameType.RST, 1), 5_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(hasFrame(mux.frames, FrameType.RST, 3)).toBe(false);
    expect(
      await metricValue(
        relay.metricsUrl,
        'cloudbridge_relay_streams_reaped_total',
        '{reason="idle"}',
      ),
    ).toBe(1);
  });
});

describe("a client's last session", () => {
  it('ends its streams once its registration expires after the grace period, not before', async () => {
    const relay = await relayWith(acme(), ['--grace-ms', '700']);
    const target = await echo();
    const alice = await registerTunnel(
      relay,
      { sub: 'alice', tenant: 'acme', tunnelId: 't-a', host: '127.0.0.1', port: target.port },
      track,
    );
    const { client } = await openClassicStream(relay, alice, track);
    const mux = await openMuxPeer(relay, track);
    mux.open(alice, 1);
    await mux.waitFor('OPEN_OK', (f) => hasFrame(f, FrameType.OPEN_OK, 1));
    alice.control.destroy();
    const left = Date.now();
    // Within the grace period the streams still carry bytes.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const echoed = new Promise<string>((resolve) =>
      client.socket.once('data', (chunk: Buffer) => resolve(chunk.toString())),
    );
    client.socket.write('still mine');
    expect(await echoed).toBe('still mine');
    await client.closed(5_000);
    await mux.waitFor('mux stream reset', (f) => hasFrame(f, FrameType.RST, 1), 5_000);
    expect(Date.now() - left).toBeGreaterThanOrEqual(650);
    expect(
      await metricValue(
        relay.metricsUrl,
        'cloudbridge_relay_streams_reaped_total',
        '{reason="registration_expired"}',
      ),
    ).toBe(2);
  });

  it('frees the slots of a client that leaves abruptly: mux streams at once, data connections within the half-closed timeout', async () => {
    const relay = await relayWith({
      ...acme({ maxConnectionsPerClient: 4 }),
      streams: { halfClosedTimeoutMs: 1_500 },
    });
    const sink = await stalled();
    const first = await registerTunnel(
      relay,
      { sub: 'alice', tenant: 'acme', tunnelId: 't-a', host: '127.0.0.1', port: sink.port },
      track,
    );
    const mux = await openMuxPeer(relay, track);
    // A classic stream the client half-closed, one it did not, and two mux streams.
    const halfClosed = await openClassicStream(relay, first, track);
    halfClosed.client.socket.end();
    await openClassicStream(relay, first, track);
    mux.open(first, 1);
    mux.open(first, 3);
    await mux.waitFor('OPEN_OK', (f) => hasFrame(f, FrameType.OPEN_OK, 3));
    mux.send(encodeFin(1));
    mux.open(first, 5);
    await mux.waitFor('limit', (f) => errorOf(f, 5) !== null);
    expect(errorOf(mux.frames, 5)).toMatchObject({ code: 'connection_limit_reached' });
    const active = () => metricValue(relay.metricsUrl, 'cloudbridge_relay_streams_active');
    expect(await active()).toBe(4);
    const left = Date.now();
    for (const c of clients.splice(0)) c.destroy();
    // The mux connection's end is seen at once. A data connection that ended, whether the
    // client half-closed it earlier or just went, looks like a client waiting for its answer
    // (a FIN, nothing more): the half-closed reaper ends both.
    await eventually('mux streams gone', async () => (await active()) === 2, 1_000);
    await eventually('half-closed stream reaped', async () => (await active()) === 0, 4_000);
    expect(Date.now() - left).toBeGreaterThanOrEqual(1_400);
    const again = await registerTunnel(
      relay,
      { sub: 'alice', tenant: 'acme', tunnelId: 't-a', host: '127.0.0.1', port: sink.port },
      track,
    );
    for (let i = 0; i < 4; i++)
      expect((await openClassicStream(relay, again, track)).reply['type']).toBe('stream_response');
  });
});

function encodeFin(id: number): Buffer {
  return encodeFrame(FrameType.FIN, id);
}

function encodeData(id: number, text: string): Buffer {
  return encodeFrame(FrameType.DATA, id, Buffer.from(text));
}

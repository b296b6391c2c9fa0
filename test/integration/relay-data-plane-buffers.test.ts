// Attack on the relay's buffers, against the real cloudbridge-relay process
// (docs/protocol.md#limits): many tcp_mux streams push at a target that never reads. The relay
// stops granting credit once the client is over its buffer ceiling, so what it takes in stays
// near the ceiling plus one window per stream (RSS from /proc, the kernel's socket memory from
// `ss -tm`), another client's streams keep moving, and once the target reads every byte arrives.

import { createHash } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readRssBytes } from '../harness/processes';
import {
  relayBundlePath,
  sharedTestPki,
  startTestRelay,
  type RawRelayClient,
} from '../harness/relay';
import { startEchoServer } from '../harness/traffic';
import { FrameType } from '../../src-main/protocol/mux-frames';
import {
  eventually,
  hasFrame,
  metricValue,
  openClassicStream,
  openMuxPeer,
  registerTunnel,
  socketMemoryBytes,
  spawnConfiguredRelay,
  startStalledTarget,
} from './relay-data-plane-helpers';

const MiB = 1024 * 1024;
const STREAMS = 40;
const PER_STREAM = 4 * MiB;
const CEILING = 16 * MiB;
/** The protocol's initial window: credit every stream has before the relay grants any. */
const WINDOW = 1 * MiB;

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

/** Waits until `total()` stops changing for `quietMs` (bounded by `timeoutMs`). */
async function settle(total: () => number, quietMs = 1_500, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = total();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      break;
    }
  }
  return last;
}

describe('buffer ceiling', () => {
  it('holds what a client pushes at a target that never reads near its ceiling, keeps other clients moving, and delivers every byte once the target reads', async () => {
    const relay = await spawnConfiguredRelay({
      tenants: [
        {
          id: 'acme',
          maxTunnels: 10,
          maxConnections: 200,
          maxConnectionsPerClient: 100,
          allow: ['127.0.0.0/8'],
        },
      ],
      streams: { maxBufferedBytesPerClient: CEILING },
    });
    closers.push(() => relay.close());
    const sink = await startStalledTarget();
    closers.push(() => sink.close());
    const echo = await startEchoServer();
    closers.push(() => echo.close());

    const alice = await registerTunnel(
      relay,
      { sub: 'alice', tenant: 'acme', tunnelId: 't-a', host: '127.0.0.1', port: sink.port },
      track,
    );
    const rssBefore = readRssBytes(relay.pid) ?? 0;
    const kernelBefore = socketMemoryBytes(relay.pid);
    const mux = await openMuxPeer(relay, track);
    const ids = Array.from({ length: STREAMS }, (_, i) => 1 + 2 * i);
    for (const id of ids) mux.open(alice, id);
    await mux.waitFor('every OPEN_OK', (f) =>
      ids.every((id) => hasFrame(f, FrameType.OPEN_OK, id)),
    );
    for (const id of ids) mux.flood(id, PER_STREAM);
    const sent = () => ids.reduce((sum, id) => sum + mux.sent(id), 0);
    const taken = await settle(sent);

    // Without the ceiling the kernel alone takes about 4 MiB a stream (160 MiB here).
    expect(taken).toBeLessThanOrEqual(CEILING + STREAMS * WINDOW + 8 * MiB);
    expect(taken).toBeLessThan(STREAMS * PER_STREAM);
    const rssGrowth = (readRssBytes(relay.pid) ?? 0) - rssBefore;
    expect(rssGrowth).toBeLessThan(CEILING + STREAMS * WINDOW + 16 * MiB);
    const kernelAfter = socketMemoryBytes(relay.pid);
    if (kernelBefore !== null && kernelAfter !== null)
      expect(kernelAfter - kernelBefore).toBeLessThan(CEILING + STREAMS * WINDOW + 16 * MiB);
    expect(
      await metricValue(relay.metricsUrl, 'cloudbridge_relay_stream_holds_total'),
    ).toBeGreaterThan(0);

    // Another client of the same tenant is under its own ceiling: its bytes keep moving.
    const bob = await registerTunnel(
      relay,
      { sub: 'bob', tenant: 'acme', tunnelId: 't-b', host: '127.0.0.1', port: echo.port },
      track,
    );
    const { client, reply } = await openClassicStream(relay, bob, track);
    expect(reply['type']).toBe('stream_response');
    const payload = Buffer.alloc(8 * MiB, 0x42);
    const hash = createHash('sha256');
    let received = 0;
    const echoed = new Promise<void>((resolve) =>
      client.socket.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        received += chunk.length;
        if (received === payload.length) resolve();
      }),
    );
    client.socket.write(payload);
    await echoed;
    expect(hash.digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));

    // The target starts reading: the held streams get credit again and nothing was dropped.
    let delivered = 0;
    for (const socket of sink.sockets) {
      socket.on('data', (chunk: Buffer) => (delivered += chunk.length));
      socket.resume();
    }
    await eventually('every byte delivered', () => delivered === STREAMS * PER_STREAM, 60_000);
    expect(ids.every((id) => mux.sent(id) === PER_STREAM)).toBe(true);
  });

  it('stops reading classic data connections of a client over its ceiling and reads them again once the target does', async () => {
    const relay = await startTestRelay({
      streams: { maxBufferedBytesPerClient: CEILING },
    });
    closers.push(() => relay.close());
    const sink = await startStalledTarget();
    closers.push(() => sink.close());
    const alice = await registerTunnel(
      relay,
      { sub: 'alice', tunnelId: 't-a', host: '127.0.0.1', port: sink.port },
      track,
    );
    const count = 12;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const streams = await Promise.all(
      Array.from({ length: count }, () => openClassicStream(relay, alice, track)),
    );
    let written = 0;
    for (const { client, reply } of streams) {
      expect(reply['type']).toBe('stream_response');
      // Each writes 8 MiB as fast as its socket takes it.
      const socket = client.socket;
      let left = 8 * MiB;
      const pump = (): void => {
        while (left > 0) {
          left -= chunk.length;
          written += chunk.length;
          if (!socket.write(chunk)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    }
    const taken = await settle(() => relay.relay.stats().bytesToTarget);
    // Without the ceiling each connection's target socket alone takes about 4 MiB.
    expect(taken).toBeLessThan(CEILING + count * MiB);
    let delivered = 0;
    for (const socket of sink.sockets) {
      socket.on('data', (data: Buffer) => (delivered += data.length));
      socket.resume();
    }
    await eventually('every byte delivered', () => delivered === count * 8 * MiB, 60_000);
    expect(written).toBe(count * 8 * MiB);
  });
});

// The openers and the relay's greeting, against the relay process (docs/protocol.md#opener):
// the engine's three openers (hello first, waiting for the relay's hello, and auto), auth
// first with no hello on the wire, and every kind of engine connection (control, mux, warm
// pool, serving) meeting a greeting before its answer: with the greeting delay at 1 ms behind
// a proxy that paces the client's TLS records, every connection is greeted.

import { createServer, connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectRawClient, type RelayAccess } from '../harness/relay';
import { echoRoundTrip, Pattern, startEchoServer } from '../harness/traffic';
import {
  cleanupPublishedTests,
  closeLater,
  consumingEngine,
  engineFor,
  memoryKeyStore,
  publishingEngine,
  relayProcess,
  serverTunnel,
} from './published-helpers';

afterEach(cleanupPublishedTests);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Passes bytes on, but the client's TLS records one at a time with `gapMs` between them, so the
 * relay finishes its handshake on the client's Finished well before the first line arrives.
 */
async function pacingProxy(target: number, gapMs: number): Promise<{ port: number }> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = netConnect({ host: '127.0.0.1', port: target, allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.pipe(client);
    let pending = Buffer.alloc(0);
    let sending = false;
    let ended = false;
    const pump = async (): Promise<void> => {
      if (sending) return;
      sending = true;
      while (pending.length >= 5) {
        const length = 5 + pending.readUInt16BE(3);
        if (pending.length < length) break;
        upstream.write(pending.subarray(0, length));
        pending = pending.subarray(length);
        await sleep(gapMs);
      }
      sending = false;
      if (pending.length >= 5 && pending.length >= 5 + pending.readUInt16BE(3)) void pump();
      else if (ended) upstream.end();
    };
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      void pump();
    });
    client.on('end', () => {
      ended = true;
      if (!sending) void pump();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  closeLater(server, (s) => {
    for (const socket of sockets) socket.destroy();
    s.close();
  });
  return { port: (server.address() as AddressInfo).port };
}

/** The relay as seen through the pacing proxy (same CA and SNI, another port). */
function through(relay: RelayAccess, port: number): RelayAccess {
  return { ...relay, port, endpoint: (overrides = {}) => relay.endpoint({ port, ...overrides }) };
}

describe('openers and the relay greeting', () => {
  it('reaches Active with each opener, and names what the relay did', async () => {
    const relay = await relayProcess();
    const token = await relay.token({ sub: 'alice' });
    for (const [opener, expected] of [
      ['client', 'client'],
      ['server', 'server'],
      ['auto', 'server'],
    ] as const) {
      const client = engineFor(relay, token, { relay: relay.endpoint({ opener }) });
      client.engine.connect();
      await client.waitFor(`${opener} active`, (s) => s.state === 'active');
      const authenticated = client.logs.find((r) => r.event === 'authenticated');
      expect(authenticated?.details['opener'], opener).toBe(expected);
      expect(authenticated?.details['features']).toContain('published_servers');
      await client.engine.close();
    }
  });

  it('answers auth sent first with no hello, and greets a client that waits', async () => {
    const relay = await relayProcess();
    const first = closeLater(await connectRawClient(relay), (c) => c.destroy());
    first.send({ type: 'auth', token: await relay.token({ sub: 'alice' }) });
    expect(await first.next()).toMatchObject({ type: 'auth_response', status: 'ok' });
    const waits = closeLater(await connectRawClient(relay), (c) => c.destroy());
    const greeting = await waits.next(5_000);
    expect(greeting).toMatchObject({ type: 'hello', version: '1.0' });
    expect(greeting['features']).toContain('published_servers');
    waits.send({ type: 'auth', token: await relay.token({ sub: 'alice' }) });
    expect(await waits.next()).toMatchObject({ type: 'auth_response', status: 'ok' });
  });

  it('carries mux, warm-pool and serving connections that are greeted before their answers', async () => {
    const relay = await relayProcess(['--limit', 'greetDelayMs=1']);
    const proxy = await pacingProxy(relay.port, 40);
    const paced = through(relay, proxy.port);
    // Through the proxy even a client that speaks at once is greeted first.
    const raw = closeLater(await connectRawClient(paced), (c) => c.destroy());
    raw.send({ type: 'mux_open' });
    expect(await raw.next()).toMatchObject({ type: 'hello' });
    expect(await raw.next()).toMatchObject({ type: 'mux_response', status: 'ok' });

    const target = closeLater(await startEchoServer(), (e) => e.close());
    // The publisher's control and serving connections go through the proxy as well.
    await publishingEngine(paced, await relay.token({ sub: 'office' }), {
      name: 'office-pc',
      ports: [{ port: 22, targetPort: target.port }],
      keyStore: memoryKeyStore(),
    });
    const keyed = await serverTunnel('office-pc', 22);
    const muxTunnel = await consumingEngine(paced, await relay.token({ sub: 'alice' }), [keyed]);
    const viaMux = await echoRoundTrip(keyed.localPort, new Pattern(256 << 10, 1));
    expect(viaMux.received.sha256).toBe(viaMux.sent);

    const pooled = await serverTunnel('office-pc', 22, 't-pooled');
    await consumingEngine(paced, await relay.token({ sub: 'bob' }), [pooled], {
      mux: false,
      poolSize: 2,
    });
    const viaPool = await echoRoundTrip(pooled.localPort, new Pattern(256 << 10, 2));
    expect(viaPool.received.sha256).toBe(viaPool.sent);
    expect(muxTunnel.engine.snapshot().tunnels[0]?.failedConnections).toBe(0);
  }, 60_000);

  it('uses a warm-pool connection that sat idle past the greeting delay', async () => {
    const relay = await relayProcess();
    const target = closeLater(await startEchoServer(), (e) => e.close());
    await publishingEngine(relay, await relay.token({ sub: 'office' }), {
      name: 'office-pc',
      ports: [{ port: 22, targetPort: target.port }],
      keyStore: null,
    });
    const tunnel = await serverTunnel('office-pc', 22);
    const consumer = await consumingEngine(relay, await relay.token({ sub: 'alice' }), [tunnel], {
      mux: false,
      poolSize: 2,
    });
    // The pool's connections are greeted after 200 ms of silence.
    await sleep(600);
    for (let i = 0; i < 3; i++) {
      const { sent, received } = await echoRoundTrip(tunnel.localPort, new Pattern(4096, i + 1));
      expect(received.sha256).toBe(sent);
    }
    expect(consumer.engine.snapshot().tunnels[0]?.failedConnections).toBe(0);
  });
});

// Published servers through the engine on both ends, against the relay in this process over
// real TLS: a keyed server end to end over mux and over classic data connections, a keyless
// one, who is connected, the listing, stopping, a key kept across restarts, a relay that
// splices to a computer without the registered key, and a server whose key changed.

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { loadServerIdentity, type ServerIdentity } from '../../src-main/engine/inner-tls';
import { systemClock } from '../../src-main/shared/clock';
import { publish } from '../harness/publisher';
import { connectTcp, echoRoundTrip, Pattern, readAll, startEchoServer } from '../harness/traffic';
import {
  cleanupPublishedTests,
  closeLater,
  consumingEngine,
  engineFor,
  inProcessRelay,
  memoryKeyStore,
  publishingEngine,
  serverTunnel,
} from './published-helpers';

afterEach(cleanupPublishedTests);

async function echoResult(port: number, bytes: number): Promise<{ bytes: number }> {
  const { sent, received } = await echoRoundTrip(port, new Pattern(bytes, 4));
  expect(received.sha256).toBe(sent);
  return received;
}

async function echo(): Promise<{ port: number }> {
  return closeLater(await startEchoServer(), (e) => e.close());
}

/** A TLS 1.3 echo server with `identity`'s key: what a relay could splice a consumer to. */
async function tlsEcho(identity: ServerIdentity): Promise<{ port: number; handshakes: number }> {
  const state = { port: 0, handshakes: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((raw) => {
    sockets.add(raw);
    raw.on('error', () => undefined);
    const inner = new tls.TLSSocket(raw, { isServer: true, secureContext: identity.context });
    inner.on('error', () => raw.destroy());
    inner.once('secure', () => {
      state.handshakes += 1;
      inner.pipe(inner);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  state.port = (server.address() as AddressInfo).port;
  closeLater(server, (s) => {
    for (const socket of sockets) socket.destroy();
    s.close();
  });
  return state;
}

describe('published servers through the engine', () => {
  it('carries a keyed server end to end over mux and says who is connected, since when and bytes', async () => {
    const relay = await inProcessRelay();
    const target = await echo();
    const keys = memoryKeyStore();
    const pub = await publishingEngine(relay, await relay.token({ sub: 'office' }), {
      name: 'office-pc',
      ports: [{ port: 3389, targetPort: target.port }],
      keyStore: keys,
    });
    expect(keys.saves).toBe(1);
    const published = pub.engine.snapshot().publish;
    expect(published?.publicKey).toMatch(/^MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/);
    const tunnel = await serverTunnel('office-pc', 3389);
    const consumer = await consumingEngine(relay, await relay.token({ sub: 'alice' }), [tunnel]);
    expect(consumer.engine.snapshot().tunnels[0]?.endToEnd).toBe(true);

    const held = await connectTcp(tunnel.localPort);
    held.write('ping');
    const open = await pub.waitFor(
      'a connection listed',
      (s) => (s.publish?.connections.length ?? 0) === 1,
    );
    const who = open.publish?.connections[0];
    expect(who).toMatchObject({
      sub: 'alice',
      tenantId: 'default',
      port: 3389,
      remote: '127.0.0.1',
    });
    expect(Date.parse(who?.since ?? '')).toBeGreaterThan(Date.now() - 60_000);
    held.destroy();

    const { sent, received } = await echoRoundTrip(tunnel.localPort, new Pattern(4 << 20, 3));
    expect(received.sha256).toBe(sent);
    expect(received.ending).toBe('end');
    const after = await pub.waitFor(
      'bytes counted',
      (s) => (s.publish?.bytesIn ?? 0) >= 4 << 20 && s.publish?.connections.length === 0,
    );
    expect(after.publish?.bytesOut).toBeGreaterThanOrEqual(4 << 20);
    expect(after.publish?.totalConnections).toBe(2);
  });

  it('carries a keyed server over classic data connections when the consumer does not use mux', async () => {
    const relay = await inProcessRelay();
    const target = await echo();
    await publishingEngine(relay, await relay.token({ sub: 'office' }), {
      name: 'office-pc',
      ports: [{ port: 22, targetPort: target.port }],
      keyStore: memoryKeyStore(),
    });
    const tunnel = await serverTunnel('office-pc', 22);
    await consumingEngine(relay, await relay.token({ sub: 'alice' }), [tunnel], { mux: false });
    const { sent, received } = await echoRoundTrip(tunnel.localPort, new Pattern(1 << 20, 5));
    expect(received.sha256).toBe(sent);
  });

  it('carries a keyless server in the clear and shows it is not end to end', async () => {
    const relay = await inProcessRelay();
    const target = await echo();
    const pub = await publishingEngine(relay, await relay.token({ sub: 'office' }), {
      name: 'open-pc',
      ports: [{ port: 8080, targetPort: target.port }],
      keyStore: null,
    });
    expect(pub.engine.snapshot().publish?.publicKey).toBeNull();
    const tunnel = await serverTunnel('open-pc', 8080);
    const consumer = await consumingEngine(relay, await relay.token({ sub: 'alice' }), [tunnel]);
    expect(consumer.engine.snapshot().tunnels[0]?.endToEnd).toBe(false);
    const { sent, received } = await echoRoundTrip(tunnel.localPort, new Pattern(256 << 10, 7));
    expect(received.sha256).toBe(sent);
  });

  it('keeps the key across restarts: a second engine with the same store registers the same key', async () => {
    const relay = await inProcessRelay();
    const target = await echo();
    const keys = memoryKeyStore();
    const publish1 = {
      name: 'office-pc',
      ports: [{ port: 22, targetPort: target.port }],
      keyStore: keys,
    };
    const first = await publishingEngine(relay, await relay.token({ sub: 'office' }), publish1);
    const key = first.engine.snapshot().publish?.publicKey;
    await first.engine.close();
    const second = await publishingEngine(relay, await relay.token({ sub: 'office' }), publish1);
    expect(second.engine.snapshot().publish?.publicKey).toBe(key);
    expect(keys.saves).toBe(1);
  });

  it('lists the servers this identity may reach, and frees the name at once when sharing stops', async () => {
    const relay = await inProcessRelay();
    const target = await echo();
    const pub = await publishingEngine(relay, await relay.token({ sub: 'office' }), {
      name: 'office-pc',
      ports: [
        { port: 22, targetPort: target.port },
        { port: 3389, targetPort: target.port },
      ],
      keyStore: memoryKeyStore(),
      allowSubs: ['alice'],
    });
    const alice = engineFor(relay, await relay.token({ sub: 'alice' }));
    alice.engine.connect();
    await alice.waitFor('active', (s) => s.state === 'active');
    expect(await alice.engine.listServers()).toEqual([
      { name: 'office-pc', ports: [22, 3389], keyed: true, online: true },
    ]);
    const bob = engineFor(relay, await relay.token({ sub: 'bob' }));
    bob.engine.connect();
    await bob.waitFor('active', (s) => s.state === 'active');
    expect(await bob.engine.listServers()).toEqual([]);

    pub.engine.setPublish(null);
    expect(pub.engine.snapshot().publish).toBeNull();
    // Another computer of the tenant takes the name without waiting out any grace period.
    const other = await publishingEngine(relay, await relay.token({ sub: 'bob' }), {
      name: 'office-pc',
      ports: [{ port: 22, targetPort: target.port }],
      keyStore: memoryKeyStore(),
    });
    expect(other.engine.snapshot().publish?.status).toBe('online');
  });

  it('refuses a stream when the relay splices it to a computer without the registered key', async () => {
    const relay = await inProcessRelay();
    const clock = systemClock;
    const registered = await loadServerIdentity(memoryKeyStore(), clock);
    const impostor = await tlsEcho(await loadServerIdentity(memoryKeyStore(), clock));
    const genuine = await tlsEcho(registered);
    // A publisher on the wire that registers one key and hands the streams to whatever it likes.
    const wire = await publish({
      relay,
      token: await relay.token({ sub: 'office' }),
      name: 'office-pc',
      ports: [22, 3389],
      publicKey: registered.publicKey,
      targets: { 22: impostor.port, 3389: genuine.port },
    });
    closeLater(wire, (w) => w.close());
    await wire.openServing();
    const toImpostor = await serverTunnel('office-pc', 22);
    const toGenuine = await serverTunnel('office-pc', 3389);
    const consumer = await consumingEngine(relay, await relay.token({ sub: 'alice' }), [
      toImpostor,
      toGenuine,
    ]);

    const socket = await connectTcp(toImpostor.localPort);
    socket.write('secret that must not reach the impostor');
    const result = await readAll(socket);
    expect(result.bytes).toBe(0);
    expect(impostor.handshakes).toBe(0);
    const failed = await consumer.waitFor(
      'the stream refused',
      (s) => s.tunnels[0]?.error?.code === 'tls_pin_mismatch',
    );
    expect(failed.tunnels[0]?.error).toMatchObject({
      detail: 'server_key_mismatch',
      message: expect.stringContaining('not its registered key') as unknown,
    });
    // The same path to a computer holding the registered key carries bytes.
    const { sent, received } = await echoRoundTrip(toGenuine.localPort, new Pattern(64 << 10, 9));
    expect(received.sha256).toBe(sent);
    expect(genuine.handshakes).toBe(1);
  });

  it('stops a tunnel whose server came back under another key, until the tunnel is turned on again', async () => {
    const relay = await inProcessRelay();
    const target = await echo();
    const first = await publishingEngine(relay, await relay.token({ sub: 'office' }), {
      name: 'office-pc',
      ports: [{ port: 22, targetPort: target.port }],
      keyStore: memoryKeyStore(),
    });
    const tunnel = await serverTunnel('office-pc', 22);
    const consumer = await consumingEngine(relay, await relay.token({ sub: 'alice' }), [tunnel]);
    expect((await echoRoundTrip(tunnel.localPort, new Pattern(1024, 1))).received.bytes).toBe(1024);

    // The computer stops sharing; another one (a new key) publishes the same name.
    first.engine.setPublish(null);
    await first.engine.close();
    await publishingEngine(relay, await relay.token({ sub: 'office' }), {
      name: 'office-pc',
      ports: [{ port: 22, targetPort: target.port }],
      keyStore: memoryKeyStore(),
    });
    // The next stream is refused as server_changed; the tunnel asks again and meets a new key.
    const socket = await connectTcp(tunnel.localPort);
    expect((await readAll(socket)).bytes).toBe(0);
    const stopped = await consumer.waitFor(
      'the tunnel stopped on the new key',
      (s) =>
        s.tunnels[0]?.status === 'error' && s.tunnels[0].error?.detail === 'server_key_changed',
    );
    expect(stopped.tunnels[0]?.error?.code).toBe('tls_pin_mismatch');
    expect(consumer.logs.some((r) => r.event === 'tunnel_server_changed')).toBe(true);

    // Turning it on again accepts the key it has now.
    consumer.engine.setTunnelEnabled(tunnel.id, false);
    consumer.engine.setTunnelEnabled(tunnel.id, true);
    await consumer.waitFor('listening again', (s) => s.tunnels[0]?.status === 'listening');
    expect((await echoRoundTrip(tunnel.localPort, new Pattern(2048, 2))).received.bytes).toBe(2048);
  });

  it('waits for a server it reached before that is not back yet after a relay restart, then carries again', async () => {
    const first = await inProcessRelay();
    const target = await echo();
    const publishing = {
      name: 'office-pc',
      ports: [{ port: 22, targetPort: target.port }],
      keyStore: memoryKeyStore(),
    };
    const pub = await publishingEngine(first, await first.token({ sub: 'office' }), publishing);
    const tunnel = await serverTunnel('office-pc', 22);
    const consumer = await consumingEngine(first, await first.token({ sub: 'alice' }), [tunnel]);
    expect((await echoResult(tunnel.localPort, 512)).bytes).toBe(512);
    await pub.engine.close();

    // The relay restarts on the same port, knowing nothing; the publisher is not back yet.
    await first.close();
    const second = await inProcessRelay({ port: first.port, secret: first.secret });
    const waiting = await consumer.waitFor(
      'the tunnel waiting for its server',
      (s) => s.state === 'active' && s.tunnels[0]?.error?.detail === 'unknown_server',
      20_000,
    );
    expect(waiting.tunnels[0]?.status).toBe('pending');
    expect(consumer.logs.some((r) => r.event === 'tunnel_server_awaited')).toBe(true);

    await publishingEngine(second, await second.token({ sub: 'office' }), publishing);
    await consumer.waitFor('listening again', (s) => s.tunnels[0]?.status === 'listening', 20_000);
    expect((await echoResult(tunnel.localPort, 1024)).bytes).toBe(1024);
  });

  it('refuses the consumer stream past the streams it carries at once, and counts it', async () => {
    const relay = await inProcessRelay();
    const target = await echo();
    const pub = await publishingEngine(relay, await relay.token({ sub: 'office' }), {
      name: 'office-pc',
      ports: [{ port: 22, targetPort: target.port }],
      keyStore: null,
      maxStreams: 2,
    });
    const tunnel = await serverTunnel('office-pc', 22);
    const consumer = await consumingEngine(relay, await relay.token({ sub: 'alice' }), [tunnel]);
    const held = [await connectTcp(tunnel.localPort), await connectTcp(tunnel.localPort)];
    for (const socket of held) socket.write('x');
    await pub.waitFor('two carried', (s) => s.publish?.connections.length === 2);
    const third = await connectTcp(tunnel.localPort);
    expect((await readAll(third)).bytes).toBe(0);
    await consumer.waitFor(
      'the third refused',
      (s) => (s.tunnels[0]?.failedConnections ?? 0) === 1,
    );
    expect(pub.logs.find((r) => r.event === 'server_stream_refused')?.details).toMatchObject({
      reason: 'served_streams',
    });
    expect(await pub.engine.metrics()).toMatch(
      /cloudbridge_errors_total\{code="connection_limit_reached"\} 1/,
    );
    for (const socket of held) socket.destroy();
    await pub.waitFor('none carried', (s) => s.publish?.connections.length === 0);
    expect((await echoResult(tunnel.localPort, 100)).bytes).toBe(100);
  });
});

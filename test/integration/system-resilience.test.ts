// What happens when the relay or the network misbehaves (docs/protocol.md#heartbeats,
// #data-streams-feature-tcp_stream, #reconnect): the relay process killed with SIGKILL and
// restarted on the same port, the control connection cut while a stream is open, and a frozen
// (SIGSTOP) relay that keeps TCP up but answers nothing.

import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';

import { startFaultProxy } from '../harness/fault-proxy';
import { spawnRelayProcess } from '../harness/relay';
import { Pattern, connectTcp, echoRoundTrip, startEchoServer } from '../harness/traffic';
import {
  isActive,
  startClient,
  startTestRelay,
  token,
  tunnelOf,
  tunnelTo,
  waitUntil,
  watchRelayProcess,
  systemTestCleanup,
} from './system-stack';

const cleanup = systemTestCleanup();

/** Writes `data` on an open echo connection and resolves with exactly that many bytes back. */
function echoOnce(socket: Socket, data: Buffer, timeoutMs = 5_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let length = 0;
    const timer = setTimeout(
      () => done(new Error(`echo of ${data.length} bytes timed out after ${length}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      parts.push(chunk);
      length += chunk.length;
      if (length >= data.length) done(null);
    };
    const onClose = (): void => done(new Error('connection closed during echo'));
    const done = (error: Error | null): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(parts));
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(data);
  });
}

describe('resilience', () => {
  it('after the relay is killed (SIGKILL) and restarted on the same port: Reconnecting with attempt numbers, then Active with the same tunnel ids', async () => {
    const echo = cleanup.add(await startEchoServer(), (s) => s.close());
    const relay = cleanup.add(
      watchRelayProcess(await spawnRelayProcess({ args: ['--grace-ms', '30000'] })),
      (r) => r.close(),
    );
    const t1 = await tunnelTo('t-one', echo.port);
    const t2 = await tunnelTo('t-two', echo.port);
    const client = cleanup.add(
      startClient({ relay: relay.endpoint(), tunnels: [t1, t2], token: await token(relay) }),
      (c) => c.close(),
    );
    client.engine.connect();
    await client.waitFor('active', isActive);
    const before = await echoRoundTrip(t1.localPort, new Pattern(50_000, 1));
    expect(before.received.sha256).toBe(before.sent);
    const port = relay.port;

    relay.signal('SIGKILL');
    expect((await relay.waitExit()).signal).toBe('SIGKILL');
    const reconnecting = await client.waitFor(
      'reconnecting',
      (s) => s.state === 'reconnecting' && s.session.reconnectAttempt >= 1,
      15_000,
    );
    expect(reconnecting.session.maxReconnectAttempts).toBe(10);
    // Let at least one attempt fail against the dead port, so the count goes up.
    await client.waitFor(
      'attempt 2',
      (s) => s.state === 'reconnecting' && s.session.reconnectAttempt >= 2,
      15_000,
    );
    const attempts = client.snapshots
      .filter((s) => s.state === 'reconnecting')
      .map((s) => s.session.reconnectAttempt);
    expect(attempts[0]).toBe(1);
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);

    await relay.restart();
    expect(relay.port).toBe(port);
    const active = await client.waitFor('active again', isActive, 30_000);
    expect(active.session.reconnectAttempt).toBe(0);
    expect(active.tunnels.map((t) => t.id).sort()).toEqual(['t-one', 't-two']);
    expect(tunnelOf(active, 't-one').localPort).toBe(t1.localPort);
    // The restarted relay saw the same ids registered again. Its log comes through a pipe
    // that may lag the TLS answer the engine already acted on, so wait for the lines.
    const registeredAfterRestart = (): string[] =>
      relay.logs
        .slice(relay.logs.findLastIndex((l) => l.event === 'relay_listening'))
        .map((l) => JSON.stringify(l));
    await waitUntil('the restarted relay logs both registrations', () =>
      ['t-one', 't-two'].every((id) => registeredAfterRestart().some((l) => l.includes(id))),
    );

    const after = await echoRoundTrip(t2.localPort, new Pattern(50_000, 2));
    expect(after.received.sha256).toBe(after.sent);
  });

  it('keeps an established stream alive while the control connection drops and comes back', async () => {
    const echo = cleanup.add(await startEchoServer(), (s) => s.close());
    const relay = cleanup.add(await startTestRelay(), (r) => r.server.close());
    const proxy = cleanup.add(await startFaultProxy({ port: relay.server.port }), (p) => p.close());
    const t = await tunnelTo('t-keep', echo.port);
    const client = cleanup.add(
      startClient({
        relay: { ...relay.endpoint, port: proxy.port, serverName: 'localhost' },
        tunnels: [t],
        token: await token(relay),
      }),
      (c) => c.close(),
    );
    client.engine.connect();
    await client.waitFor('active', isActive);

    const stream = await connectTcp(t.localPort);
    cleanup.add(stream, (s) => s.destroy());
    const first = Buffer.from('before the drop');
    expect((await echoOnce(stream, first)).equals(first)).toBe(true);
    const indexesBefore = proxy.openIndexes();

    // The engine opens its control connection first: cut that one only.
    expect(proxy.cut(0)).toBe(true);
    await client.waitFor('reconnecting', (s) => s.state === 'reconnecting', 10_000);
    await client.waitFor('active again', isActive, 20_000);

    const second = Buffer.from('after the control connection came back');
    expect((await echoOnce(stream, second)).equals(second)).toBe(true);
    // The data connection carrying the stream was never cut.
    expect(
      proxy.openIndexes().filter((i) => indexesBefore.includes(i) && i !== 0).length,
    ).toBeGreaterThan(0);
    expect(stream.destroyed).toBe(false);
  });

  it('notices a frozen relay (SIGSTOP: TCP up, no answers) within two heartbeat intervals plus the timeout', async () => {
    const HEARTBEAT_MS = 1_000;
    const TIMEOUT_MS = 500;
    const echo = cleanup.add(await startEchoServer(), (s) => s.close());
    const relay = cleanup.add(
      watchRelayProcess(await spawnRelayProcess({ args: ['--heartbeat-min-ms', '200'] })),
      (r) => r.close(),
    );
    const t = await tunnelTo('t-frozen', echo.port);
    const client = cleanup.add(
      startClient({
        relay: relay.endpoint(),
        tunnels: [t],
        token: await token(relay),
        heartbeatIntervalMs: HEARTBEAT_MS,
        heartbeatTimeoutMs: TIMEOUT_MS,
      }),
      (c) => c.close(),
    );
    client.engine.connect();
    await client.waitFor('active', isActive);
    // Missed answers count only once the relay has answered one
    // (docs/protocol.md#relays-in-the-wild-tolerances).
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_MS * 2 + 200));
    expect(client.logs.filter((r) => r.event === 'heartbeat_missed')).toEqual([]);

    const stoppedAt = Date.now();
    relay.signal('SIGSTOP');
    const lost = await client.waitFor('reconnecting', (s) => s.state === 'reconnecting', 10_000);
    const elapsed = Date.now() - stoppedAt;
    expect(lost.lastError?.code).toBe('heartbeat_timeout');
    // The first unanswered heartbeat goes out at most one interval after the stop; the loss is
    // declared after a second missed answer: interval + timeout later
    // (docs/protocol.md#heartbeats).
    expect(elapsed).toBeLessThanOrEqual(2 * HEARTBEAT_MS + TIMEOUT_MS + 600);
    expect(elapsed).toBeGreaterThanOrEqual(HEARTBEAT_MS + TIMEOUT_MS - 100);

    relay.signal('SIGCONT');
    await client.waitFor('active after SIGCONT', isActive, 20_000);
    const after = await echoRoundTrip(t.localPort, new Pattern(10_000, 3));
    expect(after.received.sha256).toBe(after.sent);
  });
});

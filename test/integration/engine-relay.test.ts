// The client engine against the real reference relay over real TLS on 127.0.0.1: connect,
// register, carry TCP streams, survive a relay restart, stop on a fatal token error, and
// release every handle on close. Certificates are made per run; every port is ephemeral.

import net from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src-main/engine/engine';
import type { Engine, EngineOptions } from '../../src-main/engine/types';
import { startRelay, type RelayServer } from '../../src-main/relay/relay-server';
import { mintDevToken } from '../../src-main/relay/tokens';
import type { EngineSnapshot, LogRecord } from '../../src-main/shared/model';
import { createTestPki, type TestPki } from '../harness/pki';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy';
import {
  connectTcp,
  freePort,
  readAll,
  startEchoServer,
  type TestServer,
} from '../harness/traffic';
import { tunnel } from './system-stack';

const SECRET = 'engine-integration-secret-0123456789';
let pki: TestPki;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  pki = await createTestPki();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function relayOn(port = 0): Promise<RelayServer> {
  const relay = await startRelay({
    host: '127.0.0.1',
    port,
    tls: pki.serverEc,
    jwt: { hs256Secret: SECRET },
    allow: ['127.0.0.0/8'],
    logLevel: 'error',
    log: () => undefined,
    limits: { minHeartbeatIntervalMs: 100 },
  });
  cleanups.push(() => relay.close());
  return relay;
}

async function proxyTo(port: number): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ port });
  cleanups.push(() => proxy.close());
  return proxy;
}

/** Writes `text` on an open socket and resolves with the next `text.length` bytes read. */
function exchange(socket: net.Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (c: Buffer): void => {
      got += c.toString();
      if (got.length >= text.length) {
        socket.off('data', onData);
        resolve(got);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(text);
  });
}

/** Writes a byte and waits until the target has seen the connection. */
async function exchangeWithTarget(socket: net.Socket): Promise<boolean> {
  socket.write('x');
  await new Promise((r) => setTimeout(r, 300));
  return !socket.destroyed;
}

async function waitForValue<T>(get: () => Promise<T> | null, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = get();
    if (value !== null) return value;
    if (Date.now() > end) throw new Error('value never appeared');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function echo(): Promise<TestServer> {
  const server = await startEchoServer();
  cleanups.push(() => server.close());
  return server;
}

function token(secret = SECRET): Promise<string> {
  return mintDevToken({ secret, sub: 'engine-test', ttlSec: 600 });
}

function startEngine(
  options: Omit<EngineOptions, 'getToken'> & { getToken?: () => Promise<string> },
): { engine: Engine; logs: LogRecord[] } {
  const engine = createEngine({ getToken: () => token(), ...options });
  const logs: LogRecord[] = [];
  engine.on('log', (r) => logs.push(r));
  cleanups.push(() => engine.close());
  return { engine, logs };
}

function waitFor(
  engine: Engine,
  predicate: (s: EngineSnapshot) => boolean,
  timeoutMs = 15_000,
): Promise<EngineSnapshot> {
  return new Promise((resolve, reject) => {
    const now = engine.snapshot();
    if (predicate(now)) return resolve(now);
    const timer = setTimeout(() => {
      off();
      reject(
        new Error(
          `timed out; last state ${JSON.stringify({ state: engine.snapshot().state, lastError: engine.snapshot().lastError, tunnels: engine.snapshot().tunnels.map((t) => [t.id, t.status, t.error]) })}`,
        ),
      );
    }, timeoutMs);
    const off = engine.on('snapshot', (s) => {
      if (predicate(s)) {
        clearTimeout(timer);
        off();
        resolve(s);
      }
    });
  });
}

async function roundTrip(port: number, payload: Buffer): Promise<Buffer> {
  const socket = await connectTcp(port);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    socket.once('end', () => resolve());
    socket.once('error', reject);
  });
  socket.end(payload);
  await done;
  socket.destroy();
  return Buffer.concat(chunks);
}

describe('engine against the reference relay', () => {
  it('authenticates, registers and carries a TCP stream to a local echo server with half-close', async () => {
    const relay = await relayOn();
    const target = await echo();
    const localPort = await freePort();
    const { engine, logs } = startEngine({
      relay: {
        host: '127.0.0.1',
        port: relay.port,
        ca: pki.caPem,
        pinSha256: pki.pin(pki.serverEc.cert),
      },
      tunnels: [tunnel('t-echo', localPort, target.port)],
    });
    engine.connect();
    const active = await waitFor(
      engine,
      (s) => s.state === 'active' && s.tunnels[0]?.status === 'listening',
    );
    expect(active.session.relayFeatures).toContain('tcp_stream');
    expect(active.tunnels[0]?.dataMode).toBe('stream');

    const payload = Buffer.alloc(3 * 1024 * 1024 + 17, 0);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
    const echoed = await roundTrip(localPort, payload);
    expect(echoed.equals(payload)).toBe(true);

    const after = await waitFor(
      engine,
      (s) => (s.tunnels[0]?.bytesIn ?? 0) >= payload.length && s.tunnels[0]?.openConnections === 0,
    );
    expect(after.tunnels[0]?.bytesOut).toBe(payload.length);
    expect(after.tunnels[0]?.totalConnections).toBe(1);
    expect(after.tunnels[0]?.failedConnections).toBe(0);

    // Several streams at once, each on its own data connection.
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => roundTrip(localPort, Buffer.from(`stream ${n} `.repeat(1000)))),
    );
    results.forEach((r, i) => expect(r.toString()).toBe(`stream ${i + 1} `.repeat(1000)));

    const metrics = await engine.metrics();
    expect(metrics).toMatch(/cloudbridge_bytes_transferred_total\{direction="out"\} \d+/);
    expect(metrics).toMatch(/cloudbridge_active_tunnels 1/);
    const text = JSON.stringify(logs);
    expect(text).not.toContain(await token().then((t) => t.split('.')[2]));
    expect(logs.some((r) => r.event === 'tunnel_registered' && r.tunnel_id === 't-echo')).toBe(
      true,
    );
  });

  it('resets the local connection and counts a failure when the target refuses, without touching the session', async () => {
    const relay = await relayOn();
    const localPort = await freePort();
    const deadPort = await freePort();
    const { engine } = startEngine({
      relay: { host: '127.0.0.1', port: relay.port, ca: pki.caPem },
      tunnels: [tunnel('t-dead', localPort, deadPort)],
    });
    engine.connect();
    await waitFor(engine, (s) => s.state === 'active' && s.tunnels[0]?.status === 'listening');
    const socket = await connectTcp(localPort);
    socket.write('anyone there?');
    const result = await readAll(socket);
    expect(result.bytes).toBe(0);
    const snap = await waitFor(engine, (s) => s.tunnels[0]?.failedConnections === 1);
    expect(snap.state).toBe('active');
    expect(snap.tunnels[0]?.status).toBe('listening');
    expect(snap.tunnels[0]?.error?.code).toBe('target_unreachable');
    // Once the target answers again, the stale stream error is cleared.
    const revived = net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
    await new Promise<void>((r) => revived.listen(deadPort, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => revived.close(() => r())));
    expect((await roundTrip(localPort, Buffer.from('back'))).toString()).toBe('back');
    const cleared = await waitFor(engine, (s) => s.tunnels[0]?.error === null);
    expect(cleared.tunnels[0]?.failedConnections).toBe(1);
  });

  it('goes Reconnecting when the relay stops and back to Active with the same tunnel ids when it returns', async () => {
    const first = await relayOn();
    const port = first.port;
    const target = await echo();
    const localPort = await freePort();
    const states: string[] = [];
    const { engine } = startEngine({
      relay: { host: '127.0.0.1', port, ca: pki.caPem },
      tunnels: [tunnel('t-keep', localPort, target.port)],
      random: () => 0,
    });
    engine.on('snapshot', (s) => {
      if (states[states.length - 1] !== s.state) states.push(s.state);
    });
    engine.connect();
    await waitFor(engine, (s) => s.state === 'active' && s.tunnels[0]?.status === 'listening');
    await first.close();
    const reconnecting = await waitFor(engine, (s) => s.state === 'reconnecting');
    expect(reconnecting.session.reconnectAttempt).toBeGreaterThanOrEqual(1);
    expect(reconnecting.session.nextRetryAt).not.toBeNull();
    await relayOn(port);
    engine.reconnectNow();
    const back = await waitFor(
      engine,
      (s) => s.state === 'active' && s.tunnels[0]?.status === 'listening',
    );
    expect(back.tunnels.map((t) => t.id)).toEqual(['t-keep']);
    expect(back.lastError).toBeNull();
    expect(states).toEqual(['authenticating', 'registered', 'active', 'reconnecting', 'active']);
    const echoed = await roundTrip(localPort, Buffer.from('after restart'));
    expect(echoed.toString()).toBe('after restart');
  });

  it('stops retrying on an invalid token and reports Disconnected with invalid_token', async () => {
    const relay = await relayOn();
    let asked = 0;
    const { engine } = startEngine({
      relay: { host: '127.0.0.1', port: relay.port, ca: pki.caPem },
      tunnels: [],
      getToken: () => {
        asked += 1;
        return token('not-the-relay-secret-0123456789abcdef');
      },
    });
    engine.connect();
    const snap = await waitFor(engine, (s) => s.state === 'disconnected' && s.lastError !== null);
    expect(snap.lastError?.code).toBe('invalid_token');
    await new Promise((r) => setTimeout(r, 1500));
    expect(asked).toBe(1);
    expect(engine.snapshot().state).toBe('disconnected');
  });

  it('refuses a relay whose key does not match the pin, with tls_pin_mismatch', async () => {
    const relay = await relayOn();
    const { engine } = startEngine({
      relay: {
        host: '127.0.0.1',
        port: relay.port,
        ca: pki.caPem,
        pinSha256: pki.pin(pki.serverRsa.cert),
      },
      tunnels: [],
    });
    engine.connect();
    // Fatal: straight back to Disconnected with the cause, no reconnect attempts.
    const snap = await waitFor(engine, (s) => s.state === 'disconnected' && s.lastError !== null);
    expect(snap.lastError?.code).toBe('tls_pin_mismatch');
    expect(snap.session.reconnectAttempt).toBe(0);
    expect(relay.stats().sessions).toBe(0);
  });

  it('marks only the tunnel whose local port is taken, and the others go on', async () => {
    const relay = await relayOn();
    const target = await echo();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const busyPort = (blocker.address() as net.AddressInfo).port;
    const goodPort = await freePort();
    const { engine } = startEngine({
      relay: { host: '127.0.0.1', port: relay.port, ca: pki.caPem },
      tunnels: [tunnel('t-busy', busyPort, target.port), tunnel('t-good', goodPort, target.port)],
    });
    engine.connect();
    const snap = await waitFor(
      engine,
      (s) =>
        s.state === 'active' &&
        s.tunnels.every((t) => t.status === 'listening' || t.status === 'error'),
    );
    expect(snap.tunnels.find((t) => t.id === 't-busy')?.error?.code).toBe('port_in_use');
    expect(snap.tunnels.find((t) => t.id === 't-good')?.status).toBe('listening');
    expect((await roundTrip(goodPort, Buffer.from('ok'))).toString()).toBe('ok');
  });

  it('releases every socket and timer on close', async () => {
    const relay = await relayOn();
    const target = await echo();
    const localPort = await freePort();
    const before = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    const engine = createEngine({
      relay: { host: '127.0.0.1', port: relay.port, ca: pki.caPem },
      tunnels: [tunnel('t-close', localPort, target.port)],
      getToken: () => token(),
      poolSize: 2,
    });
    engine.connect();
    await waitFor(engine, (s) => s.state === 'active' && s.tunnels[0]?.status === 'listening');
    const socket = await connectTcp(localPort);
    socket.write('held open');
    await new Promise((r) => setTimeout(r, 200));
    await engine.close();
    await readAll(socket);
    await new Promise((r) => setTimeout(r, 300));
    const after = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    expect(after).toBeLessThanOrEqual(before);
    await expect(connectTcp(localPort, '127.0.0.1', 2000)).rejects.toThrow();
  });

  it('keeps an established stream when only the control connection drops, and re-registers the same tunnel', async () => {
    const relay = await relayOn();
    const proxy = await proxyTo(relay.port);
    const target = await echo();
    const localPort = await freePort();
    const { engine } = startEngine({
      relay: { host: '127.0.0.1', port: proxy.port, ca: pki.caPem },
      tunnels: [tunnel('t-survive', localPort, target.port)],
      poolSize: 0,
      random: () => 0,
    });
    engine.connect();
    await waitFor(engine, (s) => s.state === 'active' && s.tunnels[0]?.status === 'listening');
    const socket = await connectTcp(localPort);
    cleanups.push(() => void socket.destroy());
    expect(await exchange(socket, 'before the drop')).toBe('before the drop');
    expect(proxy.cut(0)).toBe(true); // the control connection was opened first
    await waitFor(engine, (s) => s.state === 'reconnecting');
    const back = await waitFor(
      engine,
      (s) => s.state === 'active' && s.tunnels[0]?.status === 'listening',
    );
    expect(back.tunnels[0]?.id).toBe('t-survive');
    expect(back.tunnels[0]?.openConnections).toBe(1);
    expect(await exchange(socket, 'after the drop')).toBe('after the drop');
    const fresh = await roundTrip(localPort, Buffer.from('new stream after reconnect'));
    expect(fresh.toString()).toBe('new stream after reconnect');
  });

  it('detects a half-open relay by missed heartbeat answers and goes Reconnecting', async () => {
    const relay = await relayOn();
    const proxy = await proxyTo(relay.port);
    const { engine, logs } = startEngine({
      relay: { host: '127.0.0.1', port: proxy.port, ca: pki.caPem },
      tunnels: [],
      heartbeatIntervalMs: 300,
      heartbeatTimeoutMs: 200,
    });
    engine.connect();
    await waitFor(engine, (s) => s.state === 'active');
    await new Promise((r) => setTimeout(r, 500)); // one heartbeat answered
    proxy.setMode('swallow');
    const started = Date.now();
    const lost = await waitFor(engine, (s) => s.state === 'reconnecting', 5000);
    expect(lost.lastError?.code).toBe('heartbeat_timeout');
    expect(Date.now() - started).toBeLessThan(2500);
    expect(logs.filter((l) => l.event === 'heartbeat_missed').length).toBeGreaterThanOrEqual(2);
  });

  it('opens and closes listeners as tunnels are enabled, disabled and added at run time', async () => {
    const relay = await relayOn();
    const target = await echo();
    const [portA, portB] = [await freePort(), await freePort()];
    const { engine } = startEngine({
      relay: { host: '127.0.0.1', port: relay.port, ca: pki.caPem },
      tunnels: [tunnel('t-a', portA, target.port)],
    });
    engine.connect();
    await waitFor(engine, (s) => s.state === 'active' && s.tunnels[0]?.status === 'listening');
    engine.setTunnelEnabled('t-a', false);
    expect(engine.snapshot().tunnels[0]?.status).toBe('off');
    await expect(connectTcp(portA, '127.0.0.1', 2000)).rejects.toThrow();
    engine.setTunnels([tunnel('t-a', portA, target.port), tunnel('t-b', portB, target.port)]);
    const both = await waitFor(
      engine,
      (s) => s.tunnels.length === 2 && s.tunnels.every((t) => t.status === 'listening'),
    );
    expect(both.state).toBe('active');
    expect((await roundTrip(portA, Buffer.from('a'))).toString()).toBe('a');
    expect((await roundTrip(portB, Buffer.from('b'))).toString()).toBe('b');
    await engine.disconnect();
    expect(engine.snapshot().state).toBe('disconnected');
    await expect(connectTcp(portB, '127.0.0.1', 2000)).rejects.toThrow();
  });

  it('passes a FIN on as a FIN (the target still answers after it) and a reset on as a reset, both ways', async () => {
    const relay = await relayOn();
    let mode: 'after-fin' | 'reset' | 'observe' = 'after-fin';
    const targetSockets = new Set<net.Socket>();
    let observed: Promise<string> | null = null;
    const target = net.createServer({ allowHalfOpen: true }, (socket) => {
      targetSockets.add(socket);
      if (mode === 'observe') {
        observed = new Promise((resolve) => {
          socket.once('end', () => resolve('end'));
          socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
        });
      }
      socket.on('error', () => undefined);
      let got = '';
      socket.on('data', (c: Buffer) => {
        got += c.toString();
        if (mode === 'reset' && got.includes('reset me')) socket.resetAndDestroy();
      });
      socket.on('end', () => {
        if (mode === 'after-fin') socket.end(`got ${got.length} bytes, bye after your FIN`);
      });
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const s of targetSockets) s.destroy();
      return new Promise<void>((r) => target.close(() => r()));
    });
    const localPort = await freePort();
    const { engine } = startEngine({
      relay: { host: '127.0.0.1', port: relay.port, ca: pki.caPem },
      tunnels: [tunnel('t-fin', localPort, (target.address() as net.AddressInfo).port)],
    });
    engine.connect();
    await waitFor(engine, (s) => s.state === 'active' && s.tunnels[0]?.status === 'listening');

    const answer = await roundTrip(localPort, Buffer.from('twelve bytes'));
    expect(answer.toString()).toBe('got 12 bytes, bye after your FIN');

    mode = 'reset';
    const socket = await connectTcp(localPort);
    socket.write('please reset me');
    const result = await readAll(socket);
    expect(result).toMatchObject({ ending: 'error', error: 'ECONNRESET' });

    // And the other way: a local reset reaches the target as a reset, not as a FIN.
    mode = 'observe';
    const local = await connectTcp(localPort);
    expect(await exchangeWithTarget(local)).toBe(true);
    local.resetAndDestroy();
    await expect(waitForValue(() => observed)).resolves.toBe('ECONNRESET');
  });

  it('honours back-pressure: a local reader that stops reading stops the flow instead of filling memory', async () => {
    const relay = await relayOn();
    const TOTAL = 64 * 1024 * 1024;
    const targetSockets = new Set<net.Socket>();
    let written = 0;
    const target = net.createServer((socket) => {
      targetSockets.add(socket);
      socket.on('error', () => undefined);
      const chunk = Buffer.alloc(64 * 1024, 0x5a);
      const pump = (): void => {
        while (written < TOTAL) {
          written += chunk.length;
          if (!socket.write(chunk)) {
            socket.once('drain', pump);
            return;
          }
        }
        socket.end();
      };
      pump();
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const s of targetSockets) s.destroy();
      return new Promise<void>((r) => target.close(() => r()));
    });
    const localPort = await freePort();
    const { engine } = startEngine({
      relay: { host: '127.0.0.1', port: relay.port, ca: pki.caPem },
      tunnels: [tunnel('t-slow', localPort, (target.address() as net.AddressInfo).port)],
    });
    engine.connect();
    await waitFor(engine, (s) => s.state === 'active' && s.tunnels[0]?.status === 'listening');
    const socket = await connectTcp(localPort);
    socket.pause();
    await new Promise((r) => setTimeout(r, 1500));
    const stalled = engine.snapshot().tunnels[0]!.bytesIn;
    expect(stalled).toBeGreaterThan(0);
    // Only socket buffers along the path may hold data; the engine must not have read it all.
    expect(stalled).toBeLessThan(24 * 1024 * 1024);
    expect(written).toBeLessThan(TOTAL);
    const reading = readAll(socket);
    socket.resume(); // an explicit pause() is not undone by adding a 'data' listener
    expect(await reading).toMatchObject({ ending: 'end', bytes: TOTAL });
  });
});

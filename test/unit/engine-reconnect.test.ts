// The engine's retry loop with an injected clock and random against loopback relays that
// refuse or script their answers: the backoff schedule as seen in snapshots, giving up after
// 10 attempts, the 5-per-minute auth limit, fatal errors, direct mode, and token scrubbing.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../../src-main/engine/engine';
import type {
  Engine,
  EngineOptions,
  PersistedSessionState,
  SessionStatePersistence,
} from '../../src-main/engine/types';
import { LineDecoder, type JsonObject } from '../../src-main/protocol/codec';
import type { EngineSnapshot, LogRecord } from '../../src-main/shared/model';
import { freePort } from '../harness/traffic';
import { FakeClock } from './engine-fake-clock';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyZWNvbm5lY3QifQ.c2VjcmV0LXNpZ25hdHVyZS1ieXRlcw';
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

type Handler = (message: JsonObject, reply: (m: JsonObject) => void, socket: net.Socket) => void;

/** A plaintext relay that answers each client line through `handler`. */
async function lineRelay(handler: Handler): Promise<{ port: number; connections: () => number }> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    count += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    const decoder = new LineDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const m of decoder.push(chunk))
        handler(m, (r) => socket.write(JSON.stringify(r) + '\n'), socket);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { port: (server.address() as net.AddressInfo).port, connections: () => count };
}

function start(options: Partial<EngineOptions> & Pick<EngineOptions, 'relay'>): {
  engine: Engine;
  clock: FakeClock;
  logs: LogRecord[];
  snaps: EngineSnapshot[];
} {
  const clock = new FakeClock();
  const engine = createEngine({
    tunnels: [],
    getToken: () => Promise.resolve(TOKEN),
    clock,
    random: () => 0,
    ...options,
  });
  const logs: LogRecord[] = [];
  const snaps: EngineSnapshot[] = [];
  engine.on('log', (r) => logs.push(r));
  engine.on('snapshot', (s) => snaps.push(s));
  closers.push(() => engine.close());
  return { engine, clock, logs, snaps };
}

describe('engine reconnect loop', () => {
  it('retries after 1, 2, 4, 8, 16, 30 ... s and gives up after 10 attempts with reconnect_exhausted', async () => {
    const port = await freePort();
    const { engine, clock } = start({ relay: { host: '127.0.0.1', port, insecure: true } });
    engine.connect();
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 10; attempt++) {
      await until(
        () => engine.snapshot().session.reconnectAttempt === attempt,
        `attempt ${attempt}`,
      );
      const snap = engine.snapshot();
      expect(snap.state).toBe('reconnecting');
      expect(snap.lastError?.code).toBe('connection_refused');
      const wait = Date.parse(snap.session.nextRetryAt!) - clock.now();
      delays.push(wait);
      clock.advance(wait);
    }
    await until(() => engine.snapshot().state === 'disconnected', 'giving up');
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000, 30000]);
    const final = engine.snapshot();
    expect(final.lastError?.code).toBe('reconnect_exhausted');
    expect(final.session.nextRetryAt).toBeNull();
    expect(clock.pending).toBe(0);
    // A user action starts again.
    engine.reconnectNow();
    expect(engine.snapshot().state).toBe('authenticating');
  });

  it('never sends more than 5 auth attempts in any 60 s, even when backoff would allow it', async () => {
    const authAt: number[] = [];
    let clockRef: FakeClock | null = null;
    const relay = await lineRelay((m, reply, socket) => {
      if (m.type === 'hello') reply({ type: 'hello_response', features: [] });
      if (m.type === 'auth') {
        authAt.push(clockRef!.now());
        reply({ type: 'error', code: 'server_unavailable', message: 'busy' });
        socket.end();
      }
    });
    const { engine, clock, logs } = start({
      relay: { host: '127.0.0.1', port: relay.port, insecure: true, opener: 'client' },
    });
    clockRef = clock;
    engine.connect();
    while (clock.now() - authAt[0]! < 130_000 || authAt.length === 0) {
      const seen = authAt.length;
      await until(
        () =>
          engine.snapshot().state === 'reconnecting' &&
          engine.snapshot().session.nextRetryAt !== null &&
          authAt.length >= seen,
        'retry scheduled',
      );
      await until(() => clock.nextAt() !== null, 'timer');
      clock.advance(clock.nextAt()! - clock.now());
      await until(
        () =>
          authAt.length > seen ||
          logs.some(
            (l) => l.event === 'auth_rate_limited' && Date.parse(l.timestamp) === clock.now(),
          ) ||
          engine.snapshot().state === 'disconnected',
        'next attempt',
      );
      if (engine.snapshot().state === 'disconnected') break;
    }
    expect(authAt.length).toBeGreaterThanOrEqual(7);
    // Backoff alone would have sent the sixth attempt at 31 s; the limit held it to 60 s.
    expect(authAt.slice(0, 7).map((t) => t - authAt[0]!)).toEqual([
      0, 1000, 3000, 7000, 15000, 60000, 90000,
    ]);
    for (let i = 5; i < authAt.length; i++)
      expect(authAt[i]! - authAt[i - 5]!).toBeGreaterThanOrEqual(60_000);
    expect(logs.some((l) => l.event === 'auth_rate_limited')).toBe(true);
  });

  it('stops at once on a fatal error and keeps no timer', async () => {
    const relay = await lineRelay((m, reply) => {
      if (m.type === 'hello') reply({ type: 'hello_response' });
      if (m.type === 'auth')
        reply({
          type: 'error',
          code: 'TENANT_NOT_FOUND',
          message: `no tenant for ${String(m['token'])}`,
        });
    });
    const { engine, clock, logs } = start({
      relay: { host: '127.0.0.1', port: relay.port, insecure: true, opener: 'client' },
    });
    engine.connect();
    await until(() => engine.snapshot().state === 'disconnected', 'fatal stop');
    expect(engine.snapshot().lastError?.code).toBe('tenant_not_found');
    expect(clock.pending).toBe(0);
    expect(relay.connections()).toBe(1);
    // The relay echoed the token in its message: the log must not carry it.
    const text = JSON.stringify(logs);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('c2VjcmV0LXNpZ25hdHVyZS1ieXRlcw');
    expect(logs.some((l) => l.event === 'insecure_connection' && l.level === 'warn')).toBe(true);
  });

  it('refuses to carry data for a relay without tcp_stream unless direct mode is allowed, then dials the target itself', async () => {
    const echo = net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => echo.close(() => r())));
    const relay = await lineRelay((m, reply) => {
      if (m.type === 'hello') reply({ type: 'hello_response', features: ['heartbeat'] });
      if (m.type === 'auth') reply({ type: 'auth_response', status: 'ok' });
      if (m.type === 'tunnel_info')
        reply({ type: 'tunnel_response', status: 'ok', tunnel_id: m['tunnel_id'] });
    });
    const localPort = await freePort();
    const tunnel = {
      id: 'd1',
      name: 'd1',
      kind: 'other' as const,
      localHost: '127.0.0.1',
      localPort,
      remoteHost: '127.0.0.1',
      remotePort: (echo.address() as net.AddressInfo).port,
      enabled: true,
    };
    const refused = start({
      relay: { host: '127.0.0.1', port: relay.port, insecure: true, opener: 'client' },
      tunnels: [tunnel],
    });
    refused.engine.connect();
    await until(() => refused.engine.snapshot().state === 'active', 'active');
    expect(refused.engine.snapshot().tunnels[0]).toMatchObject({
      status: 'error',
      error: { code: 'protocol_error' },
    });
    await refused.engine.close();

    const direct = start({
      relay: { host: '127.0.0.1', port: relay.port, insecure: true, opener: 'client' },
      tunnels: [tunnel],
      allowDirect: true,
    });
    direct.engine.connect();
    await until(() => direct.engine.snapshot().tunnels[0]?.status === 'listening', 'listening');
    expect(direct.engine.snapshot().tunnels[0]?.dataMode).toBe('direct');
    const client = net.connect({ host: '127.0.0.1', port: localPort });
    const chunks: Buffer[] = [];
    client.on('data', (c: Buffer) => chunks.push(c));
    client.end('direct bytes');
    await new Promise<void>((r) => client.once('end', () => r()));
    client.destroy();
    expect(Buffer.concat(chunks).toString()).toBe('direct bytes');
  });

  it('remembers a speak-first relay and its reconnect token across restarts, never the token itself', async () => {
    let stored: PersistedSessionState | null = null;
    const persistence: SessionStatePersistence = {
      load: () => Promise.resolve(stored),
      save: (state) => {
        stored = state;
        return Promise.resolve();
      },
    };
    const authSeen: JsonObject[] = [];
    let helloDelayMs = 0;
    const sockets = new Set<net.Socket>();
    // Speaks first (after helloDelayMs) and closes on anything but auth (docs/protocol.md#opener).
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      const timer = setTimeout(
        () => socket.write(JSON.stringify({ type: 'hello', version: '1.0', features: [] }) + '\n'),
        helloDelayMs,
      );
      const decoder = new LineDecoder();
      socket.on('data', (chunk: Buffer) => {
        for (const m of decoder.push(chunk)) {
          if (m.type !== 'auth') {
            clearTimeout(timer);
            socket.destroy();
            return;
          }
          authSeen.push(m);
          socket.write(
            JSON.stringify({
              type: 'auth_response',
              status: 'success',
              reconnect_token: 'rt-persisted-42',
            }) + '\n',
          );
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    });
    const relay = {
      host: '127.0.0.1',
      port: (server.address() as net.AddressInfo).port,
      insecure: true,
    } as const;

    const first = createEngine({
      relay,
      tunnels: [],
      getToken: () => Promise.resolve(TOKEN),
      persistence,
    });
    closers.push(() => first.close());
    first.connect();
    await until(() => first.snapshot().state === 'active' && stored !== null, 'first session');
    expect(stored).toMatchObject({
      relay: `127.0.0.1:${relay.port}`,
      opener: 'server',
      reconnectToken: 'rt-persisted-42',
    });
    expect(JSON.stringify(stored)).not.toContain(TOKEN);
    await first.close();

    // Now the relay speaks only after 600 ms: an engine that did not remember would give up
    // waiting at 300 ms, send hello, and be cut off.
    helloDelayMs = 600;
    const second = createEngine({
      relay,
      tunnels: [],
      getToken: () => Promise.resolve(TOKEN),
      persistence,
    });
    closers.push(() => second.close());
    second.connect();
    await until(() => second.snapshot().state === 'active', 'second session');
    expect(authSeen[1]?.['reconnect_token']).toBe('rt-persisted-42');
  });

  it('switches relay: the old session closes and a wanted connection reopens on the new relay', async () => {
    const handler: Handler = (m, reply) => {
      if (m.type === 'hello') reply({ type: 'hello_response', features: [] });
      if (m.type === 'auth') reply({ type: 'auth_response', status: 'ok', client_id: 'c' });
    };
    const a = await lineRelay(handler);
    const b = await lineRelay(handler);
    const { engine } = start({
      relay: { host: '127.0.0.1', port: a.port, insecure: true, opener: 'client' },
    });
    engine.connect();
    await until(() => engine.snapshot().state === 'active', 'active on A');
    engine.setRelay({ host: '127.0.0.1', port: b.port, insecure: true, opener: 'client' });
    await until(() => engine.snapshot().state === 'active' && b.connections() === 1, 'active on B');
    expect(engine.snapshot().session.relay).toBe(`127.0.0.1:${b.port}`);
    expect(a.connections()).toBe(1);
    await engine.disconnect();
    engine.setRelay({ host: '127.0.0.1', port: a.port, insecure: true, opener: 'client' });
    await new Promise((r) => setTimeout(r, 100));
    expect(engine.snapshot().state).toBe('disconnected'); // not wanted: stays down
    expect(a.connections()).toBe(1);
  });
});

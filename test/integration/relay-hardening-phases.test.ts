// Deadlines and caps of every connection phase after TLS, against the real relay process
// (docs/protocol.md#limits): the first line by an absolute deadline, auth soon after it, a
// message every few heartbeat periods after that, a mux connection that hears nothing closed,
// unauthenticated heartbeats refused, and connections capped per source, in total and per client.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, FrameType } from '../../src-main/protocol/mux-frames';
import { relayBundlePath, sharedTestPki, type RawRelayClient } from '../harness/relay';
import {
  authenticates,
  closeHardenedRelays,
  destroyAttackSockets,
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

/** Resolves with the time the relay took to close the connection, or null if it did not. */
async function closedAfter(client: RawRelayClient, withinMs: number): Promise<number | null> {
  const started = Date.now();
  try {
    await client.closed(withinMs);
    return Date.now() - started;
  } catch {
    return null;
  }
}

async function helloOnly(relay: HardenedRelay, from: string): Promise<RawRelayClient> {
  const client = await lineClient(relay, from);
  client.send({ type: 'hello', version: '1.0', features: [] });
  return client;
}

/** Refused: reset at accept, or told connection_limit_reached right after TLS. */
async function isRefused(relay: HardenedRelay, from: string): Promise<boolean> {
  let client: RawRelayClient;
  try {
    client = await lineClient(relay, from);
  } catch {
    return true;
  }
  try {
    const reply = await client.next(3_000);
    return reply['code'] === 'connection_limit_reached';
  } catch {
    return true;
  }
}

async function muxOpen(relay: HardenedRelay, from = '127.0.0.1'): Promise<RawRelayClient> {
  const client = await lineClient(relay, from);
  client.send({ type: 'mux_open' });
  return client;
}

describe('before auth', () => {
  it('closes hello-only sessions at the auth deadline and refuses their heartbeats', async () => {
    const relay = await startHardenedRelay({ args: ['--limit', 'authTimeoutMs=800'] });
    const sessions = await Promise.all(
      Array.from({ length: 40 }, (_, i) => helloOnly(relay, `127.0.5.${1 + (i % 4)}`)),
    );
    for (const session of sessions) {
      expect(await session.next()).toMatchObject({ type: 'hello_response' });
      session.send({ type: 'heartbeat' });
      expect(await session.next()).toMatchObject({
        type: 'error',
        code: 'invalid_token',
        details: { reason: 'not_authenticated' },
      });
    }
    for (const session of sessions) {
      expect(await session.next(3_000)).toMatchObject({
        type: 'error',
        code: 'server_unavailable',
        details: { reason: 'auth_timeout' },
      });
      expect(await closedAfter(session, 3_000)).not.toBeNull();
    }
    expect(await relay.metric('cloudbridge_relay_limit_hits_total{limit="auth_timeout_ms"}')).toBe(
      40,
    );
    expect(await relay.metric('cloudbridge_relay_limit{limit="auth_timeout_ms"}')).toBe(800);
    expect(await authenticates(relay)).toBe(true);
  });

  it('keeps the first-line deadline absolute: a byte every 250 ms does not move it', async () => {
    const relay = await startHardenedRelay({ args: ['--limit', 'firstLineTimeoutMs=1000'] });
    const client = await lineClient(relay);
    let sent = 0;
    const drip = setInterval(() => {
      if (client.socket.writable) {
        client.sendRaw(sent === 0 ? '{' : ' ');
        sent += 1;
      }
    }, 250);
    const closedIn = await closedAfter(client, 4_000);
    clearInterval(drip);
    expect(closedIn).not.toBeNull();
    expect(closedIn).toBeLessThan(2_000);
    expect(sent).toBeGreaterThanOrEqual(3);
    expect(
      await relay.metric('cloudbridge_relay_limit_hits_total{limit="first_line_timeout_ms"}'),
    ).toBe(1);
  });

  it('caps connections without auth per source and in total; an authenticated one frees its slot', async () => {
    const relay = await startHardenedRelay({
      args: ['--limit', 'maxUnauthenticatedPerSource=5', '--limit', 'maxUnauthenticated=8'],
    });
    const first = await Promise.all(Array.from({ length: 5 }, () => helloOnly(relay, '127.0.6.1')));
    for (const session of first)
      expect(await session.next()).toMatchObject({ type: 'hello_response' });
    expect(await isRefused(relay, '127.0.6.1')).toBe(true);
    // Another address still gets in, up to the total of 8.
    const others = await Promise.all(
      Array.from({ length: 3 }, () => helloOnly(relay, '127.0.6.2')),
    );
    for (const session of others)
      expect(await session.next()).toMatchObject({ type: 'hello_response' });
    expect(await isRefused(relay, '127.0.6.3')).toBe(true);
    // Authenticating moves a session to the established caps: its source may open one more.
    const firstSession = first[0];
    firstSession?.send({ type: 'auth', token: await relay.token('alice') });
    expect(await firstSession?.next()).toMatchObject({ type: 'auth_response' });
    const again = await helloOnly(relay, '127.0.6.1');
    expect(await again.next()).toMatchObject({ type: 'hello_response' });
    expect(
      await relay.metric('cloudbridge_relay_limit_hits_total{limit="unauthenticated_per_source"}'),
    ).toBe(1);
    expect(await relay.metric('cloudbridge_relay_limit_hits_total{limit="unauthenticated"}')).toBe(
      1,
    );
  });

  it('holds at most the per-source cap of 1000 hello-only sessions from one address, and none after the deadline', async () => {
    const relay = await startHardenedRelay({ args: ['--limit', 'authTimeoutMs=1000'] });
    // Refused at accept (reset) or after TLS (connection_limit_reached): either way not held.
    const attempt = async (): Promise<'accepted' | 'refused'> => {
      try {
        const session = await helloOnly(relay, '127.0.7.1');
        const reply = await session.next(5_000);
        return reply['type'] === 'hello_response' ? 'accepted' : 'refused';
      } catch {
        return 'refused';
      }
    };
    let accepted = 0;
    let refused = 0;
    for (let round = 0; round < 20; round++) {
      const outcomes = await Promise.all(Array.from({ length: 50 }, attempt));
      accepted += outcomes.filter((o) => o === 'accepted').length;
      refused += outcomes.filter((o) => o === 'refused').length;
      expect(
        await relay.metric('cloudbridge_relay_connections_active{phase="unauthenticated"}'),
      ).toBeLessThanOrEqual(32);
    }
    expect(accepted + refused).toBe(1_000);
    // 32 at a time (the default) while earlier ones wait out their deadline.
    expect(refused).toBeGreaterThan(0);
    await sleep(2_500);
    expect(
      await relay.metric('cloudbridge_relay_connections_active{phase="unauthenticated"}'),
    ).toBe(0);
    expect(await authenticates(relay)).toBe(true);
  });
});

describe('after auth', () => {
  it('drops a session that stops sending and keeps one that heartbeats', async () => {
    const relay = await startHardenedRelay({
      args: ['--limit', 'sessionIdleTimeoutMs=1000', '--heartbeat-min-ms', '100'],
    });
    const silent = await lineClient(relay);
    silent.send({ type: 'auth', token: await relay.token('silent') });
    expect(await silent.next()).toMatchObject({ type: 'auth_response' });
    const beating = await lineClient(relay);
    beating.send({ type: 'auth', token: await relay.token('beating') });
    expect(await beating.next()).toMatchObject({ type: 'auth_response' });
    const beat = setInterval(() => beating.send({ type: 'heartbeat' }), 300);
    try {
      expect(await silent.next(4_000)).toMatchObject({
        type: 'error',
        code: 'server_unavailable',
        details: { reason: 'session_idle' },
      });
      expect(await closedAfter(silent, 3_000)).not.toBeNull();
      await sleep(1_500);
      expect(beating.socket.destroyed).toBe(false);
      beating.send({
        type: 'tunnel_info',
        tunnel_id: 'alive',
        local_port: 1,
        remote_host: '127.0.0.1',
        remote_port: 9,
      });
      let reply = await beating.next();
      while (reply['type'] === 'heartbeat_response') reply = await beating.next();
      expect(reply).toMatchObject({ type: 'tunnel_response', status: 'ok' });
    } finally {
      clearInterval(beat);
    }
    expect(
      await relay.metric('cloudbridge_relay_limit_hits_total{limit="session_idle_timeout_ms"}'),
    ).toBe(1);
  });

  it('closes a mux connection that hears nothing and keeps one that PINGs', async () => {
    const relay = await startHardenedRelay({ args: ['--limit', 'muxIdleTimeoutMs=1000'] });
    const idle = await muxOpen(relay);
    expect(await idle.next()).toMatchObject({ type: 'mux_response', status: 'ok' });
    const pinging = await muxOpen(relay);
    expect(await pinging.next()).toMatchObject({ type: 'mux_response', status: 'ok' });
    pinging.detach();
    let pongBytes = 0;
    pinging.socket.on('data', (chunk: Buffer) => (pongBytes += chunk.length));
    const ping = setInterval(
      () => pinging.sendRaw(encodeFrame(FrameType.PING, 0, Buffer.from('12345678'))),
      300,
    );
    try {
      expect(await closedAfter(idle, 4_000)).not.toBeNull();
      await sleep(1_000);
      expect(pinging.socket.destroyed).toBe(false);
      expect(pongBytes).toBeGreaterThan(0);
    } finally {
      clearInterval(ping);
    }
    expect(
      await relay.metric('cloudbridge_relay_limit_hits_total{limit="mux_idle_timeout_ms"}'),
    ).toBe(1);
  });

  it('caps established connections per source and control sessions per client', async () => {
    const relay = await startHardenedRelay({
      args: ['--limit', 'maxConnectionsPerSource=4', '--limit', 'maxSessionsPerIdentity=2'],
    });
    const session = async (sub: string): Promise<Record<string, unknown>> => {
      const client = await lineClient(relay);
      client.send({ type: 'auth', token: await relay.token(sub) });
      return client.next();
    };
    expect(await session('alice')).toMatchObject({ type: 'auth_response' });
    expect(await session('alice')).toMatchObject({ type: 'auth_response' });
    expect(await session('alice')).toMatchObject({
      type: 'error',
      code: 'connection_limit_reached',
      details: { reason: 'sessions_per_identity' },
    });
    expect(await session('bob')).toMatchObject({ type: 'auth_response' });
    const mux = await muxOpen(relay);
    expect(await mux.next()).toMatchObject({ type: 'mux_response' });
    // Four established from 127.0.0.1: a fifth of any kind is refused, another address is not.
    const fifth = await muxOpen(relay);
    expect(await fifth.next()).toMatchObject({ type: 'error', code: 'connection_limit_reached' });
    const elsewhere = await muxOpen(relay, '127.0.8.1');
    expect(await elsewhere.next()).toMatchObject({ type: 'mux_response' });
    expect(await relay.metric('cloudbridge_relay_limit{limit="connections_per_source"}')).toBe(4);
    expect(
      await relay.metric('cloudbridge_relay_limit_hits_total{limit="sessions_per_identity"}'),
    ).toBe(1);
    expect(
      await relay.metric('cloudbridge_relay_limit_hits_total{limit="connections_per_source"}'),
    ).toBe(1);
  });

  it('caps established connections in total, whatever their sources', async () => {
    const relay = await startHardenedRelay({ args: ['--limit', 'maxConnections=3'] });
    for (let i = 0; i < 3; i++) {
      const mux = await muxOpen(relay, `127.0.15.${i + 1}`);
      expect(await mux.next()).toMatchObject({ type: 'mux_response' });
    }
    const fourth = await muxOpen(relay, '127.0.15.9');
    expect(await fourth.next()).toMatchObject({ type: 'error', code: 'connection_limit_reached' });
    expect(await relay.metric('cloudbridge_relay_limit_hits_total{limit="connections"}')).toBe(1);
    expect(await relay.metric('cloudbridge_relay_connections_active{phase="established"}')).toBe(3);
  });

  it('refuses a line over the after-auth limit, and keeps lines under it', async () => {
    const relay = await startHardenedRelay({ args: ['--limit', 'maxLineBytes=65536'] });
    const client = await lineClient(relay);
    client.send({ type: 'auth', token: await relay.token('long-liner') });
    expect(await client.next()).toMatchObject({ type: 'auth_response' });
    client.send({ type: 'heartbeat', pad: 'x'.repeat(60_000) });
    expect(await client.next()).toMatchObject({ type: 'heartbeat_response' });
    client.send({ type: 'heartbeat', pad: 'x'.repeat(70_000) });
    expect(await client.next()).toMatchObject({ details: { reason: 'line_too_long' } });
    expect(await relay.metric('cloudbridge_relay_limit_hits_total{limit="line_bytes"}')).toBe(1);
  });
});

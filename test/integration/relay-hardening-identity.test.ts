// Between the clients of one relay process (docs/protocol.md#tunnel-registration, #limits): tunnel ids
// per client, tunnel creations budgeted per client, access that ends at the token's expiry, and
// an auth limit that counts failures only, per source and per claimed client.

import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newOpaqueToken } from '../../src-main/relay/registry';
import { mintDevToken } from '../../src-main/relay/tokens';
import { relayBundlePath, sharedTestPki, type RawRelayClient } from '../harness/relay';
import {
  closeHardenedRelays,
  destroyAttackSockets,
  lineClient,
  startHardenedRelay,
  type HardenedRelay,
} from './relay-hardening-helpers';

const servers: Server[] = [];

beforeAll(async () => {
  await Promise.all([relayBundlePath(), sharedTestPki()]);
});

afterEach(async () => {
  destroyAttackSockets();
  await closeHardenedRelays();
  await Promise.all(
    servers
      .splice(0)
      .map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
});

/** A target that greets every connection with its name. */
async function greeter(name: string): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.end(`${name}\n`);
  });
  server.on('close', () => sockets.forEach((socket) => socket.destroy()));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

async function session(
  relay: HardenedRelay,
  token: string,
  from?: string,
): Promise<RawRelayClient> {
  const client = await lineClient(relay, from);
  client.send({ type: 'auth', token });
  expect(await client.next()).toMatchObject({ type: 'auth_response', status: 'ok' });
  return client;
}

async function register(
  client: RawRelayClient,
  tunnelId: string,
  port: number,
): Promise<Record<string, unknown>> {
  client.send({
    type: 'tunnel_info',
    tunnel_id: tunnelId,
    local_port: 2222,
    remote_host: '127.0.0.1',
    remote_port: port,
  });
  return client.next();
}

/** Opens a data stream; resolves with the target's greeting, or the relay's refusal. */
async function openStream(
  relay: HardenedRelay,
  tunnelId: string,
  streamToken: string,
): Promise<{ greeting?: string; refusal?: Record<string, unknown> }> {
  const client = await lineClient(relay);
  client.send({ type: 'stream_open', tunnel_id: tunnelId, stream_token: streamToken });
  const reply = await client.next();
  if (reply['type'] !== 'stream_response') return { refusal: reply };
  let text = client.detach().toString('utf8');
  await new Promise<void>((resolve) => {
    client.socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    client.socket.once('end', () => resolve());
  });
  return { greeting: text.trim() };
}

describe('tunnel ids per client', () => {
  it('lets two clients both hold t-2222, each stream reaching its own target, and tells others nothing', async () => {
    const relay = await startHardenedRelay();
    const [alicePort, bobPort] = [await greeter('alice-target'), await greeter('bob-target')];
    const alice = await session(relay, await relay.token('alice'));
    const bob = await session(relay, await relay.token('bob'));
    const aliceTunnel = await register(alice, 't-2222', alicePort);
    const bobTunnel = await register(bob, 't-2222', bobPort);
    expect(aliceTunnel).toMatchObject({
      type: 'tunnel_response',
      status: 'ok',
      tunnel_id: 't-2222',
    });
    expect(bobTunnel).toMatchObject({ type: 'tunnel_response', status: 'ok', tunnel_id: 't-2222' });
    expect(await openStream(relay, 't-2222', String(aliceTunnel['stream_token']))).toEqual({
      greeting: 'alice-target',
    });
    expect(await openStream(relay, 't-2222', String(bobTunnel['stream_token']))).toEqual({
      greeting: 'bob-target',
    });
    // A held id with a guessed token answers exactly like an id nobody holds.
    const held = await openStream(relay, 't-2222', newOpaqueToken());
    const unheld = await openStream(relay, 't-9999', newOpaqueToken());
    expect(held.refusal).toMatchObject({ type: 'error', code: 'invalid_token' });
    expect(held.refusal).toEqual(unheld.refusal);
  });

  it('budgets tunnel creations per client: one client’s 10 leave the rest of the tenant theirs', async () => {
    const relay = await startHardenedRelay();
    const port = await greeter('t');
    const alice = await session(relay, await relay.token('alice'));
    for (let i = 0; i < 10; i++)
      expect(await register(alice, `a-${i}`, port)).toMatchObject({ type: 'tunnel_response' });
    expect(await register(alice, 'a-10', port)).toMatchObject({
      type: 'error',
      code: 'rate_limit_exceeded',
      details: { limit: 'tunnel_creations_per_identity' },
    });
    // A hand-back is not a creation.
    expect(await register(alice, 'a-3', port)).toMatchObject({ type: 'tunnel_response' });
    const bob = await session(relay, await relay.token('bob'));
    expect(await register(bob, 'b-0', port)).toMatchObject({ type: 'tunnel_response' });
    expect(
      await relay.metric(
        'cloudbridge_relay_limit_hits_total{limit="tunnel_creations_per_identity"}',
      ),
    ).toBe(1);
  });
});

describe('tunnel creations per tenant', () => {
  it('refuses the tenant’s creation past its hourly budget, whichever client asks', async () => {
    const relay = await startHardenedRelay({ args: ['--limit', 'tenantTunnelCreationsPerHour=3'] });
    const port = await greeter('t');
    const alice = await session(relay, await relay.token('alice'));
    const bob = await session(relay, await relay.token('bob'));
    expect(await register(alice, 'a-1', port)).toMatchObject({ type: 'tunnel_response' });
    expect(await register(alice, 'a-2', port)).toMatchObject({ type: 'tunnel_response' });
    expect(await register(bob, 'b-1', port)).toMatchObject({ type: 'tunnel_response' });
    expect(await register(bob, 'b-2', port)).toMatchObject({
      code: 'rate_limit_exceeded',
      details: { limit: 'tunnel_creations_per_tenant' },
    });
    expect(
      await relay.metric('cloudbridge_relay_limit_hits_total{limit="tunnel_creations_per_tenant"}'),
    ).toBe(1);
  });
});

describe('access ends at the token’s expiry', () => {
  it('closes the session with invalid_token at exp plus skew and refuses its streams from then on', async () => {
    const relay = await startHardenedRelay({ config: { jwt: { clockToleranceSec: 1 } } });
    const port = await greeter('expiring-target');
    const nowSec = Math.floor(Date.now() / 1000);
    const shortLived = await relay.token('alice', { ttlSec: 2, nowSec });
    const alice = await session(relay, shortLived);
    const tunnel = await register(alice, 't-1', port);
    const streamToken = String(tunnel['stream_token']);
    expect(await openStream(relay, 't-1', streamToken)).toEqual({ greeting: 'expiring-target' });
    expect(await alice.next(6_000)).toMatchObject({
      type: 'error',
      code: 'invalid_token',
      details: { reason: 'token_expired' },
    });
    await alice.closed();
    expect(Date.now() / 1000).toBeGreaterThanOrEqual(nowSec + 3);
    // Its registration waits in grace, but admits no stream on the expired token's access.
    expect((await openStream(relay, 't-1', streamToken)).refusal).toMatchObject({
      code: 'invalid_token',
    });
    // A fresh token takes the tunnel back, and its streams work again.
    const renewed = await session(relay, await relay.token('alice'));
    expect(await register(renewed, 't-1', port)).toMatchObject({ stream_token: streamToken });
    expect(await openStream(relay, 't-1', streamToken)).toEqual({ greeting: 'expiring-target' });
    expect(await relay.metric('cloudbridge_relay_limit_hits_total{limit="token_expired"}')).toBe(1);
  });
});

describe('the auth limit counts failures only', () => {
  it('lets 200 valid logins through one address', async () => {
    const relay = await startHardenedRelay();
    for (let round = 0; round < 10; round++) {
      const clients = await Promise.all(
        Array.from({ length: 20 }, async (_, i) =>
          session(relay, await relay.token(`nat-user-${round}-${i}`), '127.0.9.1'),
        ),
      );
      for (const client of clients) client.destroy();
    }
    expect(await relay.metric('cloudbridge_relay_sessions_total')).toBe(200);
  });

  it('rate-limits a source after 5 failures, and never a valid token from it', async () => {
    const relay = await startHardenedRelay();
    const forged = await mintDevToken({
      secret: 'not-the-relay-secret-0123',
      sub: 'x',
      ttlSec: 60,
    });
    for (let i = 0; i < 5; i++) {
      const client = await lineClient(relay, '127.0.10.1');
      client.send({ type: 'auth', token: forged });
      expect(await client.next()).toMatchObject({ code: 'invalid_token' });
    }
    const sixth = await lineClient(relay, '127.0.10.1');
    sixth.send({ type: 'auth', token: forged });
    expect(await sixth.next()).toMatchObject({
      code: 'rate_limit_exceeded',
      details: { limit: 'auth_failures_per_source' },
    });
    await session(relay, await relay.token('valid-after-failures'), '127.0.10.1');
  });

  it('rate-limits failures for one claimed client across addresses, and never its valid token', async () => {
    const relay = await startHardenedRelay();
    const forged = await mintDevToken({
      secret: 'not-the-relay-secret-0123',
      sub: 'victim',
      ttlSec: 60,
    });
    const replies = [];
    for (let i = 0; i < 6; i++) {
      const client = await lineClient(relay, `127.0.11.${i + 1}`);
      client.send({ type: 'auth', token: forged });
      replies.push(await client.next());
    }
    expect(replies.slice(0, 5).every((reply) => reply['code'] === 'invalid_token')).toBe(true);
    expect(replies[5]).toMatchObject({
      code: 'rate_limit_exceeded',
      details: { limit: 'auth_failures_per_identity' },
    });
    await session(relay, await relay.token('victim'), '127.0.11.9');
  });
});

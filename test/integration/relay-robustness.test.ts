// The relay under hostile or heavy use: random bytes and random JSON never crash it, many
// concurrent streams stay separate and are all accounted for, and RS256 tokens verify
// against a JWKS served over HTTP on loopback.

import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  connectRawClient,
  sharedTestPki,
  startTestRelay,
  type RawRelayClient,
  type TestRelay,
  type TestRelayOptions,
} from '../harness/relay';
import { Pattern, startEchoServer, type TestServer } from '../harness/traffic';

const relays: TestRelay[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  await sharedTestPki();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await Promise.all(relays.splice(0).map((relay) => relay.close()));
});

async function relayWith(options: TestRelayOptions = {}): Promise<TestRelay> {
  const relay = await startTestRelay(options);
  relays.push(relay);
  return relay;
}

async function client(relay: TestRelay): Promise<RawRelayClient> {
  const c = await connectRawClient(relay);
  cleanups.push(() => c.destroy());
  return c;
}

describe('hostile input', () => {
  it('survives random bytes and random JSON on fresh connections and keeps serving', async () => {
    const relay = await relayWith({ limits: { authAttemptsPerMinute: 1_000 } });
    const anyJson = fc.oneof(
      fc.jsonValue().map((value) => JSON.stringify(value) + '\n'),
      fc
        .record(
          {
            type: fc.constantFrom(
              'hello',
              'auth',
              'tunnel_info',
              'heartbeat',
              'stream_open',
              'register',
              'error',
            ),
            token: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
            tunnel_id: fc.oneof(fc.string(), fc.integer()),
            local_port: fc.oneof(fc.integer(), fc.string()),
            remote_host: fc.oneof(fc.string(), fc.constant('127.0.0.1')),
            remote_port: fc.oneof(fc.integer({ min: -5, max: 70000 }), fc.string()),
            stream_token: fc.oneof(fc.string(), fc.integer()),
          },
          { requiredKeys: ['type'] },
        )
        .map((message) => JSON.stringify(message) + '\n'),
    );
    const payload = fc.oneof(
      anyJson,
      fc.uint8Array({ minLength: 1, maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(payload, { minLength: 1, maxLength: 4 }), async (parts) => {
        const c = await connectRawClient(relay);
        try {
          for (const part of parts) c.sendRaw(part);
          c.socket.end();
          await c.closed(5_000);
        } finally {
          c.destroy();
        }
      }),
      { numRuns: 40, seed: 20261122 },
    );
    const check = await client(relay);
    check.send({ type: 'auth', token: await relay.token() });
    expect(await check.next()).toMatchObject({ type: 'auth_response', status: 'ok' });
    expect(relay.logs.some((record) => record.event.endsWith('internal_error'))).toBe(false);
  });
});

describe('concurrency', () => {
  it('carries 16 concurrent streams to one target without mixing their bytes', async () => {
    const relay = await relayWith();
    const echo: TestServer = await startEchoServer();
    cleanups.push(() => echo.close());
    const control = await client(relay);
    control.send({ type: 'auth', token: await relay.token() });
    await control.next();
    control.send({
      type: 'tunnel_info',
      tunnel_id: 'many',
      local_port: 1,
      remote_host: '127.0.0.1',
      remote_port: echo.port,
    });
    const streamToken = String((await control.next())['stream_token']);

    const results = await Promise.all(
      Array.from({ length: 16 }, async (_, index) => {
        const pattern = new Pattern(256 * 1024 + index * 1000, 100 + index);
        const c = await client(relay);
        c.send({ type: 'stream_open', tunnel_id: 'many', stream_token: streamToken });
        expect(await c.next(12_000)).toEqual({ type: 'stream_response', status: 'ok' });
        const hash = createHash('sha256').update(c.detach());
        const done = new Promise<string>((resolve) => {
          c.socket.on('data', (chunk: Buffer) => hash.update(chunk));
          c.socket.once('end', () => resolve(hash.digest('hex')));
        });
        for (let i = 0; i < pattern.chunkCount; i++) {
          if (!c.socket.write(pattern.chunk(i)))
            await new Promise((resolve) => c.socket.once('drain', resolve));
        }
        c.socket.end();
        return { sent: pattern.sha256(), received: await done };
      }),
    );
    for (const result of results) expect(result.received).toBe(result.sent);
    expect(echo.connections).toBe(16);
    const deadline = Date.now() + 5_000;
    while (relay.relay.stats().streams > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(relay.relay.stats().streams).toBe(0);
  });
});

describe('JWKS over HTTP', () => {
  it('verifies RS256 tokens with keys fetched from a JWKS URL', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const jwksServer: HttpServer = createHttpServer((_, response) =>
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [jwk] })),
    );
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          jwksServer.close(() => resolve());
          jwksServer.closeAllConnections();
        }),
    );
    const url = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
    const relay = await relayWith({
      // Plain http only because this test says so; the relay logs that it was allowed.
      jwt: {
        hs256Secret: undefined,
        jwksUrl: url,
        algorithms: ['RS256'],
        allowInsecureJwksUrl: true,
      },
    });
    expect(relay.logs.some((record) => record.event === 'insecure_jwks_url')).toBe(true);
    const token = await new SignJWT({ sub: 'rs-user' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setExpirationTime('10m')
      .sign(privateKey);
    const c = await client(relay);
    c.send({ type: 'auth', token });
    expect(await c.next()).toMatchObject({
      type: 'auth_response',
      status: 'ok',
      client_id: 'rs-user',
    });
    // The harness's HS256 token is refused: the relay holds no secret now.
    const hs = await client(relay);
    hs.send({ type: 'auth', token: await relay.token() });
    expect(await hs.next()).toMatchObject({
      type: 'error',
      code: 'invalid_token',
      details: { reason: 'alg_not_allowed' },
    });
  });
});

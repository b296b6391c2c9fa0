// TLS trust end to end (wrong name, unknown CA, expired certificate, pin mismatch with an EC
// key, TLS 1.2 on either side), and one canary token carried through every test of this file
// that must never show up in any log, metrics text or error text of client or relay.

import { randomBytes } from 'node:crypto';
import {
  connect as tlsConnect,
  createServer as createTlsServer,
  type Server as TlsServer,
} from 'node:tls';
import { SignJWT } from 'jose';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import type { RelayEndpoint } from '../../src-main/engine/types';
import type { ErrorCode } from '../../src-main/shared/model';
import { Pattern, echoRoundTrip, startEchoServer } from '../harness/traffic';
import {
  Cleanup,
  isActive,
  pki,
  startClient,
  startTestRelay,
  tunnelTo,
  type TestClient,
  type TestRelay,
} from './system-stack';

const SECRET = randomBytes(24).toString('base64url');
const CANARY_MARK = `CLOUDBRIDGE-CANARY-${randomBytes(6).toString('hex')}`;
/** A valid JWT for every relay of this file, with the canary inside a claim. */
const canaryJwt = new SignJWT({ canary: CANARY_MARK })
  .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
  .setSubject('canary-user')
  .setIssuedAt()
  .setExpirationTime('10m')
  .sign(new TextEncoder().encode(SECRET));
/** Not a JWT at all: the relay refuses it, and it must not be echoed anywhere either. */
const CANARY_PLAIN = `${CANARY_MARK}-not-a-jwt-${randomBytes(8).toString('hex')}`;

/** Everything client and relay said during this file. */
const captured: string[] = [];
const relays: TestRelay[] = [];
const clients: TestClient[] = [];

const cleanup = new Cleanup();
afterEach(async () => {
  for (const relay of relays)
    captured.push(...relay.logs, await relay.server.metricsText().catch(() => ''));
  for (const client of clients) {
    captured.push(...client.logs.map((r) => JSON.stringify(r)));
    captured.push(...client.snapshots.map((s) => JSON.stringify(s)));
    captured.push(await client.engine.metrics().catch(() => ''));
  }
  relays.length = 0;
  clients.length = 0;
  await cleanup.run();
});

async function relayWith(tls: { cert: string; key: string }): Promise<TestRelay> {
  const relay = cleanup.add(await startTestRelay({ secret: SECRET, tls }), (r) => r.server.close());
  relays.push(relay);
  return relay;
}

async function clientFor(
  relay: { endpoint: RelayEndpoint },
  overrides: { ca?: string; pinSha256?: string; serverName?: string; token?: string } = {},
): Promise<TestClient> {
  const echo = cleanup.add(await startEchoServer(), (s) => s.close());
  const { token = await canaryJwt, ...endpoint } = overrides;
  const client = cleanup.add(
    startClient({
      relay: { ...relay.endpoint, ...endpoint },
      tunnels: [await tunnelTo('t-echo', echo.port)],
      token,
    }),
    (c) => c.close(),
  );
  clients.push(client);
  client.engine.connect();
  return client;
}

async function expectRefused(client: TestClient, code: ErrorCode): Promise<void> {
  const snapshot = await client.waitFor(`lastError ${code}`, (s) => s.lastError !== null);
  expect(snapshot.lastError?.code).toBe(code);
  // No retry can make a refused identity acceptable: it stops at once, with the cause shown.
  expect(snapshot.state).toBe('disconnected');
  expect(snapshot.session.reconnectAttempt).toBe(0);
  // Error text is for people: it names the problem without dumping a token.
  expect(snapshot.lastError?.message.length).toBeGreaterThan(0);
  captured.push(JSON.stringify(snapshot.lastError));
}

describe('TLS trust, end to end', () => {
  it('connects with the test CA and an EC key pin, and moves bytes', async () => {
    const p = await pki();
    const relay = await relayWith(p.serverEc);
    const client = await clientFor(relay, { pinSha256: p.pin(p.serverEc.cert) });
    const snapshot = await client.waitFor('active', isActive);
    const tunnel = snapshot.tunnels[0]!;
    const { sent, received } = await echoRoundTrip(tunnel.localPort, new Pattern(100_000, 4));
    expect(received.sha256).toBe(sent);
  });

  it('refuses a relay certificate for another name', async () => {
    const p = await pki();
    await expectRefused(await clientFor(await relayWith(p.wrongName)), 'tls_error');
  });

  it('refuses a relay certificate from an unknown CA', async () => {
    const p = await pki();
    await expectRefused(await clientFor(await relayWith(p.unknownCa)), 'tls_error');
  });

  it('refuses an expired relay certificate', async () => {
    const p = await pki();
    await expectRefused(await clientFor(await relayWith(p.expired)), 'tls_error');
  });

  it('refuses a valid EC relay certificate whose key does not match the pin', async () => {
    const p = await pki();
    // The certificate chains to the trusted CA and has the right name: only the pin is wrong.
    const client = await clientFor(await relayWith(p.serverEc), {
      pinSha256: p.pin(p.serverRsa.cert),
    });
    await expectRefused(client, 'tls_pin_mismatch');
  });

  it('refuses a relay that offers only TLS 1.2', async () => {
    const p = await pki();
    const server: TlsServer = createTlsServer(
      { ...p.serverEc, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' },
      (socket) => socket.destroy(),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.add(server, (s) => new Promise<void>((resolve) => s.close(() => resolve())));
    const port = (server.address() as { port: number }).port;
    const client = await clientFor({ endpoint: { host: '127.0.0.1', port, ca: p.caPem } });
    await expectRefused(client, 'tls_version');
  });

  it('the relay refuses a client that offers only TLS 1.2', async () => {
    const p = await pki();
    const relay = await relayWith(p.serverEc);
    const outcome = await new Promise<string>((resolve) => {
      const socket = tlsConnect({
        host: '127.0.0.1',
        port: relay.server.port,
        ca: p.caPem,
        servername: 'localhost',
        maxVersion: 'TLSv1.2',
      });
      socket.once('secureConnect', () => {
        socket.destroy();
        resolve(`connected with ${socket.getProtocol()}`);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    expect(outcome).not.toMatch(/^connected/);
    expect(outcome).toMatch(/SSL|TLS|VERSION|ECONNRESET/i);
  });

  it('refuses a bad token with invalid_token and does not retry', async () => {
    const p = await pki();
    const relay = await relayWith(p.serverEc);
    const client = await clientFor(relay, { token: CANARY_PLAIN });
    const snapshot = await client.waitFor(
      'disconnected with invalid_token',
      (s) => s.state === 'disconnected' && s.lastError !== null,
    );
    expect(snapshot.lastError?.code).toBe('invalid_token');
    captured.push(JSON.stringify(snapshot.lastError));
    // Fatal: no further attempts (docs/protocol.md#errors).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(client.engine.snapshot().state).toBe('disconnected');
  });
});

describe('the canary token', () => {
  afterAll(() => {
    captured.length = 0;
  });

  it('never appears in any captured log, metrics text or error text of client and relay', async () => {
    const jwt = await canaryJwt;
    const [, payload, signature] = jwt.split('.');
    // Make sure there is something to search: the earlier tests produced logs on both sides.
    expect(captured.join('\n').length).toBeGreaterThan(1_000);
    expect(captured.some((line) => line.includes('auth'))).toBe(true);
    for (const needle of [jwt, payload!, signature!, CANARY_MARK, CANARY_PLAIN]) {
      const hits = captured.filter((line) => line.includes(needle));
      expect(hits, `found ${needle.slice(0, 12)}... in ${hits[0]?.slice(0, 200)}`).toEqual([]);
    }
  });
});

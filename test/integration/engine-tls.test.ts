// The engine's TLS transport (docs/protocol.md#transport) against local TLS servers with
// certificates made per run: SPKI pin with an EC key, the pin held on resumed sessions, TLS 1.3
// only, NODE_TLS_REJECT_UNAUTHORIZED=0 not weakening anything, and Node's failures mapped to codes.
import { X509Certificate, createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openTransport } from '../../src-main/engine/tls-options';
import { spkiSha256 } from '../../src-main/protocol/tls';
import type { RelayEndpoint } from '../../src-main/engine/types';
import { createTestPki, type TestPki } from '../harness/pki';
import { freePort } from '../harness/traffic';
import { systemClock } from '../../src-main/shared/clock';

let pki: TestPki;
const closers: (() => void)[] = [];

beforeAll(async () => {
  pki = await createTestPki();
});
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

interface TestTlsServer {
  port: number;
  /** Whether each accepted handshake resumed a session, in order. */
  resumed: boolean[];
}

async function tlsServer(
  cert: { cert: string; key: string },
  extra: tls.TlsOptions = {},
): Promise<TestTlsServer> {
  const resumed: boolean[] = [];
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ ...cert, minVersion: 'TLSv1.2', ...extra }, (socket) => {
    resumed.push(socket.isSessionReused());
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, resumed };
}

function endpoint(port: number, extra: Partial<RelayEndpoint> = {}): RelayEndpoint {
  return { host: '127.0.0.1', port, ca: pki.caPem, ...extra };
}

async function connect(
  ep: RelayEndpoint,
  options: { session?: Buffer; timeoutMs?: number } = {},
): Promise<{ socket: net.Socket; sessions: Buffer[] }> {
  const sessions: Buffer[] = [];
  const socket = await openTransport({
    endpoint: ep,
    clock: systemClock,
    ...(options.session ? { session: options.session } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    onSession: (s) => sessions.push(s),
  });
  closers.push(() => socket.destroy());
  return { socket, sessions };
}

/** Waits until the server's session tickets have reached the client. */
async function ticket(sessions: Buffer[]): Promise<Buffer> {
  for (let i = 0; i < 100 && sessions.length === 0; i++)
    await new Promise((r) => setTimeout(r, 10));
  expect(sessions.length).toBeGreaterThan(0);
  return sessions[sessions.length - 1]!;
}

describe('TLS transport', () => {
  it('computes the pin from the DER SubjectPublicKeyInfo, not from cert.pubkey, for an EC key', () => {
    const x509 = new X509Certificate(pki.serverEc.cert);
    const expected = createHash('sha256')
      .update(x509.publicKey.export({ type: 'spki', format: 'der' }))
      .digest('base64');
    expect(spkiSha256(x509.raw)).toBe(expected);
    expect(spkiSha256(x509.raw)).toBe(pki.pin(pki.serverEc.cert));
  });

  it('connects with the right pin to an EC-keyed relay and refuses a wrong one', async () => {
    const server = await tlsServer(pki.serverEc);
    const { socket } = await connect(
      endpoint(server.port, { pinSha256: pki.pin(pki.serverEc.cert) }),
    );
    expect((socket as tls.TLSSocket).getProtocol()).toBe('TLSv1.3');
    // The mistake the pin caveat warns about: for EC keys cert.pubkey is the bare point.
    const peer = (socket as tls.TLSSocket).getPeerCertificate();
    expect(createHash('sha256').update(peer.pubkey!).digest('base64')).not.toBe(
      pki.pin(pki.serverEc.cert),
    );
    await expect(
      connect(endpoint(server.port, { pinSha256: pki.pin(pki.serverRsa.cert) })),
    ).rejects.toMatchObject({ code: 'tls_pin_mismatch' });
  });

  it('asks for AES-128-GCM first, so a relay that follows the client order picks it', async () => {
    // Node's own default list starts with AES-256-GCM; a server without honorCipherOrder
    // takes the first suite of the client's list that it supports.
    const server = await tlsServer(pki.serverEc, { honorCipherOrder: false });
    const { socket } = await connect(endpoint(server.port));
    expect((socket as tls.TLSSocket).getCipher().name).toBe('TLS_AES_128_GCM_SHA256');
  });

  it('holds a resumed TLS 1.3 session to the pin, although no certificate is sent on resumption', async () => {
    const server = await tlsServer(pki.serverEc);
    const good = pki.pin(pki.serverEc.cert);
    const first = await connect(endpoint(server.port, { pinSha256: good }));
    const session = await ticket(first.sessions);
    const resumed = await connect(endpoint(server.port, { pinSha256: good }), { session });
    expect((resumed.socket as tls.TLSSocket).isSessionReused()).toBe(true);
    await expect(
      connect(endpoint(server.port, { pinSha256: pki.pin(pki.serverRsa.cert) }), { session }),
    ).rejects.toMatchObject({ code: 'tls_pin_mismatch' });
    expect(server.resumed).toEqual([false, true]);
    // Why the engine checks the pin itself: with this session Node resumes and never calls
    // checkServerIdentity, so a pin check placed there would be skipped.
    let identityChecks = 0;
    const plain = tls.connect({
      host: '127.0.0.1',
      port: server.port,
      ca: pki.caPem,
      session,
      checkServerIdentity: () => {
        identityChecks += 1;
        return undefined;
      },
    });
    closers.push(() => plain.destroy());
    await new Promise<void>((resolve, reject) =>
      plain.once('secureConnect', resolve).once('error', reject),
    );
    expect(plain.isSessionReused()).toBe(true);
    expect(identityChecks).toBe(0);
  });

  it('does not let NODE_TLS_REJECT_UNAUTHORIZED=0 accept an untrusted certificate', async () => {
    const server = await tlsServer(pki.unknownCa);
    const saved = process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
    const savedEmit = process.emitWarning;
    process.emitWarning = () => undefined; // Node warns about the variable; not under test
    process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
    try {
      await expect(connect(endpoint(server.port))).rejects.toMatchObject({ code: 'tls_error' });
      await expect(connect({ host: '127.0.0.1', port: server.port })).rejects.toMatchObject({
        code: 'tls_error',
      });
    } finally {
      if (saved === undefined) delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
      else process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = saved;
      process.emitWarning = savedEmit;
    }
  });

  it.each([
    ['an unknown CA', () => pki.unknownCa, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/i],
    ['a wrong name', () => pki.wrongName, /ERR_TLS_CERT_ALTNAME_INVALID|does not match/i],
    ['an expired certificate', () => pki.expired, /CERT_HAS_EXPIRED|expired/i],
  ])('reports tls_error with Node reason for %s', async (_name, cert, reason) => {
    const server = await tlsServer(cert());
    const err = await connect(endpoint(server.port)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'tls_error' });
    expect((err as { detail: string }).detail).toMatch(reason);
  });

  it('accepts a certificate for another name when the profile sets that server name', async () => {
    const server = await tlsServer(pki.wrongName);
    const { socket } = await connect(
      endpoint(server.port, { serverName: 'wrong.example.invalid' }),
    );
    expect((socket as tls.TLSSocket).authorized).toBe(true);
  });

  it('refuses a relay that offers only TLS 1.2 with tls_version', async () => {
    const server = await tlsServer(pki.serverEc, { maxVersion: 'TLSv1.2' });
    await expect(connect(endpoint(server.port))).rejects.toMatchObject({ code: 'tls_version' });
  });

  it('maps a closed port to connection_refused and a silent server to connect_timeout', async () => {
    const closedPort = await freePort();
    await expect(connect(endpoint(closedPort))).rejects.toMatchObject({
      code: 'connection_refused',
    });

    const silent = net.createServer((s) => closers.push(() => s.destroy()));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    closers.push(() => silent.close());
    const started = Date.now();
    await expect(
      connect(endpoint((silent.address() as net.AddressInfo).port), { timeoutMs: 300 }),
    ).rejects.toMatchObject({ code: 'connect_timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('uses plain TCP only when insecure is set', async () => {
    const plain = net.createServer((s) => s.end('plain'));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    closers.push(() => plain.close());
    const port = (plain.address() as net.AddressInfo).port;
    const { socket } = await connect({ host: '127.0.0.1', port, insecure: true });
    expect(socket instanceof tls.TLSSocket).toBe(false);
    await expect(
      connect({ host: '127.0.0.1', port, ca: pki.caPem }, { timeoutMs: 1000 }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/tls_error|connection_lost/) });
  });
});

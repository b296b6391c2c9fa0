// The end-to-end layer of published servers (docs/protocol.md "End to end"): the publishing
// computer's own key (EC P-256, made on first use and kept by a ServerKeyStore), a self-signed
// certificate over it for the TLS 1.3 server inside each stream, and the consumer's TLS 1.3
// client that accepts only a server whose SubjectPublicKeyInfo is the registered one. Owns no
// stream: callers hand it a Duplex (a mux stream or a relay data connection).

import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  timingSafeEqual,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { TLS13_CIPHER_SUITES } from '../protocol/tls';
import type { Clock } from '../shared/clock';
import { EngineError } from './errors';
import type { ServerKeyStore } from './types';

/**
 * A self-signed certificate over `key`, from self-signed.ts: loaded the first time one is made
 * (a publishing computer, once per key), so its X.509 library and the reflect-metadata
 * polyfill stay out of every other engine (test/integration/engine-start-imports.test.ts).
 */
async function selfSigned(key: KeyObject, now: number): Promise<string> {
  const { selfSignedCertificate } = await import('./self-signed');
  return selfSignedCertificate(key, now);
}

/** The inner handshake must finish within this (both ends). */
export const INNER_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Curves a kept key may use (docs/protocol.md "Register": what the relay accepts). */
export const CURVES: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384' };

/** The publishing computer's identity for the inner layer. */
export interface ServerIdentity {
  /** base64 DER SubjectPublicKeyInfo: what `register` sends as `public_key`. */
  readonly publicKey: string;
  /** The TLS server context with the self-signed certificate over the key. */
  readonly context: tls.SecureContext;
  /** True when the key was made now (first use). */
  readonly created: boolean;
}

/** base64 DER SPKI of a key. */
export function spkiBase64(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'der' }).toString('base64');
}

function readKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new EngineError(
      'io_error',
      'the kept server key cannot be read',
      error instanceof Error ? error.message : String(error),
    );
  }
  const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
  if (key.asymmetricKeyType !== 'ec' || CURVES[curve] === undefined)
    throw new EngineError(
      'io_error',
      'the kept server key is not an EC P-256 or P-384 key',
      `${key.asymmetricKeyType ?? 'unknown'} ${curve}`,
    );
  return key;
}

/**
 * The computer's key from `store`, made (EC P-256) and saved on first use, with its server
 * context. Rejects with an EngineError when the store cannot be read or written.
 */
export async function loadServerIdentity(
  store: ServerKeyStore,
  clock: Clock,
): Promise<ServerIdentity> {
  const kept = await store.load();
  let key: KeyObject;
  let created = false;
  if (kept === null) {
    key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await store.save(key.export({ type: 'pkcs8', format: 'pem' }) as string);
    created = true;
  } else {
    key = readKey(kept);
  }
  const cert = await selfSigned(key, clock.now());
  const context = tls.createSecureContext({
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    ciphers: TLS13_CIPHER_SUITES,
    key: key.export({ type: 'pkcs8', format: 'pem' }) as string,
    cert,
  });
  return { publicKey: spkiBase64(createPublicKey(key)), context, created };
}

/**
 * The consumer's end: a TLS 1.3 client over `transport` that resolves once the server has
 * proved it holds the private key of `publicKey` (base64 DER SPKI). Never resumes a session,
 * so every stream's server shows its certificate and signs the handshake.
 */
export function connectPinned(
  transport: Duplex,
  publicKey: string,
  clock: Clock,
  server: string,
): Promise<tls.TLSSocket> {
  const expected = Buffer.from(publicKey, 'base64');
  return awaitHandshake({
    transport,
    clock,
    open: () =>
      tls.connect({
        socket: transport,
        minVersion: 'TLSv1.3',
        maxVersion: 'TLSv1.3',
        ciphers: TLS13_CIPHER_SUITES,
        // The certificate is self-signed and its name means nothing: the key is checked below.
        rejectUnauthorized: false,
        servername: 'cloudbridge-published-server',
      }),
    done: 'secureConnect',
    words: {
      failed: `the end-to-end TLS handshake with published server ${server} failed`,
      closed: `the stream to published server ${server} closed during the end-to-end handshake`,
      late: `published server ${server} did not finish the end-to-end handshake within ${INNER_HANDSHAKE_TIMEOUT_MS} ms`,
    },
    check: (socket) => {
      try {
        return checkServerKey(socket, expected, server);
      } catch (error) {
        return new EngineError(
          'tls_pin_mismatch',
          `published server ${server} presented a certificate that cannot be read`,
          error instanceof Error ? error.message : String(error),
        );
      }
    },
  });
}

/** What a failed inner handshake says, on either end. */
interface HandshakeWords {
  /** The TLS layer failed (its own words go in the detail). */
  readonly failed: string;
  readonly closed: string;
  /** Not done within INNER_HANDSHAKE_TIMEOUT_MS. */
  readonly late: string;
}

/**
 * Runs one inner handshake to its end: resolves with the socket once `done` fires and `check`
 * finds nothing wrong; otherwise destroys the socket and its transport and rejects with a
 * stream_failed (error, close, deadline) or what `check` returned.
 */
function awaitHandshake(options: {
  readonly transport: Duplex;
  readonly clock: Clock;
  readonly open: () => tls.TLSSocket;
  readonly done: 'secureConnect' | 'secure';
  readonly words: HandshakeWords;
  readonly check: (socket: tls.TLSSocket) => EngineError | null;
}): Promise<tls.TLSSocket> {
  const { transport, clock, words } = options;
  return new Promise<tls.TLSSocket>((resolve, reject) => {
    const socket = options.open();
    let settled = false;
    const finish = (error: EngineError | null): void => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (error === null) {
        resolve(socket);
        return;
      }
      socket.destroy();
      transport.destroy();
      reject(error);
    };
    const onError = (error: Error): void =>
      finish(new EngineError('stream_failed', words.failed, error.message));
    const onClose = (): void => finish(new EngineError('stream_failed', words.closed));
    const timer = clock.setTimeout(
      () => finish(new EngineError('stream_failed', words.late)),
      INNER_HANDSHAKE_TIMEOUT_MS,
    );
    socket.on('error', onError);
    socket.once('close', onClose);
    socket.once(options.done, () => finish(options.check(socket)));
  });
}

/** The server's SubjectPublicKeyInfo, byte for byte the registered one; TLS 1.3 only. */
function checkServerKey(
  socket: tls.TLSSocket,
  expected: Buffer,
  server: string,
): EngineError | null {
  if (socket.getProtocol() !== 'TLSv1.3')
    return new EngineError(
      'tls_version',
      `published server ${server} negotiated ${socket.getProtocol() ?? 'no protocol'}, not TLS 1.3`,
    );
  const raw = (socket.getPeerCertificate() as Partial<tls.PeerCertificate>).raw;
  if (raw === undefined)
    return new EngineError(
      'tls_pin_mismatch',
      `published server ${server} presented no certificate`,
      'server_key_mismatch',
    );
  const spki = new X509Certificate(raw).publicKey.export({ type: 'spki', format: 'der' });
  if (spki.length !== expected.length || !timingSafeEqual(spki, expected))
    return new EngineError(
      'tls_pin_mismatch',
      `published server ${server} presented a key that is not its registered key`,
      'server_key_mismatch',
    );
  return null;
}

/**
 * The publishing computer's end: a TLS 1.3 server over `transport` with the computer's own
 * certificate; resolves once the handshake is done. A TLSSocket made directly (not a
 * tls.Server, which would build its context from key and cert for every connection) says so
 * with its 'secure' event.
 */
export function acceptInner(
  transport: Duplex,
  identity: ServerIdentity,
  clock: Clock,
): Promise<tls.TLSSocket> {
  return awaitHandshake({
    transport,
    clock,
    open: () =>
      new tls.TLSSocket(transport, {
        isServer: true,
        secureContext: identity.context,
        requestCert: false,
      }),
    done: 'secure',
    words: {
      failed: 'the end-to-end TLS handshake failed',
      closed: 'the stream closed during the end-to-end handshake',
      late: `the consumer did not finish the end-to-end handshake within ${INNER_HANDSHAKE_TIMEOUT_MS} ms`,
    },
    check: (socket) =>
      socket.getProtocol() === 'TLSv1.3'
        ? null
        : new EngineError('tls_version', 'the consumer did not negotiate TLS 1.3'),
  });
}

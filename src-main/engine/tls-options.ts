// How the client dials a relay (docs/protocol.md#transport): TLS 1.3 only, the profile's CA
// file or else the OS trust store with Node's roots, SNI from the profile, an SPKI SHA-256 pin
// checked on every connection (resumed sessions included), Node's failure reasons mapped to
// stable ErrorCodes. Plain TCP only behind `insecure`.

import net from 'node:net';
import tls from 'node:tls';
import type { RelayEndpoint } from './types';
import { CONNECT_TIMEOUT_MS } from '../shared/model';
import { EngineError } from './errors';
import { rememberRawSocket } from '../protocol/socket-reset';
import { guard } from '../protocol/guard';
import { TLS13_CIPHER_SUITES, pinMatches, spkiSha256 } from '../protocol/tls';
import { readTrustStore, type TrustStore } from './trust-store';
import type { Clock } from '../shared/clock';

/**
 * One secure context per endpoint object with a CA file: parsing the CA PEM for every data
 * connection costs more than the rest of opening it. Endpoints are immutable (setRelay passes
 * a new object).
 */
const SECURE_CONTEXTS = new WeakMap<RelayEndpoint, tls.SecureContext>();

export interface OsTrust {
  readonly store: TrustStore;
  readonly context: tls.SecureContext;
}

/**
 * Built on first use and shared by every endpoint without a CA file: reading the OS store and
 * parsing a few hundred roots takes about 0.1 s, and Node reads the OS store once per process.
 */
let osTrustCache: OsTrust | null = null;

/** The secure context of a profile without a CA file: the OS store plus Node's roots. */
export function osTrust(): OsTrust {
  if (osTrustCache === null) {
    const store = readTrustStore();
    osTrustCache = { store, context: contextWith([...store.certs]) };
  }
  return osTrustCache;
}

function contextWith(ca: string | string[]): tls.SecureContext {
  return tls.createSecureContext({ minVersion: 'TLSv1.3', ciphers: TLS13_CIPHER_SUITES, ca });
}

/** What a relay certificate is checked against, for logs. */
export function trustLabel(endpoint: RelayEndpoint): 'none' | 'ca_file' | 'os_store' {
  if (endpoint.insecure === true) return 'none';
  return endpoint.ca !== undefined ? 'ca_file' : 'os_store';
}

/** A CA file replaces every other root; without one, the OS store and Node's roots. */
function secureContextFor(endpoint: RelayEndpoint): tls.SecureContext {
  if (endpoint.ca === undefined) return osTrust().context;
  let context = SECURE_CONTEXTS.get(endpoint);
  if (context === undefined) {
    context = contextWith(endpoint.ca);
    SECURE_CONTEXTS.set(endpoint, context);
  }
  return context;
}

/** tls.connect options for an endpoint. rejectUnauthorized is always explicit. */
export function buildTlsOptions(
  endpoint: RelayEndpoint,
  session?: Buffer,
): tls.ConnectionOptions & { allowHalfOpen: boolean } {
  const serverName =
    endpoint.serverName ?? (net.isIP(endpoint.host) === 0 ? endpoint.host : undefined);
  return {
    host: endpoint.host,
    port: endpoint.port,
    secureContext: secureContextFor(endpoint),
    minVersion: 'TLSv1.3',
    // Explicit true: NODE_TLS_REJECT_UNAUTHORIZED=0 only changes the default, never this.
    rejectUnauthorized: true,
    allowHalfOpen: true,
    // Node checks the certificate name against servername when set, else against host.
    ...(serverName !== undefined ? { servername: serverName } : {}),
    ...(session !== undefined ? { session } : {}),
  };
}

const CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

/** Maps a Node socket/TLS error to a stable code, keeping Node's reason as detail. */
export function classifyConnectError(err: unknown, endpoint: RelayEndpoint): EngineError {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e.code === 'string' ? e.code : '';
  const reason = `${code ? code + ': ' : ''}${e.message ?? String(err)}`;
  const where = `${endpoint.host}:${endpoint.port}`;
  if (code === 'ECONNREFUSED')
    return new EngineError('connection_refused', `relay ${where} refused the connection`, reason);
  if (
    /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|TLSV1_ALERT_PROTOCOL/i.test(
      code + ' ' + (e.message ?? ''),
    )
  ) {
    return new EngineError('tls_version', `relay ${where} does not speak TLS 1.3`, reason);
  }
  if (
    CERT_CODES.has(code) ||
    code.startsWith('ERR_SSL') ||
    code.startsWith('ERR_TLS') ||
    /certificate/i.test(e.message ?? '')
  ) {
    return new EngineError('tls_error', `TLS verification of relay ${where} failed`, reason);
  }
  if (code === 'ETIMEDOUT')
    return new EngineError('connect_timeout', `connecting to relay ${where} timed out`, reason);
  if (['ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'].includes(code)) {
    return new EngineError('connection_refused', `relay ${where} is unreachable`, reason);
  }
  return new EngineError('connection_lost', `connection to relay ${where} failed`, reason);
}

/** SPKI hash of the certificate verified when each session ticket was issued. */
const SESSION_SPKI = new WeakMap<Buffer, string>();

/**
 * SPKI SHA-256 of the peer: from its certificate on a full handshake; on a resumed TLS 1.3
 * session (no certificate is sent, docs/protocol.md#transport) the one recorded for the ticket.
 */
function peerSpki(socket: tls.TLSSocket, resumedFrom: Buffer | undefined): string | null {
  if (socket.isSessionReused())
    return resumedFrom !== undefined ? (SESSION_SPKI.get(resumedFrom) ?? null) : null;
  const raw = (socket.getPeerCertificate() as Partial<tls.PeerCertificate>).raw;
  return raw !== undefined ? spkiSha256(raw) : null;
}

export interface ConnectOptions {
  readonly endpoint: RelayEndpoint;
  readonly clock: Clock;
  readonly timeoutMs?: number;
  /** TLS session to resume (data connections); the pin is still checked. */
  readonly session?: Buffer;
  /** Called with every new TLS session ticket, for resumption by later connections. */
  readonly onSession?: (session: Buffer) => void;
  /** Sees every socket created, so an owner can destroy in-flight ones on close. */
  readonly onSocket?: (socket: net.Socket) => void;
}

/**
 * Opens one transport to the relay and resolves once it is ready for bytes: TCP connected
 * (insecure) or TLS 1.3 handshaken, verified and pin-checked. Rejects with an EngineError.
 */
export function openTransport(options: ConnectOptions): Promise<net.Socket> {
  const { endpoint, clock } = options;
  const timeoutMs = options.timeoutMs ?? CONNECT_TIMEOUT_MS;
  return new Promise<net.Socket>((resolve, reject) => {
    let settled = false;
    // We dial TCP ourselves and hand it to TLS, so a reset can reach the TCP socket
    // (resetAndDestroy refuses a TLS handle).
    const raw = net.connect({ host: endpoint.host, port: endpoint.port, allowHalfOpen: true });
    const socket: net.Socket = endpoint.insecure
      ? raw
      : tls.connect({ ...buildTlsOptions(endpoint, options.session), socket: raw });
    if (socket !== raw) {
      rememberRawSocket(socket, raw);
      raw.on('error', (err) => socket.destroy(err));
    }
    options.onSocket?.(socket);
    const finish = (err: EngineError | null): void => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      if (err !== null) {
        socket.destroy();
        reject(err);
        return;
      }
      socket.setNoDelay(true);
      resolve(socket);
    };
    const onError = (err: Error): void => finish(classifyConnectError(err, endpoint));
    const timer = clock.setTimeout(
      () =>
        finish(
          new EngineError(
            'connect_timeout',
            `connecting to relay ${endpoint.host}:${endpoint.port} timed out after ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    const onClose = (): void =>
      finish(
        new EngineError(
          'connection_lost',
          `connection to relay ${endpoint.host}:${endpoint.port} closed before it was ready`,
        ),
      );
    socket.on('error', onError);
    socket.once('close', onClose);
    if (socket instanceof tls.TLSSocket) {
      const tlsSocket = socket;
      const resumedFrom = options.session;
      // The relay's certificate and tickets are peer bytes too: a throw reading them refuses
      // this connection, never reaches the process.
      const refuse = (reason: string): void => {
        finish(new EngineError('tls_error', 'cannot read the relay TLS identity', reason));
        socket.destroy();
      };
      tlsSocket.on(
        'session',
        guard((ticket: Buffer) => {
          // Bind each ticket to the key that was verified for this connection, so a later
          // resumption (which carries no certificate) can still be held to the pin.
          const spki = peerSpki(tlsSocket, resumedFrom);
          if (spki !== null) SESSION_SPKI.set(ticket, spki);
          options.onSession?.(ticket);
        }, refuse),
      );
      tlsSocket.once(
        'secureConnect',
        guard(() => finish(verifyPeer(tlsSocket, endpoint, resumedFrom)), refuse),
      );
    } else {
      socket.once('connect', () => finish(null));
    }
  });
}

/**
 * Checks done on every secure connection, resumed or not: a resumed TLS 1.3 session never
 * calls checkServerIdentity, so the pin is compared here (docs/protocol.md#transport).
 */
export function verifyPeer(
  socket: tls.TLSSocket,
  endpoint: RelayEndpoint,
  resumedFrom?: Buffer,
): EngineError | null {
  const where = `${endpoint.host}:${endpoint.port}`;
  if (!socket.authorized) {
    const reason =
      socket.authorizationError instanceof Error
        ? socket.authorizationError.message
        : String(socket.authorizationError);
    return new EngineError('tls_error', `TLS verification of relay ${where} failed`, reason);
  }
  const protocol = socket.getProtocol();
  if (protocol !== 'TLSv1.3')
    return new EngineError(
      'tls_version',
      `relay ${where} negotiated ${protocol ?? 'no protocol'}, not TLS 1.3`,
    );
  if (endpoint.pinSha256 !== undefined && endpoint.pinSha256 !== '') {
    const actual = peerSpki(socket, resumedFrom);
    if (actual === null)
      return new EngineError(
        'tls_pin_mismatch',
        `relay ${where} presented no certificate to check the pin against`,
      );
    if (!pinMatches(endpoint.pinSha256, actual)) {
      return new EngineError(
        'tls_pin_mismatch',
        `relay ${where} certificate key does not match the pinned key`,
        `got sha256/${actual}`,
      );
    }
  }
  return null;
}

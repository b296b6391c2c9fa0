// Connection links (docs/protocol.md#connection-links): `cloudbridge://invite/<JWS>`, signed
// with the relay's TLS private key and pinning it. Signing for the relay's `invite` command;
// reading and every check for the app and the CLI. Pure apart from crypto: reads no file, logs
// nothing, and never puts a link's token into an error message.

import {
  X509Certificate,
  createHash,
  createPublicKey,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { CompactSign, compactVerify, decodeJwt, decodeProtectedHeader, exportJWK } from 'jose';
import { isValidHost, isValidPort, PIN_PATTERN } from '../shared/tunnel-validation';
import { pinMatches } from './tls';

export const INVITE_LINK_PREFIX = 'cloudbridge://invite/';
export const INVITE_FILE_EXTENSION = '.cloudbridge';
export const INVITE_TYPE = 'cloudbridge-invite';
export const INVITE_VERSION = 1;
/** Link or `.cloudbridge` file, in bytes (docs/protocol.md#connection-links). */
export const MAX_INVITE_BYTES = 32 * 1024;
export const MAX_INVITE_LIFETIME_SEC = 30 * 86_400;
/** How far `iat` may be ahead of the reader's clock: the relay host's clock may run fast. */
export const INVITE_CLOCK_SKEW_SEC = 300;

const MAX_NAME = 256;
const MAX_CA_BYTES = 8 * 1024;
const MAX_TOKEN_BYTES = 16 * 1024;
const BASE64URL_PART = /^[A-Za-z0-9_-]+$/;
const ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'EdDSA'] as const;
type InviteAlgorithm = (typeof ALGORITHMS)[number];

export type InviteRefusal =
  | 'too_large'
  | 'wrong_scheme'
  | 'not_a_jws'
  | 'bad_header'
  | 'bad_signature'
  | 'bad_payload'
  | 'pin_mismatch'
  | 'lifetime_too_long'
  | 'expired'
  | 'token_mismatch'
  | 'token_expired';

/** A refused link: `invite_expired` for the two expiries, `invite_invalid` for the rest. */
export class InviteLinkError extends Error {
  override readonly name = 'InviteLinkError';
  readonly code: 'invite_invalid' | 'invite_expired';
  constructor(
    readonly reason: InviteRefusal,
    message: string,
  ) {
    super(message);
    this.code =
      reason === 'expired' || reason === 'token_expired' ? 'invite_expired' : 'invite_invalid';
  }
}

/** What a link says, in TypeScript names (the wire claims are mapped in one place below). */
export interface InviteContent {
  readonly host: string;
  readonly port: number;
  readonly serverName: string | null;
  readonly pinSha256: string;
  /** PEM of the certificate to trust for this relay; null: the system store. */
  readonly caPem: string | null;
  readonly subject: string;
  readonly tenant: string | null;
  readonly issuedAtSec: number;
  readonly expiresAtSec: number;
  /** The link's own id (`jti`). */
  readonly id: string;
  readonly token: string | null;
}

export interface VerifiedInvite extends InviteContent {
  /** The token's own `exp`, when it carries one. */
  readonly tokenExpiresAtSec: number | null;
}

export interface VerifyOptions {
  readonly nowMs: number;
  readonly maxBytes?: number;
  readonly maxLifetimeSec?: number;
  readonly clockSkewSec?: number;
}

/** The JWS algorithm a key signs with (docs/protocol.md#connection-links). */
export function inviteAlgorithmFor(key: KeyObject): InviteAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return 'RS256';
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ES256';
    if (curve === 'secp384r1') return 'ES384';
    if (curve === 'secp521r1') return 'ES512';
  }
  throw new InviteLinkError('bad_header', `a ${type ?? 'unknown'} key cannot sign links`);
}

function publicOf(key: KeyObject): KeyObject {
  return key.type === 'public' ? key : createPublicKey(key);
}

/** Base64 SHA-256 of a public key's DER SubjectPublicKeyInfo (the pin of docs/protocol.md#transport). */
export function spkiPinOf(key: KeyObject): string {
  const spki = publicOf(key).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** Signs `content` with the relay's TLS private key; returns the `cloudbridge://` link. */
export async function signInviteLink(
  content: InviteContent,
  privateKey: KeyObject,
): Promise<string> {
  const alg = inviteAlgorithmFor(privateKey);
  const payload: Record<string, unknown> = {
    v: INVITE_VERSION,
    host: content.host,
    port: content.port,
    ...(content.serverName !== null ? { sni: content.serverName } : {}),
    pin: content.pinSha256,
    ...(content.caPem !== null ? { ca: content.caPem } : {}),
    sub: content.subject,
    ...(content.tenant !== null ? { tenant: content.tenant } : {}),
    iat: content.issuedAtSec,
    exp: content.expiresAtSec,
    jti: content.id,
    ...(content.token !== null ? { token: content.token } : {}),
  };
  const jwk = await exportJWK(publicOf(privateKey));
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg, typ: INVITE_TYPE, jwk })
    .sign(privateKey);
  return `${INVITE_LINK_PREFIX}${jws}`;
}

/** The `.cloudbridge` file for a link. */
export function inviteFileText(link: string): string {
  return `${JSON.stringify({ type: INVITE_TYPE, version: INVITE_VERSION, link })}\n`;
}

function refuse(reason: InviteRefusal, message: string): never {
  throw new InviteLinkError(reason, message);
}

/** The JWS of a link, of a `.cloudbridge` file's text, or of a bare JWS. Throws InviteLinkError. */
export function extractInviteJws(text: string, maxBytes = MAX_INVITE_BYTES): string {
  if (Buffer.byteLength(text, 'utf8') > maxBytes)
    refuse('too_large', `the link is longer than ${maxBytes} bytes`);
  let link = text.trim();
  if (link.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(link);
    } catch {
      refuse('wrong_scheme', 'the file is not a CloudBridge connection link');
    }
    const file = parsed as Record<string, unknown>;
    if (typeof parsed !== 'object' || parsed === null || file['type'] !== INVITE_TYPE)
      refuse('wrong_scheme', 'the file is not a CloudBridge connection link');
    if (typeof file['link'] !== 'string')
      refuse('wrong_scheme', 'the file holds no connection link');
    link = file['link'].trim();
  }
  let jws: string;
  if (/^[a-z][a-z0-9+.-]*:/i.test(link)) {
    // Schemes and hosts are case-insensitive; a browser may add a trailing slash.
    if (link.slice(0, INVITE_LINK_PREFIX.length).toLowerCase() !== INVITE_LINK_PREFIX)
      refuse('wrong_scheme', `a connection link starts with ${INVITE_LINK_PREFIX}`);
    jws = link.slice(INVITE_LINK_PREFIX.length).replace(/\/$/, '');
  } else {
    jws = link;
  }
  const parts = jws.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL_PART.test(part)))
    refuse('not_a_jws', 'the link is damaged: it does not end in a signed part (a JWS)');
  return jws;
}

/** The header's key, after the checks of docs/protocol.md#connection-links step 2. */
function headerKey(jws: string): { key: KeyObject; alg: InviteAlgorithm } {
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    refuse('not_a_jws', 'the link is damaged: its header cannot be read');
  }
  const alg = header['alg'];
  if (typeof alg !== 'string' || !(ALGORITHMS as readonly string[]).includes(alg))
    refuse('bad_header', 'the link is signed with an algorithm this app does not accept');
  if (header['typ'] !== INVITE_TYPE || 'crit' in header)
    refuse('bad_header', 'this is not a CloudBridge connection link');
  const jwk = header['jwk'];
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk) || 'd' in jwk)
    refuse('bad_header', "the link does not carry the relay's public key");
  let key: KeyObject;
  try {
    key = createPublicKey({
      key: jwk as JsonWebKey,
      format: 'jwk',
    });
  } catch {
    refuse('bad_header', "the relay's public key in the link cannot be read");
  }
  let expected: InviteAlgorithm;
  try {
    expected = inviteAlgorithmFor(key);
  } catch {
    refuse(
      'bad_header',
      "the relay's public key in the link is of a kind this app does not accept",
    );
  }
  if (expected !== alg)
    refuse('bad_header', 'the link names a signature algorithm its key does not use');
  return { key, alg: expected };
}

function stringField(value: unknown, max: number): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : null;
}
function optionalString(value: unknown, max: number): string | null | undefined {
  if (value === undefined) return null;
  return stringField(value, max) ?? undefined;
}
function seconds(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : null;
}

function readCa(value: unknown): string | null {
  if (value === undefined) return null;
  if (
    typeof value !== 'string' ||
    value.length > MAX_CA_BYTES ||
    !value.includes('BEGIN CERTIFICATE')
  )
    return refuse('bad_payload', 'the certificate in the link cannot be read');
  try {
    new X509Certificate(value);
  } catch {
    refuse('bad_payload', 'the certificate in the link cannot be read');
  }
  return value;
}

/** The wire claims mapped to InviteContent, every field checked (step 3). */
function readContent(payloadBytes: Uint8Array): InviteContent {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payloadBytes));
  } catch {
    refuse('bad_payload', 'the link is damaged: its contents are not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    refuse('bad_payload', 'the link is damaged: its contents are not an object');
  const p = raw as Record<string, unknown>;
  if (p['v'] !== INVITE_VERSION)
    refuse('bad_payload', 'the link is of a newer format; update the app');
  const host = stringField(p['host'], 253);
  const serverName = optionalString(p['sni'], 253);
  const pin = stringField(p['pin'], 44);
  const subject = stringField(p['sub'], MAX_NAME);
  const tenant = optionalString(p['tenant'], MAX_NAME);
  const token = optionalString(p['token'], MAX_TOKEN_BYTES);
  const id = stringField(p['jti'], MAX_NAME);
  const issuedAtSec = seconds(p['iat']);
  const expiresAtSec = seconds(p['exp']);
  if (host === null || !isValidHost(host))
    refuse('bad_payload', 'the link names no valid relay host');
  if (!isValidPort(p['port'])) refuse('bad_payload', 'the link names no valid relay port');
  if (serverName === undefined || (serverName !== null && !isValidHost(serverName)))
    refuse('bad_payload', 'the link names an invalid server name');
  if (pin === null || !PIN_PATTERN.test(pin))
    refuse('bad_payload', "the link has no valid pin of the relay's key");
  if (subject === null || tenant === undefined)
    refuse('bad_payload', 'the link names no valid identity');
  if (token === undefined || id === null || issuedAtSec === null || expiresAtSec === null)
    refuse('bad_payload', 'the link is damaged: a field is missing or of the wrong type');
  return {
    host,
    port: p['port'],
    serverName,
    pinSha256: pin,
    caPem: readCa(p['ca']),
    subject,
    tenant,
    issuedAtSec,
    expiresAtSec,
    id,
    token,
  };
}

function tokenClaim(claims: Record<string, unknown>, name: string): string | null {
  const value = claims[name];
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** Step 5: a carried token names the link's identity and has not expired. */
function checkToken(content: InviteContent, nowSec: number): number | null {
  if (content.token === null) return null;
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(content.token);
  } catch {
    refuse('token_mismatch', 'the token in the link cannot be read');
  }
  if (
    tokenClaim(claims, 'sub') !== content.subject ||
    tokenClaim(claims, 'tenant_id') !== content.tenant
  )
    refuse('token_mismatch', 'the token in the link is for another identity than the link');
  const exp = claims['exp'];
  if (exp === undefined) return null;
  if (typeof exp !== 'number' || !Number.isFinite(exp))
    refuse('token_mismatch', 'the token in the link has an unreadable expiry');
  if (exp <= nowSec)
    refuse('token_expired', 'the token in the link has expired; ask for a new link');
  return exp;
}

/**
 * Every check of docs/protocol.md#connection-links, in its order. `text` is a link, a
 * `.cloudbridge` file's text or a bare JWS. Throws InviteLinkError with the first refusal.
 */
export async function verifyInviteLink(
  text: string,
  options: VerifyOptions,
): Promise<VerifiedInvite> {
  const jws = extractInviteJws(text, options.maxBytes ?? MAX_INVITE_BYTES);
  const { key, alg } = headerKey(jws);
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, key, { algorithms: [alg] }));
  } catch {
    refuse('bad_signature', 'the link was changed after it was made: its signature does not match');
  }
  const content = readContent(payload);
  if (!pinMatches(content.pinSha256, spkiPinOf(key)))
    refuse('pin_mismatch', "the link was signed with another key than the relay's key it names");
  const nowSec = Math.floor(options.nowMs / 1000);
  const skew = options.clockSkewSec ?? INVITE_CLOCK_SKEW_SEC;
  if (content.issuedAtSec > nowSec + skew)
    refuse('bad_payload', "the link was made in the future: check this computer's clock");
  const maxLifetime = options.maxLifetimeSec ?? MAX_INVITE_LIFETIME_SEC;
  if (
    content.expiresAtSec <= content.issuedAtSec ||
    content.expiresAtSec - content.issuedAtSec > maxLifetime
  )
    refuse(
      'lifetime_too_long',
      `the link is valid for longer than ${Math.round(maxLifetime / 86_400)} days`,
    );
  if (content.expiresAtSec <= nowSec) refuse('expired', 'the link has expired; ask for a new one');
  return { ...content, tokenExpiresAtSec: checkToken(content, nowSec) };
}

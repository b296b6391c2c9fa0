// Connection links (docs/protocol.md#connection-links), signed and read without a socket, on a
// fixed clock: what a valid link says for each key kind; each check in its order refusing
// with its own reason (a tampered payload, a key that is not the pinned one, an expired or too
// long-lived link, another scheme, an oversized text, something that is not a JWS, a token for
// someone else); and the file and URL spellings a reader accepts.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mintDevToken } from '../../src-main/relay/tokens';
import {
  INVITE_LINK_PREFIX,
  MAX_INVITE_BYTES,
  MAX_INVITE_LIFETIME_SEC,
  InviteLinkError,
  extractInviteJws,
  inviteFileText,
  signInviteLink,
  spkiPinOf,
  verifyInviteLink,
  type InviteContent,
} from '../../src-main/protocol/invite-link';

const NOW_SEC = 1_900_000_000;
const NOW_MS = NOW_SEC * 1000;
const DAY = 86_400;

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

function contentFor(key: KeyObject, overrides: Partial<InviteContent> = {}): InviteContent {
  return {
    host: 'relay.example.test',
    port: 8443,
    serverName: null,
    pinSha256: spkiPinOf(key),
    caPem: null,
    subject: 'alice',
    tenant: 'acme',
    issuedAtSec: NOW_SEC - 60,
    expiresAtSec: NOW_SEC + 7 * DAY,
    id: 'inv-1',
    token: null,
    ...overrides,
  };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const partsOf = (link: string) => link.slice(INVITE_LINK_PREFIX.length).split('.');

async function refusal(text: string, nowMs = NOW_MS): Promise<InviteLinkError> {
  try {
    await verifyInviteLink(text, { nowMs });
  } catch (error) {
    if (error instanceof InviteLinkError) return error;
    throw error;
  }
  throw new Error('the link was accepted');
}

describe('a valid connection link', () => {
  it('says what it was signed with, for EC, RSA and Ed25519 relay keys', async () => {
    const keys = [
      ec,
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
      generateKeyPairSync('ed25519').privateKey,
      generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey,
    ];
    for (const key of keys) {
      const content = contentFor(key, { serverName: 'localhost' });
      const link = await signInviteLink(content, key);
      expect(link.startsWith('cloudbridge://invite/')).toBe(true);
      const read = await verifyInviteLink(link, { nowMs: NOW_MS });
      expect(read).toEqual({ ...content, tokenExpiresAtSec: null });
    }
  });

  it('carries a token for its own identity and the token expiry', async () => {
    const token = await mintDevToken({
      secret: 'x'.repeat(32),
      sub: 'alice',
      tenant: 'acme',
      ttlSec: 30 * DAY,
      nowSec: NOW_SEC,
    });
    const link = await signInviteLink(contentFor(ec, { token }), ec);
    const read = await verifyInviteLink(link, { nowMs: NOW_MS });
    expect(read.token).toBe(token);
    expect(read.tokenExpiresAtSec).toBe(NOW_SEC + 30 * DAY);
  });

  it('is read from a .cloudbridge file, a bare JWS, upper case and with a trailing slash', async () => {
    const link = await signInviteLink(contentFor(ec), ec);
    const jws = link.slice(INVITE_LINK_PREFIX.length);
    for (const text of [
      inviteFileText(link),
      jws,
      `  ${link}\n`,
      `CloudBridge://INVITE/${jws}/`,
      JSON.stringify({ type: 'cloudbridge-invite', version: 1, link }),
    ])
      expect((await verifyInviteLink(text, { nowMs: NOW_MS })).subject).toBe('alice');
    expect(JSON.parse(inviteFileText(link))).toEqual({
      type: 'cloudbridge-invite',
      version: 1,
      link,
    });
  });
});

describe('a link that is refused', () => {
  it('was changed after signing: another host in the payload breaks the signature', async () => {
    const link = await signInviteLink(contentFor(ec), ec);
    const [header, payload, signature] = partsOf(link);
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const tampered = `${INVITE_LINK_PREFIX}${header}.${b64({ ...claims, host: 'evil.example' })}.${signature}`;
    const error = await refusal(tampered);
    expect([error.code, error.reason]).toEqual(['invite_invalid', 'bad_signature']);
  });

  it('was signed by a key other than the one it pins', async () => {
    // Signed (validly) by `other`, naming ec's pin: the header carries other's key.
    const link = await signInviteLink(contentFor(ec), other);
    const error = await refusal(link);
    expect([error.code, error.reason]).toEqual(['invite_invalid', 'pin_mismatch']);
  });

  it("carries someone else's key in the header than the one that signed it", async () => {
    const genuine = await signInviteLink(contentFor(ec), ec);
    const forged = await signInviteLink(contentFor(other), other);
    const [, payload, signature] = partsOf(genuine);
    const [otherHeader] = partsOf(forged);
    const error = await refusal(`${INVITE_LINK_PREFIX}${otherHeader}.${payload}.${signature}`);
    expect(error.reason).toBe('bad_signature');
  });

  it('has expired, by the injected clock', async () => {
    const link = await signInviteLink(contentFor(ec), ec);
    const error = await refusal(link, (NOW_SEC + 7 * DAY) * 1000);
    expect([error.code, error.reason]).toEqual(['invite_expired', 'expired']);
    expect((await verifyInviteLink(link, { nowMs: (NOW_SEC + 7 * DAY - 1) * 1000 })).id).toBe(
      'inv-1',
    );
  });

  it('lives longer than the 30-day bound, or was made more than 5 minutes ahead', async () => {
    const tooLong = await signInviteLink(
      contentFor(ec, { expiresAtSec: NOW_SEC - 60 + MAX_INVITE_LIFETIME_SEC + 1 }),
      ec,
    );
    expect((await refusal(tooLong)).reason).toBe('lifetime_too_long');
    const longest = await signInviteLink(
      contentFor(ec, { expiresAtSec: NOW_SEC - 60 + MAX_INVITE_LIFETIME_SEC }),
      ec,
    );
    expect((await verifyInviteLink(longest, { nowMs: NOW_MS })).subject).toBe('alice');
    const future = await signInviteLink(
      contentFor(ec, { issuedAtSec: NOW_SEC + 301, expiresAtSec: NOW_SEC + DAY }),
      ec,
    );
    expect((await refusal(future)).reason).toBe('bad_payload');
    const skewed = await signInviteLink(
      contentFor(ec, { issuedAtSec: NOW_SEC + 300, expiresAtSec: NOW_SEC + DAY }),
      ec,
    );
    expect((await verifyInviteLink(skewed, { nowMs: NOW_MS })).subject).toBe('alice');
  });

  it('is of another scheme or path', async () => {
    const jws = partsOf(await signInviteLink(contentFor(ec), ec)).join('.');
    for (const text of [
      `https://relay.example.test/invite/${jws}`,
      `cloudbridgex://invite/${jws}`,
      `cloudbridge://other/${jws}`,
      `cloudbridge:invite/${jws}`,
      JSON.stringify({ type: 'something-else', link: `cloudbridge://invite/${jws}` }),
      '{"type":"cloudbridge-invite"',
    ])
      expect((await refusal(text)).reason).toBe('wrong_scheme');
  });

  it('is larger than 32 KiB, and the bound is counted in bytes', async () => {
    const link = await signInviteLink(contentFor(ec), ec);
    const padded = link + ' '.repeat(MAX_INVITE_BYTES - link.length);
    expect((await verifyInviteLink(padded, { nowMs: NOW_MS })).subject).toBe('alice');
    expect((await refusal(padded + ' ')).reason).toBe('too_large');
    // 2-byte characters: fewer than 32 Ki characters, more than 32 KiB.
    expect((await refusal('é'.repeat(MAX_INVITE_BYTES / 2 + 1))).reason).toBe('too_large');
    const huge = await signInviteLink(contentFor(ec, { subject: 'a'.repeat(200) }), ec);
    expect(() => extractInviteJws(huge, 100)).toThrow(InviteLinkError);
  });

  it('is not a JWS', async () => {
    for (const text of [
      'cloudbridge://invite/',
      'cloudbridge://invite/abc',
      'cloudbridge://invite/a.b',
      'cloudbridge://invite/a.b.c.d',
      'cloudbridge://invite/a.b+c.d',
      'not even a link',
      '',
    ])
      expect((await refusal(text)).reason).toBe('not_a_jws');
    const unreadableHeader = `${INVITE_LINK_PREFIX}${Buffer.from('{').toString('base64url')}.e30.AA`;
    expect((await refusal(unreadableHeader)).reason).toBe('not_a_jws');
  });

  it('has a header this reader does not accept: HS256, none, a private key, crit, no typ', async () => {
    const jwk = ec.export({ format: 'jwk' });
    const { d: _d, ...publicJwk } = jwk;
    const headers = [
      { alg: 'HS256', typ: 'cloudbridge-invite', jwk: publicJwk },
      { alg: 'none', typ: 'cloudbridge-invite', jwk: publicJwk },
      { alg: 'ES256', typ: 'cloudbridge-invite', jwk },
      { alg: 'ES256', typ: 'cloudbridge-invite', jwk: publicJwk, crit: ['exp'] },
      { alg: 'ES256', jwk: publicJwk },
      { alg: 'ES384', typ: 'cloudbridge-invite', jwk: publicJwk },
      { alg: 'ES256', typ: 'cloudbridge-invite' },
    ];
    for (const header of headers) {
      const error = await refusal(`${INVITE_LINK_PREFIX}${b64(header)}.${b64({ v: 1 })}.AAAA`);
      expect(error.reason, JSON.stringify(header)).toBe('bad_header');
    }
  });

  it('has a field of the wrong type or a newer version', async () => {
    const cases: Partial<Record<string, unknown>>[] = [
      { v: 2 },
      { port: 70_000 },
      { host: 'a b' },
      { pin: 'short' },
      { sub: '' },
      { ca: 'not a certificate' },
      { ca: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' },
      { exp: '1900000000' },
    ];
    const link = await signInviteLink(contentFor(ec), ec);
    const claims = JSON.parse(Buffer.from(partsOf(link)[1]!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const { CompactSign, exportJWK } = await import('jose');
    const { createPublicKey } = await import('node:crypto');
    const jwk = await exportJWK(createPublicKey(ec));
    for (const change of cases) {
      const jws = await new CompactSign(Buffer.from(JSON.stringify({ ...claims, ...change })))
        .setProtectedHeader({ alg: 'ES256', typ: 'cloudbridge-invite', jwk })
        .sign(ec);
      const error = await refusal(`${INVITE_LINK_PREFIX}${jws}`);
      expect(error.reason, JSON.stringify(change)).toBe('bad_payload');
    }
  });

  it('carries a token for another identity, or one that has expired', async () => {
    const secret = 'x'.repeat(32);
    const bob = await mintDevToken({
      secret,
      sub: 'bob',
      tenant: 'acme',
      ttlSec: DAY,
      nowSec: NOW_SEC,
    });
    const otherTenant = await mintDevToken({ secret, sub: 'alice', ttlSec: DAY, nowSec: NOW_SEC });
    for (const token of [bob, otherTenant, 'not-a-jwt']) {
      const error = await refusal(await signInviteLink(contentFor(ec, { token }), ec));
      expect(error.reason).toBe('token_mismatch');
    }
    const stale = await mintDevToken({
      secret,
      sub: 'alice',
      tenant: 'acme',
      ttlSec: 60,
      nowSec: NOW_SEC - 120,
    });
    const error = await refusal(await signInviteLink(contentFor(ec, { token: stale }), ec));
    expect([error.code, error.reason]).toEqual(['invite_expired', 'token_expired']);
    expect(error.message).not.toContain(stale);
  });
});

// JWT verification of the relay (auth.ts) against crafted tokens, with an injected clock:
// alg none, HS/RS confusion, embedded keys, odd and unknown kids, exp/nbf at the skew edges,
// iss/aud, sub, and the tenant rules. Tokens are built with jose, never hard-coded.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthConfigError,
  createTokenVerifier,
  type AuthResult,
  type JwtOptions,
} from '../../src-main/relay/auth';
import { TenantTable, type TenantConfig } from '../../src-main/relay/policy';
import { mintDevToken } from '../../src-main/relay/tokens';

const SECRET = 'unit-test-secret-0123456789abcdef';
const NOW_SEC = 1_900_000_000;
const clock = { now: () => NOW_SEC * 1000 };
const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

let dir: string;
let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
let attacker: Awaited<ReturnType<typeof generateKeyPair>>;
let rsaJwk: JWK;
let jwksFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relay-auth-'));
  rsa = await generateKeyPair('RS256', { extractable: true });
  attacker = await generateKeyPair('RS256', { extractable: true });
  rsaJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
  jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [rsaJwk] }));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function verifier(jwt: JwtOptions = { hs256Secret: SECRET }, tenants?: TenantConfig[]) {
  return createTokenVerifier({ jwt, tenants: new TenantTable(tenants ? { tenants } : {}), clock });
}

function hs(
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({ sub: 'alice', exp: NOW_SEC + 600, ...claims })
    .setProtectedHeader({ alg: 'HS256', ...header })
    .sign(new TextEncoder().encode(SECRET));
}

function failure(result: AuthResult): { code: string; reason: string } | 'ok' {
  return result.ok ? 'ok' : { code: result.code, reason: result.reason };
}

describe('HS256 tokens', () => {
  it('accepts a good token and reports subject, tenant and expiry', async () => {
    const result = await verifier().verify(
      await mintDevToken({ secret: SECRET, sub: 'alice', ttlSec: 600, nowSec: NOW_SEC }),
    );
    expect(result).toMatchObject({ ok: true, subject: 'alice', expiresAt: (NOW_SEC + 600) * 1000 });
    if (result.ok) expect(result.tenant.id).toBe('default');
  });

  it('refuses alg none, with or without a signature part', async () => {
    const body = b64({ sub: 'alice', exp: NOW_SEC + 600 });
    for (const alg of ['none', 'None', 'NONE']) {
      expect(failure(await verifier().verify(`${b64({ alg })}.${body}.`))).toEqual({
        code: 'invalid_token',
        reason: 'alg_not_allowed',
      });
    }
    const signed = (await hs()).split('.')[2];
    expect(
      failure(await verifier().verify(`${b64({ alg: 'none' })}.${body}.${signed}`)),
    ).toMatchObject({ reason: 'alg_not_allowed' });
  });

  it('refuses a token signed with another secret', async () => {
    const forged = await new SignJWT({ sub: 'alice', exp: NOW_SEC + 600 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('another-secret-0123456789abcdef'));
    expect(failure(await verifier().verify(forged))).toEqual({
      code: 'invalid_token',
      reason: 'bad_signature',
    });
  });

  it('refuses an algorithm outside the allow-list, even one of the same family', async () => {
    const hs512 = await new SignJWT({ sub: 'alice', exp: NOW_SEC + 600 })
      .setProtectedHeader({ alg: 'HS512' })
      .sign(new TextEncoder().encode(SECRET));
    expect(failure(await verifier().verify(hs512))).toMatchObject({ reason: 'alg_not_allowed' });
    expect(
      (await verifier({ hs256Secret: SECRET, algorithms: ['HS256', 'HS512'] }).verify(hs512)).ok,
    ).toBe(true);
  });

  it('refuses an RS256 token when only a secret is configured', async () => {
    const token = await new SignJWT({ sub: 'alice', exp: NOW_SEC + 600 })
      .setProtectedHeader({ alg: 'RS256' })
      .sign(rsa.privateKey);
    expect(failure(await verifier().verify(token))).toMatchObject({ reason: 'alg_not_allowed' });
  });

  it('applies the 30 s skew to exp and nbf, and no more', async () => {
    const v = verifier();
    expect((await v.verify(await hs({ exp: NOW_SEC - 29 }))).ok).toBe(true);
    expect(failure(await v.verify(await hs({ exp: NOW_SEC - 31 })))).toEqual({
      code: 'invalid_token',
      reason: 'expired',
    });
    expect((await v.verify(await hs({ nbf: NOW_SEC + 29 }))).ok).toBe(true);
    expect(failure(await v.verify(await hs({ nbf: NOW_SEC + 31 })))).toMatchObject({
      reason: 'not_yet_valid',
    });
    const strict = verifier({ hs256Secret: SECRET, clockToleranceSec: 0 });
    expect(failure(await strict.verify(await hs({ exp: NOW_SEC - 1 })))).toMatchObject({
      reason: 'expired',
    });
  });

  it('requires exp unless told otherwise', async () => {
    const noExp = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(SECRET));
    expect(failure(await verifier().verify(noExp))).toMatchObject({ reason: 'missing_exp' });
    expect((await verifier({ hs256Secret: SECRET, requireExpiry: false }).verify(noExp)).ok).toBe(
      true,
    );
  });

  it('checks iss and aud when configured', async () => {
    const v = verifier({
      hs256Secret: SECRET,
      issuer: 'https://issuer.test',
      audience: 'cloudbridge',
    });
    expect(
      (await v.verify(await hs({ iss: 'https://issuer.test', aud: ['other', 'cloudbridge'] }))).ok,
    ).toBe(true);
    expect(
      failure(await v.verify(await hs({ iss: 'https://evil.test', aud: 'cloudbridge' }))),
    ).toMatchObject({ reason: 'wrong_issuer' });
    expect(
      failure(await v.verify(await hs({ iss: 'https://issuer.test', aud: 'other' }))),
    ).toMatchObject({ reason: 'wrong_audience' });
    expect(failure(await v.verify(await hs({ aud: 'cloudbridge' })))).toMatchObject({
      reason: 'wrong_issuer',
    });
  });

  it('requires a non-empty sub', async () => {
    expect(failure(await verifier().verify(await hs({ sub: undefined })))).toMatchObject({
      reason: 'missing_sub',
    });
    expect(failure(await verifier().verify(await hs({ sub: '' })))).toMatchObject({
      reason: 'missing_sub',
    });
  });

  it('refuses odd kids, and a kid other than the configured one', async () => {
    for (const kid of ['../../etc/passwd', 'a b', 'x'.repeat(129), '']) {
      expect(failure(await verifier().verify(await hs({}, { kid }))), kid).toMatchObject({
        reason: 'bad_kid',
      });
    }
    const pinned = verifier({ hs256Secret: SECRET, hs256Kid: 'k1' });
    expect((await pinned.verify(await hs({}, { kid: 'k1' }))).ok).toBe(true);
    expect((await pinned.verify(await hs())).ok).toBe(true);
    expect(failure(await pinned.verify(await hs({}, { kid: 'k2' })))).toMatchObject({
      reason: 'unknown_kid',
    });
  });

  it('refuses garbage as malformed', async () => {
    for (const token of [
      '',
      'abc',
      'a.b.c',
      `${b64({ alg: 'HS256' })}.not-json.x`,
      'x'.repeat(20_000),
    ]) {
      expect(failure(await verifier().verify(token))).toMatchObject({ code: 'invalid_token' });
    }
  });
});

describe('JWKS (RS256) tokens', () => {
  function rs(
    claims: Record<string, unknown> = {},
    header: Record<string, unknown> = { kid: 'key-1' },
    key = rsa.privateKey,
  ): Promise<string> {
    return new SignJWT({ sub: 'alice', exp: NOW_SEC + 600, ...claims })
      .setProtectedHeader({ alg: 'RS256', ...header })
      .sign(key);
  }

  it('accepts a token signed by a key in the JWKS file', async () => {
    expect(await verifier({ jwksFile }).verify(await rs())).toMatchObject({
      ok: true,
      subject: 'alice',
    });
  });

  it('refuses HS256 signed with the public key as the secret (HS/RS confusion)', async () => {
    const publicPem = await exportSPKI(rsa.publicKey);
    for (const secret of [publicPem, JSON.stringify(rsaJwk)]) {
      const confused = await new SignJWT({ sub: 'alice', exp: NOW_SEC + 600 })
        .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
        .sign(new TextEncoder().encode(secret));
      expect(failure(await verifier({ jwksFile }).verify(confused))).toMatchObject({
        reason: 'alg_not_allowed',
      });
      // Even when HS256 is listed, the JWKS key never serves as an HMAC secret.
      expect(
        failure(await verifier({ jwksFile, algorithms: ['HS256', 'RS256'] }).verify(confused)),
      ).toMatchObject({ code: 'invalid_token' });
    }
  });

  it('refuses a token that carries its own key (jwk, jku, x5u, x5c headers)', async () => {
    const attackerJwk = await exportJWK(attacker.publicKey);
    const headers = [
      { jwk: attackerJwk },
      { jku: 'https://evil.test/jwks.json' },
      { x5u: 'https://evil.test/cert.pem' },
      { x5c: ['MIIB'] },
    ];
    for (const header of headers) {
      const token = await rs({}, { kid: 'key-1', ...header }, attacker.privateKey);
      expect(
        failure(await verifier({ jwksFile }).verify(token)),
        Object.keys(header)[0],
      ).toMatchObject({ reason: 'embedded_key' });
    }
  });

  it('refuses an unknown kid and a token from a key not in the set', async () => {
    expect(
      failure(await verifier({ jwksFile }).verify(await rs({}, { kid: 'key-2' }))),
    ).toMatchObject({ reason: 'unknown_kid' });
    expect(
      failure(
        await verifier({ jwksFile }).verify(await rs({}, { kid: 'key-1' }, attacker.privateKey)),
      ),
    ).toMatchObject({ reason: 'bad_signature' });
  });
});

describe('tenant rules', () => {
  const tenants: TenantConfig[] = [{ id: 'acme', maxTunnels: 1, maxConnections: 1, allow: [] }];

  it('requires tenant_id when tenants are configured and the tenant must exist', async () => {
    const v = verifier({ hs256Secret: SECRET }, tenants);
    expect(failure(await v.verify(await hs()))).toEqual({
      code: 'tenant_not_found',
      reason: 'missing_tenant',
    });
    expect(failure(await v.verify(await hs({ tenant_id: 'initech' })))).toEqual({
      code: 'tenant_not_found',
      reason: 'unknown_tenant',
    });
    const ok = await v.verify(await hs({ tenant_id: 'acme' }));
    expect(ok.ok && ok.tenant.id).toBe('acme');
  });

  it('reads a numeric tenant_id as a string', async () => {
    const v = verifier({ hs256Secret: SECRET }, [
      { id: '42', maxTunnels: 1, maxConnections: 1, allow: [] },
    ]);
    const result = await v.verify(await hs({ tenant_id: 42 }));
    expect(result.ok && result.tenant.id).toBe('42');
  });

  it('ignores tenant_id without a tenant table', async () => {
    const result = await verifier().verify(await hs({ tenant_id: 'whatever' }));
    expect(result.ok && result.tenant.id).toBe('default');
  });
});

describe('configuration', () => {
  it('refuses to start without a usable key or algorithm', () => {
    expect(() => verifier({})).toThrow(AuthConfigError);
    expect(() => verifier({ hs256Secret: 'short' })).toThrow(/16 bytes/);
    expect(() => verifier({ hs256Secret: SECRET, algorithms: ['RS256'] })).toThrow(
      /no usable algorithm/,
    );
    expect(() => verifier({ jwksFile: join(dir, 'missing.json') })).toThrow(/cannot read JWKS/);
  });
});

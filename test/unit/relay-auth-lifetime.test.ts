// Token lifetime and claim rules of the relay's verifier (auth.ts), on an injected clock: the
// longest accepted lifetime, `iat` in the future, required iss/aud, when access ends, the
// claimed client of a failed token, and JWKS over plain http only when allowed.

import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  AuthConfigError,
  createTokenVerifier,
  DEFAULT_MAX_TOKEN_LIFETIME_SEC,
  type AuthResult,
  type JwtOptions,
} from '../../src-main/relay/auth';
import { TenantTable } from '../../src-main/relay/policy';

const SECRET = 'lifetime-test-secret-0123456789';
const NOW_SEC = 1_900_000_000;
const clock = { now: () => NOW_SEC * 1000 };

function verifier(jwt: Partial<JwtOptions> = {}) {
  return createTokenVerifier({
    jwt: { hs256Secret: SECRET, ...jwt },
    tenants: new TenantTable({}),
    clock,
  });
}

function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ sub: 'alice', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET));
}

function reason(result: AuthResult): string {
  return result.ok ? 'ok' : result.reason;
}

describe('token lifetime', () => {
  it('refuses exp: 1e300 and anything past the default 30 days', async () => {
    expect(DEFAULT_MAX_TOKEN_LIFETIME_SEC).toBe(30 * 86_400);
    const v = verifier();
    expect(reason(await v.verify(await token({ iat: NOW_SEC, exp: 1e300 })))).toBe(
      'lifetime_too_long',
    );
    expect(
      reason(await v.verify(await token({ iat: NOW_SEC, exp: NOW_SEC + 30 * 86_400 + 1 }))),
    ).toBe('lifetime_too_long');
    expect(reason(await v.verify(await token({ iat: NOW_SEC, exp: NOW_SEC + 30 * 86_400 })))).toBe(
      'ok',
    );
  });

  it('counts exp - iat, or exp - now without iat, against a configured maximum', async () => {
    const v = verifier({ maxLifetimeSec: 3_600 });
    // Issued long ago, still valid now, but it was minted to live 10 h.
    expect(
      reason(await v.verify(await token({ iat: NOW_SEC - 35_000, exp: NOW_SEC + 1_000 }))),
    ).toBe('lifetime_too_long');
    expect(reason(await v.verify(await token({ exp: NOW_SEC + 3_601 })))).toBe('lifetime_too_long');
    expect(reason(await v.verify(await token({ exp: NOW_SEC + 3_600 })))).toBe('ok');
  });

  it('refuses an iat beyond the clock skew in the future, and accepts one within it', async () => {
    const v = verifier({ clockToleranceSec: 30 });
    expect(
      reason(await v.verify(await token({ iat: NOW_SEC + 3_600, exp: NOW_SEC + 7_200 }))),
    ).toBe('issued_in_future');
    expect(reason(await v.verify(await token({ iat: NOW_SEC + 31, exp: NOW_SEC + 600 })))).toBe(
      'issued_in_future',
    );
    expect(reason(await v.verify(await token({ iat: NOW_SEC + 30, exp: NOW_SEC + 600 })))).toBe(
      'ok',
    );
  });

  it('says when access ends: exp plus the skew', async () => {
    const result = await verifier({ clockToleranceSec: 15 }).verify(
      await token({ iat: NOW_SEC, exp: NOW_SEC + 600 }),
    );
    expect(result).toMatchObject({ ok: true, accessUntil: (NOW_SEC + 615) * 1000 });
  });
});

describe('required claims', () => {
  it('requires iss and aud once configured, and refuses tokens without them', async () => {
    const v = verifier({ issuer: 'https://issuer.test', audience: 'relay' });
    expect(reason(await v.verify(await token({ exp: NOW_SEC + 60 })))).toBe('wrong_issuer');
    expect(
      reason(await v.verify(await token({ exp: NOW_SEC + 60, iss: 'https://issuer.test' }))),
    ).toBe('wrong_audience');
    expect(
      reason(
        await v.verify(
          await token({ exp: NOW_SEC + 60, iss: 'https://issuer.test', aud: 'relay' }),
        ),
      ),
    ).toBe('ok');
  });
});

describe('a failed token', () => {
  it('names the client it claims to be, cut to a bounded length, for the failure budget', async () => {
    const forged = await new SignJWT({
      sub: 'v'.repeat(1_000),
      tenant_id: 'acme',
      exp: NOW_SEC + 60,
    })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('some-other-secret-0123456789'));
    const result = await verifier().verify(forged);
    expect(result).toMatchObject({ ok: false, reason: 'bad_signature' });
    if (result.ok) return;
    expect(result.claimed?.tenant).toBe('acme');
    expect(result.claimed?.subject).toHaveLength(128);
    expect((await verifier().verify('not.a.jwt')).ok).toBe(false);
  });
});

describe('JWKS URL', () => {
  it('must be https unless plain http is allowed explicitly', () => {
    expect(() =>
      verifier({ hs256Secret: undefined, jwksUrl: 'http://keys.test/jwks.json' }),
    ).toThrow(AuthConfigError);
    expect(() =>
      verifier({
        hs256Secret: undefined,
        jwksUrl: 'http://keys.test/jwks.json',
        allowInsecureJwksUrl: true,
      }),
    ).not.toThrow();
    expect(() =>
      verifier({ hs256Secret: undefined, jwksUrl: 'https://keys.test/jwks.json' }),
    ).not.toThrow();
  });
});

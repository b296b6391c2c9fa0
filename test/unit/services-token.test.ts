// Token handling: refusal of malformed and expired tokens, tolerant claims (numeric strings,
// aud string or array, no exp), expiresSoon within 24 h, storage in the secret store only,
// sign-out, and a keychain failure shown as keychain_unavailable rather than "no token".
import { SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../src-main/services/errors';
import { createMemorySecretStore, type SecretStore } from '../../src-main/services/secret-store';
import {
  createTokenService,
  decodeTokenClaims,
  normaliseToken,
} from '../../src-main/services/token-service';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const clock = { now: () => NOW };
const secret = new TextEncoder().encode('test-secret-test-secret-test-secret');

async function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof ServiceError ? error.code : 'other';
  }
}

describe('token claims', () => {
  it('reads numeric claims given as strings, aud as array, tenant_id', async () => {
    const t = await token({
      sub: 'alice',
      tenant_id: 'acme',
      exp: String(NOW / 1000 + 3600),
      aud: ['relay', 'x'],
    });
    const claims = decodeTokenClaims(t);
    expect(claims).toEqual({
      subject: 'alice',
      tenant: 'acme',
      expiresAtMs: NOW + 3_600_000,
      audience: ['relay', 'x'],
    });
  });

  it('accepts a token without exp and a string aud', () => {
    const t = new UnsecuredJWT({ sub: 'bob', aud: 'relay' }).encode();
    expect(decodeTokenClaims(t)).toMatchObject({
      subject: 'bob',
      expiresAtMs: null,
      audience: ['relay'],
    });
  });

  it('refuses garbage, a two-part string, a JWE-shaped string and a non-numeric exp as token_malformed', () => {
    for (const bad of [
      'hello',
      'a.b',
      'a.b.c.d.e',
      `${Buffer.from('{}').toString('base64url')}.${Buffer.from('[1]').toString('base64url')}.x`,
    ]) {
      expect(() => decodeTokenClaims(bad)).toThrow(ServiceError);
    }
    expect(() =>
      decodeTokenClaims(new UnsecuredJWT({ exp: 'soon' } as unknown as JWTPayload).encode()),
    ).toThrow(/expiry/);
  });

  it('strips whitespace, quotes and a Bearer prefix people paste', () => {
    expect(normaliseToken('  Bearer "abc.def.ghi"\n')).toBe('abc.def.ghi');
  });
});

describe('token service', () => {
  it('stores a valid token under the profile account and reports claims, never the token', async () => {
    const store = createMemorySecretStore();
    const service = createTokenService({ secretStore: store, clock });
    await service.setAccount('profile-1');
    const t = await token({ sub: 'alice', tenant_id: 'acme', exp: NOW / 1000 + 7 * 86_400 });
    const account = await service.save(` ${t} `);
    expect(account).toEqual({
      signedIn: true,
      subject: 'alice',
      tenant: 'acme',
      expiresAt: new Date(NOW + 7 * 86_400_000).toISOString(),
      expiresSoon: false,
      keychainError: null,
    });
    expect(JSON.stringify(account)).not.toContain(t.split('.')[1]);
    expect(await store.get('profile-1')).toBe(t);
    expect(await service.getToken()).toBe(t);
  });

  it('refuses an already expired token with token_expired and stores nothing', async () => {
    const store = createMemorySecretStore();
    const service = createTokenService({ secretStore: store, clock });
    await service.setAccount('p');
    expect(await codeOf(service.save(await token({ sub: 'a', exp: NOW / 1000 - 1 })))).toBe(
      'token_expired',
    );
    expect(await codeOf(service.save('not a token'))).toBe('token_malformed');
    expect(await store.get('p')).toBeNull();
    expect(service.account().signedIn).toBe(false);
  });

  it('flags expiresSoon within 24 hours', async () => {
    const service = createTokenService({ secretStore: createMemorySecretStore(), clock });
    await service.setAccount('p');
    expect(
      (await service.save(await token({ sub: 'a', exp: NOW / 1000 + 23 * 3600 }))).expiresSoon,
    ).toBe(true);
    expect(
      (await service.save(await token({ sub: 'a', exp: NOW / 1000 + 25 * 3600 }))).expiresSoon,
    ).toBe(false);
  });

  it('signs out by deleting the stored token', async () => {
    const store = createMemorySecretStore();
    const service = createTokenService({ secretStore: store, clock });
    await service.setAccount('p');
    await service.save(await token({ sub: 'a' }));
    expect((await service.signOut()).signedIn).toBe(false);
    expect(await store.get('p')).toBeNull();
    expect(await codeOf(service.getToken())).toBe('token_missing');
  });

  it('tells a broken keychain apart from a missing token', async () => {
    const broken: SecretStore = {
      kind: 'keychain',
      get: () => Promise.reject(new ServiceError('keychain_unavailable', 'no Secret Service')),
      set: () => Promise.reject(new ServiceError('keychain_unavailable', 'no Secret Service')),
      delete: () => Promise.reject(new ServiceError('keychain_unavailable', 'no Secret Service')),
    };
    const service = createTokenService({ secretStore: broken, clock });
    const account = await service.setAccount('p');
    expect(account.signedIn).toBe(false);
    expect(account.keychainError?.code).toBe('keychain_unavailable');
    expect(await codeOf(service.save(await token({ sub: 'a' })))).toBe('keychain_unavailable');

    const empty = createTokenService({ secretStore: createMemorySecretStore(), clock });
    expect((await empty.setAccount('p')).keychainError).toBeNull();
  });
});

// Where the relay's secret and bounds come from (config-jwt.ts, config-limits.ts, config.ts):
// a secret file (warned about when others can read it), the environment, the flag (warned
// about: it shows in ps), JWKS over https only unless allowed, required claims, the longest
// token lifetime, and every bound of docs/protocol.md#limits by name.

import { describe, expect, it } from 'vitest';
import { ConfigError, parseRelayArgs } from '../../src-main/relay/config';
import {
  JwtConfigError,
  parseJwtConfig,
  SECRET_FLAG_WARNING,
  type JwtFiles,
} from '../../src-main/relay/config-jwt';
import { LimitsConfigError, parseLimitsConfig } from '../../src-main/relay/config-limits';

const SECRET = 'a-secret-of-enough-length-0123';

function files(contents: Record<string, { text: string; mode: number }>): JwtFiles {
  return {
    readText: (path) => {
      const file = contents[path];
      if (file === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return file.text;
    },
    mode: (path) => contents[path]?.mode ?? null,
  };
}

describe('the JWT secret', () => {
  it('comes from a file, without its newline, and a file others can read is warned about', () => {
    const store = files({
      '/etc/relay/secret': { text: `${SECRET}\n`, mode: 0o600 },
      '/tmp/secret': { text: `${SECRET}\n`, mode: 0o644 },
    });
    expect(parseJwtConfig({ 'jwt-secret-file': '/etc/relay/secret' }, {}, {}, store)).toEqual({
      jwt: { hs256Secret: SECRET },
      warnings: [],
    });
    const shared = parseJwtConfig({ 'jwt-secret-file': '/tmp/secret' }, {}, {}, store);
    expect(shared.jwt.hs256Secret).toBe(SECRET);
    expect(shared.warnings).toEqual([expect.stringMatching(/readable by others \(mode 644\)/)]);
    expect(() => parseJwtConfig({ 'jwt-secret-file': '/nope' }, {}, {}, store)).toThrow(/ENOENT/);
  });

  it('comes from CLOUDBRIDGE_JWT_SECRET or CLOUDBRIDGE_JWT_SECRET_FILE quietly, and from the flag with a warning', () => {
    const store = files({ '/run/s': { text: SECRET, mode: 0o400 } });
    expect(parseJwtConfig({}, {}, { CLOUDBRIDGE_JWT_SECRET: SECRET }, store).warnings).toEqual([]);
    expect(
      parseJwtConfig({}, {}, { CLOUDBRIDGE_JWT_SECRET_FILE: '/run/s' }, store).jwt.hs256Secret,
    ).toBe(SECRET);
    expect(parseJwtConfig({}, { secretFile: '/run/s' }, {}, store).jwt.hs256Secret).toBe(SECRET);
    expect(parseJwtConfig({ 'jwt-secret': SECRET }, {}, {}, store).warnings).toEqual([
      SECRET_FLAG_WARNING,
    ]);
    expect(() =>
      parseJwtConfig({ 'jwt-secret': SECRET, 'jwt-secret-file': '/run/s' }, {}, {}, store),
    ).toThrow(/exclude each other/);
  });

  it('reaches the CLI as a warning when given as --jwt-secret', () => {
    const config = parseRelayArgs(['--listen', '127.0.0.1:0', '--jwt-secret', SECRET], {});
    expect(config.warnings).toEqual([SECRET_FLAG_WARNING]);
    expect(
      parseRelayArgs(['--listen', '127.0.0.1:0'], { CLOUDBRIDGE_JWT_SECRET: SECRET }).warnings,
    ).toEqual([]);
  });
});

describe('JWKS, claims and lifetime', () => {
  it('refuses an http JWKS URL unless allowed, by flag or config', () => {
    expect(() => parseJwtConfig({ jwks: 'http://keys.test/jwks.json' }, {}, {})).toThrow(
      JwtConfigError,
    );
    expect(
      parseJwtConfig({ jwks: 'http://keys.test/jwks.json', 'allow-insecure-jwks': true }, {}, {})
        .jwt,
    ).toEqual({ jwksUrl: 'http://keys.test/jwks.json', allowInsecureJwksUrl: true });
    expect(
      parseJwtConfig({}, { jwks: 'http://keys.test/j', allowInsecureJwksUrl: true }, {}).jwt,
    ).toMatchObject({ allowInsecureJwksUrl: true });
    expect(() =>
      parseRelayArgs(['--listen', '127.0.0.1:0', '--jwks', 'http://keys.test/jwks.json'], {}),
    ).toThrow(ConfigError);
  });

  it('requires issuer and audience from flags or config, and takes the longest lifetime as a duration', () => {
    const { jwt } = parseJwtConfig(
      {
        'jwt-issuer': 'https://issuer.test',
        'jwt-audience': ['relay', 'relay-eu'],
        'max-token-lifetime': '12h',
      },
      { issuer: 'ignored', audience: 'ignored' },
      { CLOUDBRIDGE_JWT_SECRET: SECRET },
    );
    expect(jwt).toMatchObject({
      issuer: 'https://issuer.test',
      audience: ['relay', 'relay-eu'],
      maxLifetimeSec: 43_200,
    });
    expect(
      parseJwtConfig(
        {},
        { maxLifetimeSec: 600, requireExpiry: true },
        { CLOUDBRIDGE_JWT_SECRET: SECRET },
      ).jwt,
    ).toMatchObject({ maxLifetimeSec: 600, requireExpiry: true });
    expect(() =>
      parseJwtConfig({ 'max-token-lifetime': 'forever' }, {}, { CLOUDBRIDGE_JWT_SECRET: SECRET }),
    ).toThrow(/not a duration/);
  });
});

describe('limits', () => {
  it('takes every bound by name from the file and --limit, flags winning', () => {
    expect(
      parseLimitsConfig(
        { maxConnectionsPerSource: 100, authTimeoutMs: 5_000, minHeartbeatIntervalMs: 1_000 },
        {
          limit: ['maxConnectionsPerSource=1000', 'handshakeTimeoutMs=3000'],
          'auth-per-minute': '20',
        },
      ),
    ).toEqual({
      maxConnectionsPerSource: 1_000,
      authTimeoutMs: 5_000,
      minHeartbeatIntervalMs: 1_000,
      handshakeTimeoutMs: 3_000,
      authAttemptsPerMinute: 20,
    });
    expect(parseLimitsConfig(undefined, {})).toBeUndefined();
  });

  it('refuses unknown names and bad values, so a typo cannot leave a default in force', () => {
    expect(() => parseLimitsConfig({ maxConnectionPerSource: 1 }, {})).toThrow(LimitsConfigError);
    expect(() => parseLimitsConfig({}, { limit: ['authTimeoutMs'] })).toThrow(/NAME=VALUE/);
    expect(() => parseLimitsConfig({}, { limit: ['authTimeoutMs=-1'] })).toThrow(/whole/);
    expect(() => parseLimitsConfig({ authTimeoutMs: 'soon' }, {})).toThrow(/non-negative/);
    expect(() =>
      parseRelayArgs(['--listen', '127.0.0.1:0', '--limit', 'bogus=1'], {
        CLOUDBRIDGE_JWT_SECRET: SECRET,
      }),
    ).toThrow(ConfigError);
  });
});

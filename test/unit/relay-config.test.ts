// The relay CLI's arguments and config file (config.ts): what they turn into, and the
// plain-words errors for everything malformed.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseHostPort, parseRelayArgs } from '../../src-main/relay/config';

let dir: string;
const SECRET = 'config-test-secret-0123456789';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'relay-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('parseHostPort', () => {
  it('reads IPv4, names and bracketed IPv6', () => {
    expect(parseHostPort('127.0.0.1:8443', 'x')).toEqual({ host: '127.0.0.1', port: 8443 });
    expect(parseHostPort('relay.local:0', 'x')).toEqual({ host: 'relay.local', port: 0 });
    expect(parseHostPort('[::1]:443', 'x')).toEqual({ host: '::1', port: 443 });
  });

  it('refuses the rest, naming the flag', () => {
    for (const text of ['8443', '::1:443', 'host:', 'host:65536', 'host:port', '']) {
      expect(() => parseHostPort(text, '--listen'), text).toThrow(
        /--listen must look like HOST:PORT/,
      );
    }
  });
});

describe('parseRelayArgs', () => {
  it('builds relay options from flags, with repeated --allow', () => {
    const { options } = parseRelayArgs(
      [
        '--listen',
        '0.0.0.0:443',
        '--jwt-secret',
        SECRET,
        '--allow',
        '10.0.0.0/8',
        '--allow',
        '::1/128',
        '--metrics',
        '127.0.0.1:9464',
        '--grace-ms',
        '5000',
        '--heartbeat-min-ms',
        '100',
        '--auth-per-minute',
        '60',
      ],
      {},
    );
    expect(options).toMatchObject({
      host: '0.0.0.0',
      port: 443,
      jwt: { hs256Secret: SECRET },
      allow: ['10.0.0.0/8', '::1/128'],
      metrics: { host: '127.0.0.1', port: 9464 },
      graceMs: 5000,
      limits: { minHeartbeatIntervalMs: 100, authAttemptsPerMinute: 60 },
    });
    expect(options.insecure).toBeUndefined();
  });

  it('takes the secret from CLOUDBRIDGE_JWT_SECRET, and the flag over it', () => {
    expect(
      parseRelayArgs(['--listen', '127.0.0.1:0'], { CLOUDBRIDGE_JWT_SECRET: SECRET }).options.jwt
        .hs256Secret,
    ).toBe(SECRET);
    expect(
      parseRelayArgs(['--listen', '127.0.0.1:0', '--jwt-secret', SECRET + 'x'], {
        CLOUDBRIDGE_JWT_SECRET: SECRET,
      }).options.jwt.hs256Secret,
    ).toBe(SECRET + 'x');
  });

  it('tells a JWKS URL from a JWKS file', () => {
    expect(
      parseRelayArgs(['--listen', '127.0.0.1:0', '--jwks', 'https://issuer.test/jwks.json'], {})
        .options.jwt,
    ).toEqual({ jwksUrl: 'https://issuer.test/jwks.json' });
    expect(
      parseRelayArgs(['--listen', '127.0.0.1:0', '--jwks', '/etc/relay/jwks.json'], {}).options.jwt,
    ).toEqual({ jwksFile: '/etc/relay/jwks.json' });
  });

  it('reads tenants, jwt settings and defaults from the config file, flags winning', () => {
    const path = file(
      'relay.json',
      JSON.stringify({
        listen: '127.0.0.1:9000',
        tenants: [{ id: 'acme', maxTunnels: 3, allow: ['10.1.0.0/16'] }, { id: 'globex' }],
        jwt: {
          issuer: 'https://issuer.test',
          audience: ['a', 'b'],
          algorithms: ['HS256'],
          clockToleranceSec: 10,
        },
        allow: ['192.168.0.0/16'],
        insecure: true,
        idleTimeoutMs: 5000,
        limits: {
          authAttemptsPerMinute: 50,
          tunnelCreationsPerHour: 20,
          minHeartbeatIntervalMs: 1000,
        },
      }),
    );
    const { options } = parseRelayArgs(
      ['--config', path, '--jwt-secret', SECRET, '--allow', '10.0.0.0/8'],
      {},
    );
    expect(options).toMatchObject({
      host: '127.0.0.1',
      port: 9000,
      insecure: true,
      idleTimeoutMs: 5000,
      limits: {
        authAttemptsPerMinute: 50,
        tunnelCreationsPerHour: 20,
        minHeartbeatIntervalMs: 1000,
      },
      allow: ['10.0.0.0/8'],
      jwt: {
        hs256Secret: SECRET,
        issuer: 'https://issuer.test',
        audience: ['a', 'b'],
        algorithms: ['HS256'],
        clockToleranceSec: 10,
      },
      tenants: [
        { id: 'acme', maxTunnels: 3, maxConnections: 1000, allow: ['10.1.0.0/16'] },
        { id: 'globex', maxTunnels: 100, maxConnections: 1000, allow: [] },
      ],
    });
  });

  it('answers --help without other requirements', () => {
    expect(parseRelayArgs(['--help'], {}).help).toBe(true);
  });

  it('explains each mistake in plain words', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--jwt-secret', SECRET], /--listen HOST:PORT is required/],
      [['--listen', '127.0.0.1:0'], /JWT key is required/],
      [['--listen', '127.0.0.1:0', '--jwt-secret', 'short'], /at least 16 characters/],
      [
        ['--listen', '127.0.0.1:0', '--jwt-secret', SECRET, '--key', 'k.pem'],
        /--cert and --key go together/,
      ],
      [
        [
          '--listen',
          '127.0.0.1:0',
          '--jwt-secret',
          SECRET,
          '--cert',
          join(dir, 'none.pem'),
          '--key',
          join(dir, 'none.pem'),
        ],
        /cannot read certificate .*ENOENT/,
      ],
      [
        ['--listen', '127.0.0.1:0', '--jwt-secret', SECRET, '--allow', '300.0.0.0/8'],
        /--allow: invalid address/,
      ],
      [
        ['--listen', '127.0.0.1:0', '--jwt-secret', SECRET, '--grace-ms', '5s'],
        /--grace-ms must be a whole number/,
      ],
      [
        ['--listen', '127.0.0.1:0', '--jwt-secret', SECRET, '--log-level', 'loud'],
        /--log-level must be/,
      ],
      [
        ['--listen', '127.0.0.1:0', '--jwt-secret', SECRET, 'extra'],
        /Unexpected argument 'extra'|positional/i,
      ],
      [
        ['--config', join(dir, 'missing.json'), '--jwt-secret', SECRET],
        /cannot read config file .*ENOENT/,
      ],
    ];
    for (const [args, message] of cases) {
      let caught: unknown;
      try {
        parseRelayArgs(args, {});
      } catch (error) {
        caught = error;
      }
      expect(caught, args.join(' ')).toBeInstanceOf(ConfigError);
      expect((caught as Error).message, args.join(' ')).toMatch(message);
    }
  });

  it('explains config file mistakes', () => {
    const cases: Array<[string, RegExp]> = [
      ['{not json', /is not valid JSON/],
      ['[1,2]', /must hold a JSON object/],
      [JSON.stringify({ tenants: {} }), /"tenants" must be a list/],
      [JSON.stringify({ tenants: [{ id: '' }] }), /tenants\[0\]\.id must be a non-empty string/],
      [JSON.stringify({ tenants: [{ id: 'a' }, { id: 'a' }] }), /listed twice/],
      [
        JSON.stringify({ tenants: [{ id: 'a', maxTunnels: 1.5 }] }),
        /maxTunnels must be a whole number/,
      ],
      [
        JSON.stringify({ tenants: [{ id: 'a', allow: ['10.0.0.0/40'] }] }),
        /tenant "a": allow: prefix length 40/,
      ],
      [JSON.stringify({ jwt: { audience: 5 } }), /"jwt.audience" must be/],
      [
        JSON.stringify({ limits: { authAttemptsPerMinute: -1 } }),
        /"limits.authAttemptsPerMinute" must be a non-negative number/,
      ],
    ];
    cases.forEach(([content, message], index) => {
      const path = file(`bad-${index}.json`, content);
      expect(
        () =>
          parseRelayArgs(['--listen', '127.0.0.1:0', '--jwt-secret', SECRET, '--config', path], {}),
        content,
      ).toThrow(message);
    });
  });
});

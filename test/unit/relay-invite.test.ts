// `cloudbridge-relay invite` without a process (relay/invite-config.ts, relay/invite-issuer.ts):
// which public address and certificate it takes from the relay's own flags and config file,
// the bounds on the link's and the token's lifetime, and what it refuses to sign (a certificate
// that does not name the address, a key that is not the certificate's); a self-signed
// certificate travels as the CA, a CA-signed one only when asked; the token it mints passes
// the relay's issuer and audience checks.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src-main/relay/config';
import { issueCertificate } from '../../src-main/relay/certs';
import { DEV_CERT_FILE, DEV_KEY_FILE } from '../../src-main/relay/dev-cert-files';
import { parseInviteArgs, type InviteCliConfig } from '../../src-main/relay/invite-config';
import { InviteIssueError, issueInvite } from '../../src-main/relay/invite-issuer';
import { verifyInviteLink } from '../../src-main/protocol/invite-link';
import { spkiSha256 } from '../../src-main/protocol/tls';
import { createTestPki, type TestPki } from '../harness/pki';

const SECRET = 'invite-test-secret-0123456789';
const NOW_SEC = 1_900_000_000;
let dir = '';
let pki: TestPki;
let selfSigned: { cert: string; key: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relay-invite-'));
  pki = await createTestPki();
  selfSigned = await issueCertificate({
    commonName: 'dev',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  writeFileSync(join(dir, DEV_CERT_FILE), selfSigned.cert);
  writeFileSync(join(dir, DEV_KEY_FILE), selfSigned.key);
  writeFileSync(join(dir, 'cert.pem'), pki.serverEc.cert);
  writeFileSync(join(dir, 'key.pem'), pki.serverEc.key);
  writeFileSync(join(dir, 'ca.pem'), pki.caPem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parse(argv: string[], env: Record<string, string> = {}): InviteCliConfig {
  const config = parseInviteArgs(argv, env, dir);
  if (config.help) throw new Error('help');
  return config;
}
const devRelay = (): string[] => ['--data-dir', dir, '--jwt-secret-file', join(dir, 'secret')];

describe('the invite command line', () => {
  beforeAll(() => writeFileSync(join(dir, 'secret'), `${SECRET}\n`, { mode: 0o600 }));

  it("takes the relay's --listen as the public address unless it is a wildcard or port 0", () => {
    expect(parse(['--sub', 'a', '--listen', 'relay.test:8443', ...devRelay()])).toMatchObject({
      host: 'relay.test',
      port: 8443,
      certPem: selfSigned.cert,
      keyPem: selfSigned.key,
      outPath: join(dir, 'a.cloudbridge'),
      token: null,
    });
    for (const listen of ['0.0.0.0:8443', '127.0.0.1:0', '[::]:443'])
      expect(() => parse(['--sub', 'a', '--listen', listen, ...devRelay()]), listen).toThrow(
        /--public-host HOST:PORT is required/,
      );
    expect(
      parse(['--sub', 'a', '--listen', '0.0.0.0:8443', '--public-host', '[::1]:9', ...devRelay()]),
    ).toMatchObject({ host: '::1', port: 9 });
    const configFile = join(dir, 'relay.json');
    writeFileSync(configFile, JSON.stringify({ listen: 'cfg.test:7443', dataDir: dir }));
    expect(
      parse(['--sub', 'a', '--config', configFile], { CLOUDBRIDGE_JWT_SECRET: SECRET }),
    ).toMatchObject({ host: 'cfg.test', port: 7443 });
  });

  it("reports the relay's own configuration errors, not a missing --listen", () => {
    expect(() => parse(['--sub', 'a', '--public-host', 'h:1', '--data-dir', dir])).toThrow(
      /a JWT key is required/,
    );
    expect(() => parse(['--sub', 'a', '--public-host', 'h:1', ...devRelay(), '--bogus'])).toThrow(
      ConfigError,
    );
  });

  it('bounds the link to 30 days and the token to the relay lifetime, at least the link', () => {
    expect(parse(['--sub', 'a', '--public-host', 'h:1', ...devRelay()]).ttlSec).toBe(7 * 86_400);
    expect(() =>
      parse(['--sub', 'a', '--public-host', 'h:1', '--ttl', '31d', ...devRelay()]),
    ).toThrow(/at most 30 days/);
    const withToken = parse(['--sub', 'a', '--public-host', 'h:1', '--with-token', ...devRelay()]);
    expect(withToken.token).toMatchObject({ secret: SECRET, ttlSec: 30 * 86_400 });
    expect(() =>
      parse([
        '--sub',
        'a',
        '--public-host',
        'h:1',
        '--with-token',
        '--max-token-lifetime',
        '1d',
        ...devRelay(),
      ]),
    ).toThrow(/--token-ttl must be at least --ttl/);
    expect(() =>
      parse([
        '--sub',
        'a',
        '--public-host',
        'h:1',
        '--with-token',
        '--token-ttl',
        '31d',
        ...devRelay(),
      ]),
    ).toThrow(/refuses tokens that live longer/);
    expect(() =>
      parse(['--sub', 'a', '--public-host', 'h:1', '--token-ttl', '8d', ...devRelay()]),
    ).toThrow(/goes with --with-token/);
  });

  it('cannot put a token in the link of a relay that verifies with a JWKS, or a plaintext one', () => {
    const jwks = ['--jwks', 'https://issuer.test/jwks.json', '--data-dir', dir];
    expect(parse(['--sub', 'a', '--public-host', 'h:1', ...jwks]).token).toBeNull();
    expect(() => parse(['--sub', 'a', '--public-host', 'h:1', '--with-token', ...jwks])).toThrow(
      /no HS256 secret/,
    );
    expect(() =>
      parse(['--sub', 'a', '--public-host', 'h:1', '--insecure', ...devRelay()]),
    ).toThrow(/plaintext relay/);
  });

  it('names the file after the subject without letting it climb out of the directory', () => {
    expect(parse(['--sub', '../../etc/x', '--public-host', 'h:1', ...devRelay()]).outPath).toBe(
      join(dir, '__.._etc_x.cloudbridge'),
    );
  });
});

describe('issuing a link', () => {
  const base = {
    extraCaPem: null,
    host: '127.0.0.1',
    port: 8443,
    serverName: null,
    subject: 'alice',
    tenant: 'acme',
    ttlSec: 86_400,
    token: null,
    nowSec: NOW_SEC,
  };

  it('carries a self-signed certificate as the CA, and pins its key', async () => {
    const { link, content } = await issueInvite({
      ...base,
      certPem: selfSigned.cert,
      keyPem: selfSigned.key,
    });
    expect(content.caPem?.trim()).toBe(selfSigned.cert.trim());
    expect(content.pinSha256).toBe(spkiSha256(selfSigned.cert));
    expect((await verifyInviteLink(link, { nowMs: NOW_SEC * 1000 })).caPem).toBe(content.caPem);
  });

  it('carries no CA for a CA-signed certificate unless asked, and a token the relay accepts', async () => {
    const plain = await issueInvite({
      ...base,
      certPem: pki.serverEc.cert,
      keyPem: pki.serverEc.key,
    });
    expect(plain.content.caPem).toBeNull();
    const { content } = await issueInvite({
      ...base,
      certPem: pki.serverEc.cert,
      keyPem: pki.serverEc.key,
      extraCaPem: pki.caPem,
      serverName: 'localhost',
      token: { secret: SECRET, ttlSec: 7 * 86_400, issuer: 'corp', audience: 'relay' },
    });
    expect(content.caPem?.trim()).toBe(pki.caPem.trim());
    const { payload } = await jwtVerify(content.token!, new TextEncoder().encode(SECRET), {
      issuer: 'corp',
      audience: 'relay',
      currentDate: new Date(NOW_SEC * 1000),
    });
    expect(payload).toMatchObject({ sub: 'alice', tenant_id: 'acme', exp: NOW_SEC + 7 * 86_400 });
  });

  it('refuses a certificate that does not name the address, and a key that is not its own', async () => {
    await expect(
      issueInvite({
        ...base,
        host: 'relay.example.test',
        certPem: pki.serverEc.cert,
        keyPem: pki.serverEc.key,
      }),
    ).rejects.toThrow(/does not name relay\.example\.test .*--server-name/);
    await expect(
      issueInvite({
        ...base,
        serverName: 'other.test',
        certPem: pki.serverEc.cert,
        keyPem: pki.serverEc.key,
      }),
    ).rejects.toThrow(InviteIssueError);
    await expect(
      issueInvite({ ...base, certPem: pki.serverEc.cert, keyPem: pki.serverRsa.key }),
    ).rejects.toThrow(/does not belong to its certificate/);
  });
});

// Secrets and token rules through the real processes: the relay takes its secret from a file
// or the environment and warns about the flag and a shared file, refuses an http JWKS unless
// allowed (and says so at start), enforces the longest token lifetime, iat in the future and a
// required audience; `cloudbridge token` writes --out at 0600 and reads --secret-file;
// `cloudbridge connect` warns about a token file others can read.

import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwtVerify, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleEntry, childEnv, REPO_ROOT } from '../harness/bundle';
import { runToCompletion, startProcess, stopAllProcesses } from '../harness/processes';
import { relayBundlePath, sharedTestPki } from '../harness/relay';
import { freePort } from '../harness/traffic';
import {
  closeHardenedRelays,
  destroyAttackSockets,
  lineClient,
  startHardenedRelay,
  type HardenedRelay,
} from './relay-hardening-helpers';

const SECRET = 'config-process-secret-0123456789';
let dir = '';
let cli = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relay-hardening-config-'));
  cli = join(dir, 'cloudbridge.cjs');
  await Promise.all([
    relayBundlePath(),
    sharedTestPki(),
    bundleEntry('src-main/cli/cloudbridge.ts', cli),
  ]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  destroyAttackSockets();
  await closeHardenedRelays();
  await stopAllProcesses();
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean = childEnv(extra);
  for (const name of ['CLOUDBRIDGE_TOKEN', 'CLOUDBRIDGE_JWT_SECRET', 'CLOUDBRIDGE_JWT_SECRET_FILE'])
    if (extra[name] === undefined) delete clean[name];
  return clean;
}

async function relayCli(args: readonly string[], extra: Record<string, string> = {}) {
  return runToCompletion(process.execPath, [await relayBundlePath(), ...args], {
    cwd: REPO_ROOT,
    env: env(extra),
    timeoutMs: 20_000,
  });
}

function cloudbridge(args: readonly string[], extra: Record<string, string> = {}) {
  return runToCompletion(process.execPath, [cli, ...args], {
    cwd: REPO_ROOT,
    env: env(extra),
    timeoutMs: 20_000,
  });
}

async function authReply(relay: HardenedRelay, token: string): Promise<Record<string, unknown>> {
  const client = await lineClient(relay);
  client.send({ type: 'auth', token });
  return client.next();
}

function sign(secret: string, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ sub: 'alice', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(secret));
}

describe('cloudbridge-relay secrets and JWKS', () => {
  it('reads the secret from --jwt-secret-file, warning when others can read the file', async () => {
    const secretFile = join(dir, 'relay-secret');
    writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o644 });
    chmodSync(secretFile, 0o644);
    const relay = startProcess(
      process.execPath,
      [await relayBundlePath(), '--listen', '127.0.0.1:0', '--jwt-secret-file', secretFile],
      { cwd: REPO_ROOT, env: env(), name: 'cloudbridge-relay' },
    );
    await relay.waitForLine(/listening on tls/);
    expect(relay.stderr()).toMatch(/relay-secret is readable by others \(mode 644\); chmod 600/);
    expect(relay.stdout() + relay.stderr()).not.toContain(SECRET);
  });

  it('warns that --jwt-secret shows in ps, and prints nothing of the secret', async () => {
    const relay = startProcess(
      process.execPath,
      [await relayBundlePath(), '--listen', '127.0.0.1:0', '--jwt-secret', SECRET],
      { cwd: REPO_ROOT, env: env(), name: 'cloudbridge-relay' },
    );
    await relay.waitForLine(/listening on tls/);
    expect(relay.stderr()).toMatch(
      /warning: --jwt-secret shows the secret .*CLOUDBRIDGE_JWT_SECRET/,
    );
    expect(relay.stdout() + relay.stderr()).not.toContain(SECRET);
  });

  it('refuses an http JWKS URL with exit 2, and with --allow-insecure-jwks starts and logs it', async () => {
    const refused = await relayCli([
      '--listen',
      '127.0.0.1:0',
      '--jwks',
      'http://127.0.0.1:1/jwks.json',
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/plain http .* --allow-insecure-jwks/);
    const relay = startProcess(
      process.execPath,
      [
        await relayBundlePath(),
        '--listen',
        '127.0.0.1:0',
        '--jwks',
        'http://127.0.0.1:1/jwks.json',
        '--allow-insecure-jwks',
      ],
      { cwd: REPO_ROOT, env: env(), name: 'cloudbridge-relay' },
    );
    const line = await relay.waitForLine(/"event":"insecure_jwks_url"/);
    expect(JSON.parse(line)).toMatchObject({
      level: 'warn',
      details: { url: 'http://127.0.0.1:1/jwks.json' },
    });
  });
});

describe('the relay process and its output', () => {
  it('keeps serving when whoever reads its log goes away', async () => {
    const relay = await startHardenedRelay();
    relay.closeOutput();
    // Each connection writes log lines into the closed pipe.
    for (let i = 0; i < 5; i++) {
      const reply = await authReply(relay, await relay.token(`after-epipe-${i}`));
      expect(reply).toMatchObject({ type: 'auth_response' });
    }
    expect(relay.exited()).toBe(false);
  });
});

describe('token rules in the relay process', () => {
  it('refuses a token that lives longer than the maximum, or is issued in the future', async () => {
    const relay = await startHardenedRelay({ args: ['--max-token-lifetime', '1h'] });
    const now = Math.floor(Date.now() / 1000);
    expect(
      await authReply(relay, await sign(relay.secret, { iat: now, exp: 1e300 })),
    ).toMatchObject({
      code: 'invalid_token',
      details: { reason: 'lifetime_too_long' },
    });
    expect(
      await authReply(relay, await sign(relay.secret, { iat: now, exp: now + 3_601 })),
    ).toMatchObject({ details: { reason: 'lifetime_too_long' } });
    expect(
      await authReply(relay, await sign(relay.secret, { iat: now + 3_000, exp: now + 3_300 })),
    ).toMatchObject({ details: { reason: 'issued_in_future' } });
    expect(
      await authReply(relay, await sign(relay.secret, { iat: now, exp: now + 600 })),
    ).toMatchObject({
      type: 'auth_response',
    });
    expect(
      await relay.metric('cloudbridge_relay_auth_failures_total{reason="lifetime_too_long"}'),
    ).toBe(2);
  });

  it('requires the audience given with --jwt-audience', async () => {
    const relay = await startHardenedRelay({ args: ['--jwt-audience', 'relay.example'] });
    const now = Math.floor(Date.now() / 1000);
    expect(await authReply(relay, await sign(relay.secret, { exp: now + 600 }))).toMatchObject({
      details: { reason: 'wrong_audience' },
    });
    expect(
      await authReply(relay, await sign(relay.secret, { exp: now + 600, aud: 'relay.example' })),
    ).toMatchObject({ type: 'auth_response' });
  });
});

describe('cloudbridge token and connect', () => {
  it('writes --out readable by its owner only, over an older world-readable file', async () => {
    const out = join(dir, 'token.jwt');
    writeFileSync(out, 'old\n', { mode: 0o644 });
    chmodSync(out, 0o644);
    const result = await cloudbridge(['token', '--sub', 'alice', '--out', out], {
      CLOUDBRIDGE_JWT_SECRET: SECRET,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const { payload } = await jwtVerify(
      readFileSync(out, 'utf8').trim(),
      new TextEncoder().encode(SECRET),
    );
    expect(payload.sub).toBe('alice');
  });

  it('reads --secret-file, and warns that --secret shows in ps', async () => {
    const secretFile = join(dir, 'token-secret');
    writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
    const fromFile = await cloudbridge(['token', '--sub', 'bob', '--secret-file', secretFile]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stderr).toBe('');
    await jwtVerify(fromFile.stdout.trim(), new TextEncoder().encode(SECRET));
    const fromFlag = await cloudbridge(['token', '--sub', 'bob', '--secret', SECRET]);
    expect(fromFlag.code).toBe(0);
    expect(fromFlag.stderr).toMatch(/warning: --secret shows the secret/);
  });

  it('warns when the --token-file of connect is readable by others', async () => {
    const tokenFile = join(dir, 'shared-token');
    writeFileSync(tokenFile, 'eyJhbGciOiJIUzI1NiJ9.e30.c2ln\n', { mode: 0o644 });
    chmodSync(tokenFile, 0o644);
    const connect = startProcess(
      process.execPath,
      [
        cli,
        'connect',
        '--relay',
        '127.0.0.1:9',
        '--token-file',
        tokenFile,
        '--tunnel',
        `${await freePort()}:127.0.0.1:22`,
      ],
      { cwd: REPO_ROOT, env: env(), name: 'cloudbridge' },
    );
    await connect.waitForLine(/shared-token is readable by others \(mode 644\); chmod 600/);
  });
});

// Connection links between the two real CLIs, as processes (docs/protocol.md#connection-links):
// `cloudbridge-relay invite`, run beside a relay process that keeps its self-signed development
// certificate in a data dir, prints a link and writes a .cloudbridge file (0600 when it carries
// a token); `cloudbridge connect --link` takes that file, or the link itself, and moves
// checksummed bytes through the relay over real TLS, pinned to the relay's key. A tampered or
// expired link is refused with exit 2 and a plain message, before anything is dialled.

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleEntry, childEnv, REPO_ROOT } from '../harness/bundle';
import { newJwtSecret, relayBundlePath } from '../harness/relay';
import {
  runToCompletion,
  startProcess,
  stopAllProcesses,
  type ManagedProcess,
} from '../harness/processes';
import { Pattern, echoRoundTrip, freePort, startEchoServer } from '../harness/traffic';
import { spkiSha256 } from '../../src-main/protocol/tls';

let dir = '';
let cli = '';
let relayCli = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cloudbridge-invite-test-'));
  cli = await bundleEntry('src-main/cli/cloudbridge.ts', join(dir, 'cloudbridge.cjs'));
  relayCli = await relayBundlePath();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await stopAllProcesses();
});

const env = (): NodeJS.ProcessEnv => {
  const clean = childEnv();
  delete clean['CLOUDBRIDGE_TOKEN'];
  delete clean['CLOUDBRIDGE_JWT_SECRET'];
  return clean;
};

interface RelayHere {
  readonly port: number;
  readonly dataDir: string;
  readonly secretFile: string;
  readonly proc: ManagedProcess;
}

/** A relay process with its development certificate in a data dir and its secret in a file. */
async function startRelay(name: string): Promise<RelayHere> {
  const dataDir = join(dir, `${name}-data`);
  const secretFile = join(dir, `${name}-secret`);
  writeFileSync(secretFile, `${newJwtSecret()}\n`, { mode: 0o600 });
  const proc = startProcess(
    process.execPath,
    [
      relayCli,
      '--listen',
      '127.0.0.1:0',
      '--data-dir',
      dataDir,
      '--jwt-secret-file',
      secretFile,
      '--allow',
      '127.0.0.1/32',
    ],
    { cwd: REPO_ROOT, env: env(), name: `relay-${name}` },
  );
  const line = await proc.waitForLine(/listening on tls:\/\/127\.0\.0\.1:\d+/, 20_000);
  const port = Number(/:(\d+)\s*$/.exec(line)?.[1]);
  return { port, dataDir, secretFile, proc };
}

function invite(relay: RelayHere, extra: readonly string[]) {
  return runToCompletion(
    process.execPath,
    [
      relayCli,
      'invite',
      '--data-dir',
      relay.dataDir,
      '--jwt-secret-file',
      relay.secretFile,
      '--public-host',
      `127.0.0.1:${relay.port}`,
      ...extra,
    ],
    { cwd: dir, env: env(), timeoutMs: 20_000 },
  );
}

function startConnect(link: string, localPort: number, target: number, extra: string[] = []) {
  return startProcess(
    process.execPath,
    [cli, 'connect', '--link', link, '--tunnel', `${localPort}:127.0.0.1:${target}`, ...extra],
    { cwd: REPO_ROOT, env: env(), name: 'cloudbridge' },
  );
}

describe('cloudbridge-relay invite and cloudbridge connect --link', () => {
  it('prints a link whose file (mode 600, with a token) carries bytes through the pinned relay', async () => {
    const relay = await startRelay('main');
    const echo = await startEchoServer();
    closers.push(() => echo.close());
    const outFile = join(dir, 'alice.cloudbridge');
    const made = await invite(relay, [
      '--sub',
      'alice',
      '--tenant',
      'acme',
      '--with-token',
      '--out',
      outFile,
    ]);
    expect(made.code, made.stderr).toBe(0);
    const lines = made.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const link = lines[0]!;
    expect(link).toMatch(/^cloudbridge:\/\/invite\/[\w-]+\.[\w-]+\.[\w-]+$/);
    // The link pins the key of the certificate the relay serves, and says so on stderr.
    const pin = spkiSha256(readFileSync(join(relay.dataDir, 'relay-cert.pem')));
    expect(made.stderr).toContain(`sha256/${pin}`);
    expect(made.stderr).toContain('carries a token');
    expect(statSync(outFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(outFile, 'utf8'))).toEqual({
      type: 'cloudbridge-invite',
      version: 1,
      link,
    });

    const localPort = await freePort();
    const client = startConnect(outFile, localPort, echo.port);
    await client.waitForLine(
      / Active {2}relay 127\.0\.0\.1:\d+ {2}client alice {2}tenant \S+/,
      20_000,
    );
    await client.waitForLine(new RegExp(`tunnel t-${localPort} {2}listening`), 10_000);
    const pattern = new Pattern(4 * 1024 * 1024, 11);
    const { sent, received } = await echoRoundTrip(localPort, pattern);
    expect(received.bytes).toBe(pattern.totalBytes);
    expect(received.sha256).toBe(sent);

    client.signal('SIGINT');
    expect((await client.waitForExit(10_000)).code).toBe(0);
    const token = JSON.parse(Buffer.from(link.split('.')[1]!, 'base64url').toString('utf8')) as {
      token: string;
    };
    const output = client.stdout() + client.stderr() + made.stderr;
    expect(output).not.toContain(token.token.split('.')[2]!);
  });

  it('takes the link itself, with a token of its own when the link carries none', async () => {
    const relay = await startRelay('plain');
    const echo = await startEchoServer();
    closers.push(() => echo.close());
    const outFile = join(dir, 'bob.cloudbridge');
    const made = await invite(relay, ['--sub', 'bob', '--ttl', '2d', '--out', outFile]);
    expect(made.code, made.stderr).toBe(0);
    const umask = process.umask();
    expect(statSync(outFile).mode & 0o777).toBe(0o644 & ~umask);
    expect(made.stderr).toContain('carries no token');
    const link = made.stdout.trim();

    const noToken = await runToCompletion(
      process.execPath,
      [cli, 'connect', '--link', link, '--tunnel', `${await freePort()}:127.0.0.1:${echo.port}`],
      { cwd: REPO_ROOT, env: env(), timeoutMs: 20_000 },
    );
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('the link carries no token');

    const minted = await runToCompletion(
      process.execPath,
      [cli, 'token', '--secret-file', relay.secretFile, '--sub', 'bob', '--ttl', '10m'],
      { cwd: REPO_ROOT, env: env(), timeoutMs: 20_000 },
    );
    const tokenFile = join(dir, 'bob.jwt');
    writeFileSync(tokenFile, minted.stdout, { mode: 0o600 });
    const localPort = await freePort();
    const client = startConnect(link, localPort, echo.port, ['--token-file', tokenFile]);
    await client.waitForLine(new RegExp(`tunnel t-${localPort} {2}listening`), 20_000);
    const pattern = new Pattern(512 * 1024, 5);
    const { sent, received } = await echoRoundTrip(localPort, pattern);
    expect(received.sha256).toBe(sent);
  });

  it('refuses a tampered or expired link with exit 2 and plain words, and dials nothing', async () => {
    const relay = await startRelay('refuse');
    const made = await invite(relay, [
      '--sub',
      'carol',
      '--with-token',
      '--out',
      join(dir, 'c.cloudbridge'),
    ]);
    expect(made.code, made.stderr).toBe(0);
    const [head, payload, signature] = made.stdout.trim().split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const moved = Buffer.from(JSON.stringify({ ...claims, host: '127.0.0.2' })).toString(
      'base64url',
    );
    const tampered = `${head}.${moved}.${signature}`;
    const refused = await runToCompletion(
      process.execPath,
      [cli, 'connect', '--link', tampered, '--tunnel', `${await freePort()}:127.0.0.1:9`],
      { cwd: REPO_ROOT, env: env(), timeoutMs: 20_000 },
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'its signature does not match (invite_invalid: bad_signature)',
    );
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    const short = await invite(relay, [
      '--sub',
      'carol',
      '--ttl',
      '1s',
      '--out',
      join(dir, 'd.cloudbridge'),
    ]);
    expect(short.code, short.stderr).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const expired = await runToCompletion(
      process.execPath,
      [cli, 'connect', '--link', join(dir, 'd.cloudbridge'), '--tunnel', '1:127.0.0.1:9'],
      { cwd: REPO_ROOT, env: env(), timeoutMs: 20_000 },
    );
    expect(expired.code).toBe(2);
    expect(expired.stderr).toContain(
      'the link has expired; ask for a new one (invite_expired: expired)',
    );
    // Neither attempt reached the relay.
    expect(relay.proc.stdout()).not.toContain('"event":"session_opened"');
    expect(relay.proc.stdout()).not.toMatch(/"event":"auth/);
  });

  it('exits 2 with plain words when the relay keeps no certificate, or listens where no client can dial', async () => {
    const noCert = await runToCompletion(
      process.execPath,
      [
        relayCli,
        'invite',
        '--sub',
        'x',
        '--public-host',
        '127.0.0.1:1',
        '--jwt-secret',
        'x'.repeat(20),
      ],
      { cwd: dir, env: env(), timeoutMs: 20_000 },
    );
    expect(noCert.code).toBe(2);
    expect(noCert.stderr).toContain('give its --cert and --key, or its --data-dir');
    const relay = await startRelay('nodial');
    const noHost = await runToCompletion(
      process.execPath,
      [
        relayCli,
        'invite',
        '--sub',
        'x',
        '--data-dir',
        relay.dataDir,
        '--jwt-secret-file',
        relay.secretFile,
        '--listen',
        '0.0.0.0:8443',
      ],
      { cwd: dir, env: env(), timeoutMs: 20_000 },
    );
    expect(noHost.code).toBe(2);
    expect(noHost.stderr).toContain('--public-host HOST:PORT is required');
  });
});

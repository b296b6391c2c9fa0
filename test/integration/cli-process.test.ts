// The built `cloudbridge` CLI as a child process: token minting, connect + fetch through a
// tunnel to a real relay over TLS, --json output, exit codes (2 bad arguments, 3 refused
// token, 0 after SIGINT/SIGTERM), and the token never printed.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { bundleEntry, childEnv, REPO_ROOT } from '../harness/bundle';

import { parseCommandLine } from '../../src-main/cli/args';
import { runConnect } from '../../src-main/cli/connect';
import { createEngine } from '../../src-main/engine/engine';
import { mintDevToken } from '../../src-main/relay/tokens';
import {
  runToCompletion,
  startProcess,
  stopAllProcesses,
  type ManagedProcess,
} from '../harness/processes';
import { freePort, startHttpServer } from '../harness/traffic';
import { Cleanup, pki, startTestRelay, type TestRelay } from './system-stack';
import type { Clock } from '../../src-main/shared/clock';

let dir = '';
let cli = '';

beforeAll(async () => {
  // Bundle the current source the way scripts/build.mjs does, so a stale dist/ cannot mislead.
  dir = mkdtempSync(join(tmpdir(), 'cloudbridge-cli-test-'));
  cli = join(dir, 'cloudbridge.cjs');
  await bundleEntry('src-main/cli/cloudbridge.ts', cli);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cleanup = new Cleanup();
afterEach(async () => {
  await cleanup.run();
  await stopAllProcesses();
});

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const clean = childEnv(extra);
  if (extra['CLOUDBRIDGE_TOKEN'] === undefined) delete clean['CLOUDBRIDGE_TOKEN'];
  return clean;
};

function runCli(
  args: readonly string[],
  extraEnv: Record<string, string> = {},
): ReturnType<typeof runToCompletion> {
  return runToCompletion(process.execPath, [cli, ...args], {
    cwd: REPO_ROOT,
    env: env(extraEnv),
    timeoutMs: 20_000,
  });
}

function startCli(args: readonly string[], extraEnv: Record<string, string> = {}): ManagedProcess {
  return startProcess(process.execPath, [cli, ...args], {
    cwd: REPO_ROOT,
    env: env(extraEnv),
    name: 'cloudbridge',
  });
}

async function relayAndFiles(): Promise<{
  relay: TestRelay;
  caFile: string;
  tokenFile: string;
  token: string;
}> {
  const relay = cleanup.add(await startTestRelay(), (r) => r.server.close());
  const caFile = join(dir, `ca-${relay.server.port}.pem`);
  writeFileSync(caFile, (await pki()).caPem);
  const token = await mintDevToken({
    secret: relay.secret,
    sub: 'cli-user',
    tenant: 'default',
    ttlSec: 600,
  });
  const tokenFile = join(dir, `token-${relay.server.port}`);
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  return { relay, caFile, tokenFile, token };
}

describe('cloudbridge token', () => {
  it('prints one development token signed with the secret, with subject, tenant and ttl', async () => {
    const result = await runCli(['token', '--sub', 'alice', '--tenant', 't1', '--ttl', '2h'], {
      CLOUDBRIDGE_JWT_SECRET: 'cli-test-secret-0123456789',
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const { payload } = await jwtVerify(
      lines[0]!,
      new TextEncoder().encode('cli-test-secret-0123456789'),
    );
    expect(payload.sub).toBe('alice');
    expect(payload['tenant_id']).toBe('t1');
    expect(payload.exp! - payload.iat!).toBe(7200);
  });

  it('exits 2 when --sub is missing', async () => {
    const result = await runCli(['token', '--secret', 's3cret']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('--sub NAME is required');
  });
});

describe('cloudbridge connect', () => {
  it('connects, prints state and counter lines, carries a fetch, and exits 0 on SIGINT without printing the token', async () => {
    const http = cleanup.add(await startHttpServer('through the CLI\n'), (s) => s.close());
    const { relay, caFile, tokenFile, token } = await relayAndFiles();
    const localPort = await freePort();
    const stateFile = join(dir, `state-${localPort}.json`);
    const proc = startCli([
      'connect',
      '--relay',
      `127.0.0.1:${relay.server.port}`,
      '--ca',
      caFile,
      '--servername',
      'localhost',
      '--token-file',
      tokenFile,
      '--tunnel',
      `${localPort}:127.0.0.1:${http.port}`,
      '--state-file',
      stateFile,
    ]);
    const activeLine = await proc.waitForLine(/ Active {2}relay /, 15_000);
    expect(activeLine).toMatch(
      /^\d\d:\d\d:\d\d Active {2}relay 127\.0\.0\.1:\d+ {2}client cli-user {2}tenant default$/,
    );
    await proc.waitForLine(
      new RegExp(
        `tunnel t-${localPort} {2}listening 127\\.0\\.0\\.1:${localPort} -> 127\\.0\\.0\\.1:${http.port}`,
      ),
      10_000,
    );

    const response = await fetch(`http://127.0.0.1:${localPort}/`);
    expect(await response.text()).toBe('through the CLI\n');
    // Counters follow within about a second, with the bytes that moved.
    const counters = await proc.waitForLine(
      new RegExp(`tunnel t-${localPort} .* in [1-9][0-9.]* [kMG]?B .* out [1-9][0-9.]* [kMG]?B`),
      5_000,
    );
    expect(counters).toMatch(/conns \d/);
    // Bytes keep moving for 2.5 s, four requests a second: the counters change far more often
    // than the throttle lets a line out.
    for (let i = 0; i < 10; i += 1) {
      await (await fetch(`http://127.0.0.1:${localPort}/`)).text();
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    proc.signal('SIGINT');
    const exit = await proc.waitForExit(10_000);
    expect(exit.code).toBe(0);
    const all = proc.stdout() + proc.stderr();
    expect(all).not.toContain(token);
    expect(all).not.toContain(token.split('.')[2]!);
    // Reconnect state is kept for the next run (docs/protocol.md#persisted-client-state), never the
    // token.
    const state = readFileSync(stateFile, 'utf8');
    expect(JSON.parse(state)).toMatchObject({
      relay: `127.0.0.1:${relay.server.port}`,
      clientId: 'cli-user',
      tunnelIds: [`t-${localPort}`],
    });
    expect(state).not.toContain(token.split('.')[2]!);
    // Counter lines (bytes moved, status unchanged; a status change prints at once) are
    // throttled to one a second per tunnel: several came out during the traffic above, and
    // never two in the same second.
    const counterLine = new RegExp(
      `^\\d\\d:\\d\\d:\\d\\d tunnel t-${localPort} {2}listening .* in [1-9]`,
    );
    const counterSeconds = proc
      .stdout()
      .split('\n')
      .filter((line) => counterLine.test(line))
      .map((line) => line.slice(0, 8));
    expect(counterSeconds.length).toBeGreaterThanOrEqual(2);
    expect(new Set(counterSeconds).size).toBe(counterSeconds.length);
  });

  it('prints one JSON object per line with --json, takes the token from CLOUDBRIDGE_TOKEN, and exits 0 on SIGTERM', async () => {
    const http = cleanup.add(await startHttpServer('json mode\n'), (s) => s.close());
    const { relay, caFile, token } = await relayAndFiles();
    const localPort = await freePort();
    const proc = startCli(
      [
        'connect',
        '--relay',
        `127.0.0.1:${relay.server.port}`,
        '--ca',
        caFile,
        '--tunnel',
        `${localPort}:127.0.0.1:${http.port}`,
        '--json',
      ],
      { CLOUDBRIDGE_TOKEN: token },
    );
    await proc.waitForLine(/"state":"active"/, 15_000);
    expect(await (await fetch(`http://127.0.0.1:${localPort}/`)).text()).toBe('json mode\n');
    proc.signal('SIGTERM');
    expect((await proc.waitForExit(10_000)).code).toBe(0);
    const lines = proc.stdout().trim().split('\n');
    const objects = lines.map(
      (line) => JSON.parse(line) as { kind: string; state?: string; event?: string },
    );
    expect(objects.every((o) => o.kind === 'snapshot' || o.kind === 'log')).toBe(true);
    expect(objects.some((o) => o.kind === 'snapshot' && o.state === 'active')).toBe(true);
    expect(objects.some((o) => o.kind === 'log')).toBe(true);
    expect(proc.stdout() + proc.stderr()).not.toContain(token);
  });

  it('says loudly when --insecure runs the relay connection in plaintext', async () => {
    const http = cleanup.add(await startHttpServer('plaintext dev relay\n'), (s) => s.close());
    const relay = cleanup.add(await startTestRelay({ insecure: true }), (r) => r.server.close());
    const token = await mintDevToken({ secret: relay.secret, sub: 'dev', ttlSec: 600 });
    const localPort = await freePort();
    const proc = startCli(
      [
        'connect',
        '--relay',
        `127.0.0.1:${relay.server.port}`,
        '--insecure',
        '--tunnel',
        `${localPort}:127.0.0.1:${http.port}`,
      ],
      { CLOUDBRIDGE_TOKEN: token },
    );
    const active = await proc.waitForLine(/ Active {2}relay /, 15_000);
    expect(active).toContain('PLAINTEXT (insecure)');
    expect(proc.stderr()).toContain('--insecure: the relay connection is PLAINTEXT');
    expect(await (await fetch(`http://127.0.0.1:${localPort}/`)).text()).toBe(
      'plaintext dev relay\n',
    );
    proc.signal('SIGINT');
    expect((await proc.waitForExit(10_000)).code).toBe(0);
    expect(proc.stdout() + proc.stderr()).not.toContain(token);
  });

  it('accepts the right --pin, and stops with exit 4 naming a pin mismatch', async () => {
    const http = cleanup.add(await startHttpServer('pinned\n'), (s) => s.close());
    const { relay, caFile, tokenFile } = await relayAndFiles();
    const p = await pki();
    const args = (pin: string, localPort: number): string[] => [
      'connect',
      '--relay',
      `127.0.0.1:${relay.server.port}`,
      '--ca',
      caFile,
      '--pin',
      pin,
      '--token-file',
      tokenFile,
      '--tunnel',
      `${localPort}:127.0.0.1:${http.port}`,
    ];
    const goodPort = await freePort();
    const good = startCli(args(p.pin(p.serverEc.cert), goodPort));
    await good.waitForLine(/ Active {2}relay /, 15_000);
    expect(await (await fetch(`http://127.0.0.1:${goodPort}/`)).text()).toBe('pinned\n');
    good.signal('SIGTERM');
    expect((await good.waitForExit(10_000)).code).toBe(0);

    const bad = startCli(args(p.pin(p.serverRsa.cert), await freePort()));
    const line = await bad.waitForLine(/error tls_pin_mismatch/, 15_000);
    expect(line).toMatch(/relay 127\.0\.0\.1:\d+ .*error tls_pin_mismatch: /);
    expect((await bad.waitForExit(10_000)).code).toBe(4);
  });

  it('exits 3 when the relay refuses the token, and does not print it', async () => {
    const { relay, caFile } = await relayAndFiles();
    const wrong = await mintDevToken({
      secret: 'not-the-relay-secret-at-all',
      sub: 'mallory',
      ttlSec: 600,
    });
    const tokenFile = join(dir, 'wrong-token');
    writeFileSync(tokenFile, wrong);
    const localPort = await freePort();
    const proc = startCli([
      'connect',
      '--relay',
      `127.0.0.1:${relay.server.port}`,
      '--ca',
      caFile,
      '--token-file',
      tokenFile,
      '--tunnel',
      `${localPort}:127.0.0.1:9`,
    ]);
    const exit = await proc.waitForExit(20_000);
    expect(exit.code).toBe(3);
    expect(proc.stderr()).toContain('authentication refused (invalid_token)');
    expect(proc.stdout() + proc.stderr()).not.toContain(wrong);
    expect(proc.stdout() + proc.stderr()).not.toContain(wrong.split('.')[2]!);
  });

  it.each([
    [['connect'], '--relay HOST:PORT (or --link URL|FILE) is required'],
    [['connect', '--relay', '127.0.0.1:1', '--token-file', '/dev/null'], 'at least one --tunnel'],
    [
      ['connect', '--relay', '127.0.0.1:1', '--token-file', 'x', '--tunnel', '80:host'],
      'expected LOCAL_PORT:REMOTE_HOST:REMOTE_PORT',
    ],
    [
      ['connect', '--relay', '127.0.0.1:70000', '--token-file', 'x', '--tunnel', '80:h:22'],
      'outside 1-65535',
    ],
    [['connect', '--relay', '127.0.0.1:1', '--tunnel', '80:h:22'], 'CLOUDBRIDGE_TOKEN'],
    [
      [
        'connect',
        '--relay',
        '127.0.0.1:1',
        '--token-file',
        '/nonexistent/token',
        '--tunnel',
        '80:h:22',
      ],
      'cannot read /nonexistent/token (ENOENT)',
    ],
    [
      [
        'connect',
        '--relay',
        '127.0.0.1:1',
        '--token-file',
        'x',
        '--tunnel',
        '80:h:22',
        '--opener',
        'maybe',
      ],
      '--opener',
    ],
    [
      [
        'connect',
        '--relay',
        '127.0.0.1:1',
        '--token-file',
        'x',
        '--tunnel',
        '80:h:22',
        '--frobnicate',
      ],
      'unknown option --frobnicate',
    ],
    [['launch'], 'unknown command "launch"'],
    [[], 'no command given'],
  ])('exits 2 with a clear message for %j', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('Usage:');
    expect(result.stdout).toBe('');
  });

  it('exits 4 after the relay goes away and all 10 reconnect attempts fail (fast clock)', async () => {
    // The real engine and relay, with time running 20x faster for the engine, so the
    // 1 s..30 s backoff of 10 attempts (docs/protocol.md#reconnect) takes seconds, not minutes.
    const SCALE = 20;
    const base = Date.now();
    const clock: Clock = {
      now: () => base + (Date.now() - base) * SCALE,
      setTimeout: (fn, ms) => setTimeout(fn, ms / SCALE),
      clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    };
    const relay = await startTestRelay({ limits: { minHeartbeatIntervalMs: 50 } });
    let relayOpen = true;
    cleanup.add(relay, (r) => (relayOpen ? r.server.close() : undefined));
    const caFile = join(dir, 'ca-fast.pem');
    writeFileSync(caFile, (await pki()).caPem);
    const token = await mintDevToken({ secret: relay.secret, sub: 'fast', ttlSec: 3600 });
    const command = parseCommandLine(
      [
        'connect',
        '--relay',
        `127.0.0.1:${relay.server.port}`,
        '--ca',
        caFile,
        '--tunnel',
        `${await freePort()}:127.0.0.1:9`,
      ],
      { CLOUDBRIDGE_TOKEN: token },
    );
    if (command.kind !== 'connect') throw new Error('expected a connect command');
    const out: string[] = [];
    const err: string[] = [];
    let sawActive: () => void = () => undefined;
    const active = new Promise<void>((resolve) => (sawActive = resolve));
    const running = runConnect(command.args, {
      env: { CLOUDBRIDGE_TOKEN: token },
      readTextFile: (path) => Promise.resolve(readFileSync(path, 'utf8')),
      out: (line) => {
        out.push(line);
        if (line.includes(' Active  relay ')) sawActive();
      },
      err: (line) => err.push(line),
      onSignal: () => () => undefined,
      now: () => clock.now(),
      createEngine: (options) => createEngine({ ...options, clock }),
    });
    await active;
    relayOpen = false;
    await relay.server.close();
    const code = await Promise.race([
      running,
      new Promise<number>((_, reject) =>
        setTimeout(() => reject(new Error(`no exit; output:\n${out.join('\n')}`)), 60_000),
      ),
    ]);
    expect(code).toBe(4);
    expect(err.join('\n')).toContain('cloudbridge: gave up reconnecting');
    const attempts = out
      .filter((line) => line.includes(' Reconnecting  relay '))
      .map((line) => /attempt (\d+)\/10/.exec(line)?.[1]);
    expect(attempts).toContain('1');
    expect(attempts).toContain('10');
    expect(out.join('\n') + err.join('\n')).not.toContain(token);
  });
});

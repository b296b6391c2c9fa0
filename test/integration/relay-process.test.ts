// The `cloudbridge-relay` CLI as a real child process: readable argument errors (exit 2),
// serving with flags, SIGSTOP/SIGCONT, kill -9 and a restart on the same port, and a clean
// SIGTERM shutdown (exit 0).

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mintDevToken } from '../../src-main/relay/tokens';
import {
  connectRawClient,
  relayBundlePath,
  sharedTestPki,
  spawnRelayProcess,
  type RelayProcess,
} from '../harness/relay';

const processes: RelayProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  await Promise.all([relayBundlePath(), sharedTestPki()]);
});

afterEach(async () => {
  await Promise.all(processes.splice(0).map((proc) => proc.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function run(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return relayBundlePath().then(
    (script) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [script, ...args], {
          env: {
            ...process.env,
            NODE_PATH: join(process.cwd(), 'node_modules'),
            CLOUDBRIDGE_JWT_SECRET: '',
            ...env,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      }),
  );
}

async function authOk(relay: RelayProcess): Promise<void> {
  const client = await connectRawClient(relay);
  try {
    client.send({ type: 'auth', token: await relay.token({ sub: 'proc-user' }) });
    expect(await client.next(5_000)).toMatchObject({ type: 'auth_response', status: 'ok' });
  } finally {
    client.destroy();
  }
}

describe('cloudbridge-relay arguments', () => {
  it.each([
    {
      args: ['--listen', 'nonsense', '--jwt-secret', 'a-secret-of-enough-length'],
      message: /--listen must look like HOST:PORT/,
    },
    { args: ['--listen', '127.0.0.1:0'], message: /JWT key is required/ },
    {
      args: ['--listen', '127.0.0.1:0', '--jwt-secret', 'short'],
      message: /at least 16 characters/,
    },
    {
      args: [
        '--listen',
        '127.0.0.1:0',
        '--jwt-secret',
        'a-secret-of-enough-length',
        '--allow',
        '10.0.0.0/33',
      ],
      message: /--allow: prefix length 33 too long/,
    },
    {
      args: [
        '--listen',
        '127.0.0.1:0',
        '--jwt-secret',
        'a-secret-of-enough-length',
        '--cert',
        'only-cert.pem',
      ],
      message: /--cert and --key go together/,
    },
    {
      args: ['--listen', '127.0.0.1:0', '--jwt-secret', 'a-secret-of-enough-length', '--bogus'],
      message: /Unknown option '--bogus'/,
    },
  ])('exits 2 with a readable message for $args', async ({ args, message }) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Usage: cloudbridge-relay');
  });

  it('reads tenants from a config file, takes the secret from the environment, and makes a dev certificate in --data-dir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-cli-'));
    dirs.push(dir);
    writeFileSync(
      join(dir, 'relay.json'),
      JSON.stringify({
        tenants: [{ id: 'acme', maxTunnels: 1, maxConnections: 1, allow: ['127.0.0.0/8'] }],
      }),
    );
    const child = spawn(
      process.execPath,
      [
        await relayBundlePath(),
        '--listen',
        '127.0.0.1:0',
        '--config',
        join(dir, 'relay.json'),
        '--data-dir',
        dir,
      ],
      {
        env: {
          ...process.env,
          NODE_PATH: join(process.cwd(), 'node_modules'),
          CLOUDBRIDGE_JWT_SECRET: 'env-secret-of-enough-length',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    let stderr = '';
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 15_000);
      const check = (): void => {
        const match = /"event":"relay_listening".*?"port":(\d+)/.exec(out);
        if (match?.[1] && stderr.includes('listening on')) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      };
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        check();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        check();
      });
    });
    try {
      expect(stderr).toMatch(new RegExp(`listening on tls://127\\.0\\.0\\.1:${port}`));
      const certPem = readFileSync(join(dir, 'relay-cert.pem'), 'utf8');
      const client = await connectRawClient({ host: '127.0.0.1', port, caPem: certPem });
      client.send({
        type: 'auth',
        token: await mintDevToken({
          secret: 'env-secret-of-enough-length',
          sub: 'x',
          tenant: 'acme',
          ttlSec: 60,
        }),
      });
      expect(await client.next()).toMatchObject({
        type: 'auth_response',
        status: 'ok',
        tenant_id: 'acme',
      });
      client.destroy();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

describe('cloudbridge-relay process lifecycle', () => {
  it('freezes on SIGSTOP, answers again after SIGCONT, and restarts on the same port after kill -9', async () => {
    const relay = await spawnRelayProcess({ args: ['--grace-ms', '1000'] });
    processes.push(relay);
    await authOk(relay);

    relay.signal('SIGSTOP');
    // A frozen relay: the kernel still accepts TCP, but no TLS handshake completes.
    const pending = connectRawClient(relay);
    const early = await Promise.race([
      pending.then(() => 'connected'),
      new Promise((resolve) => setTimeout(() => resolve('pending'), 500)),
    ]);
    expect(early).toBe('pending');
    relay.signal('SIGCONT');
    const thawed = await pending;
    thawed.send({ type: 'auth', token: await relay.token({ sub: 'after-thaw' }) });
    expect(await thawed.next()).toMatchObject({
      type: 'auth_response',
      status: 'ok',
      client_id: 'after-thaw',
    });
    thawed.destroy();

    const port = relay.port;
    const firstPid = relay.pid;
    relay.signal('SIGKILL');
    expect(await relay.waitExit()).toMatchObject({ signal: 'SIGKILL' });
    await expect(connectRawClient(relay)).rejects.toThrow(/ECONNREFUSED/);
    await relay.restart();
    expect(relay.pid).not.toBe(firstPid);
    expect(relay.port).toBe(port);
    await authOk(relay);
  });

  it('shuts down cleanly on SIGTERM with exit code 0', async () => {
    const relay = await spawnRelayProcess();
    processes.push(relay);
    const client = await connectRawClient(relay);
    relay.signal('SIGTERM');
    expect(await relay.waitExit()).toEqual({ code: 0, signal: null });
    await client.closed();
    client.destroy();
    expect(relay.logs.some((record) => record.event === 'relay_closed')).toBe(true);
  });
});

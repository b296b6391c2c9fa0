// The `cloudbridge-relay` CLI as a real child process: readable argument errors (exit 2),
// serving with flags, SIGSTOP/SIGCONT, kill -9 and a restart on the same port, and a clean
// SIGTERM shutdown (exit 0).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mintDevToken } from '../../src-main/relay/tokens';
import { childEnv } from '../harness/bundle';
import { runToCompletion, startProcess, stopAllProcesses } from '../harness/processes';
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
  await Promise.all([...processes.splice(0).map((proc) => proc.close()), stopAllProcesses()]);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function run(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return runToCompletion(process.execPath, [await relayBundlePath(), ...args], {
    env: childEnv({ CLOUDBRIDGE_JWT_SECRET: '' }),
    timeoutMs: 20_000,
  });
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
    const child = startProcess(
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
        env: childEnv({ CLOUDBRIDGE_JWT_SECRET: 'env-secret-of-enough-length' }),
        name: 'cloudbridge-relay',
      },
    );
    const listeningLine = /"event":"relay_listening".*?"port":(\d+)/;
    const port = Number(listeningLine.exec(await child.waitForLine(listeningLine))?.[1]);
    await child.waitForLine(/listening on tls:\/\//);
    const stderr = child.stderr();
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
      child.signal('SIGTERM');
    }
    expect((await child.waitForExit()).code).toBe(0);
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

// The desktop service graph in plain Node against the real reference relay over TLS on
// 127.0.0.1: first run, built-in relay, a tunnel carrying bytes, pushes and visibility,
// validation errors per field, port-in-use with the holder named, and clean shutdown.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { strFromU8, unzipSync } from 'fflate';
import { SignJWT } from 'jose';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppSnapshot, Result } from '../../src-main/shared/ipc-contract';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import type { Push } from '../../src-main/services/app-controller';
import { ServiceError } from '../../src-main/services/errors';
import { createMemorySecretStore, type SecretStore } from '../../src-main/services/secret-store';

let services: AppServices | null = null;
let launched: { command: string; args: readonly string[] }[] = [];
const opened: string[] = [];
let dataDir: string | null = null;
const servers: Server[] = [];

afterEach(async () => {
  await services?.close();
  services = null;
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = null;
});

function make(secretStore: SecretStore = createMemorySecretStore()): AppServices {
  dataDir = mkdtempSync(join(tmpdir(), 'cb-services-'));
  services = createAppServices({
    dataDir,
    secretStore,
    openExternal: (url) => {
      opened.push(url);
      return Promise.resolve();
    },
    launch: (command) => {
      launched.push(command);
      return Promise.resolve();
    },
  });
  launched = [];
  return services;
}

async function waitFor<T>(
  read: () => T | undefined | null | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

function expectOk<T>(result: Result<unknown>): T {
  if (!result.ok) throw new Error(`request failed: ${JSON.stringify(result.error)}`);
  return result.value as T;
}

function exchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('timeout')));
    socket.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.length >= text.length) socket.end();
    });
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
    socket.write(text);
  });
}

describe('desktop services against the built-in relay', () => {
  it('first run reports nothing configured, then useBuiltin connects and the demo tunnel echoes bytes', async () => {
    const app = make();
    const pushes: Push[] = [];
    app.onEvent((p) => pushes.push(p));
    await app.start();
    const first = expectOk<AppSnapshot>(
      await app.router.handle('cloudbridge:app.snapshot', undefined),
    );
    expect(first.settings.relay).toBeNull();
    expect(first.notices.map((n) => n.kind)).toContain('first_run');
    expect(first.engine.state).toBe('disconnected');

    // Hidden window: nothing is pushed.
    expect(pushes).toHaveLength(0);
    app.setWindowVisible(true);
    expect(pushes[0]?.event).toBe('cloudbridge:app.changed');

    const settings = expectOk<AppSnapshot['settings']>(
      await app.router.handle('cloudbridge:relay.useBuiltin', undefined),
    );
    expect(settings.relay?.builtin).toBe(true);
    expect(settings.tunnels).toHaveLength(1);
    const active = await waitFor(() => {
      const s = app.controller.snapshot();
      return s.engine.state === 'active' && s.engine.tunnels[0]?.status === 'listening' ? s : null;
    });
    expect(active.account.signedIn).toBe(true);
    expect(active.account.subject).toBe('local-user');

    const tunnel = active.engine.tunnels[0]!;
    const echoed = await exchange(tunnel.localPort, 'ping through the relay');
    expect(echoed).toBe('ping through the relay');
    await waitFor(() => (app.controller.snapshot().engine.tunnels[0]?.bytesOut ?? 0) >= 22);

    // The token lives in the secret store, never in the settings file.
    const onDisk = readFileSync(join(dataDir!, 'settings.json'), 'utf8');
    expect(onDisk).not.toMatch(/eyJ/);
    expect(
      pushes.some(
        (p) => p.event === 'cloudbridge:app.changed' && p.payload.engine.state === 'active',
      ),
    ).toBe(true);
  });

  it('refuses a bad tunnel draft field by field and a duplicate local port', async () => {
    const app = make();
    await app.start();
    const bad = await app.router.handle('cloudbridge:tunnel.save', {
      name: '',
      kind: 'ssh',
      localHost: '127.0.0.1',
      localPort: 70_000,
      remoteHost: 'bad host!',
      remotePort: 22,
      enabled: true,
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.code).toBe('invalid_tunnel_info');
      expect(Object.keys(bad.fields ?? {}).sort()).toEqual(['localPort', 'name', 'remoteHost']);
    }
    const saved = expectOk<{ id: string }>(
      await app.router.handle('cloudbridge:tunnel.save', {
        name: 'SSH',
        kind: 'ssh',
        localHost: '127.0.0.1',
        localPort: 12_022,
        remoteHost: 'example.internal',
        remotePort: 22,
        enabled: false,
      }),
    );
    expect(saved.id).toMatch(/^t-/);
    const dup = await app.router.handle('cloudbridge:tunnel.save', {
      name: 'Other',
      kind: 'other',
      localHost: '127.0.0.1',
      localPort: 12_022,
      remoteHost: '10.0.0.5',
      remotePort: 80,
      enabled: false,
    });
    expect(dup.ok).toBe(false);
    // Main names the problem by key and parameters, never in English: the window words it.
    if (!dup.ok)
      expect(dup.fields?.localPort).toEqual({
        key: 'validation.duplicatePort',
        params: { name: 'SSH' },
      });

    const badRelay = await app.router.handle('cloudbridge:settings.update', {
      relay: {
        id: 'x',
        name: 'X',
        host: 'no such host!',
        port: 0,
        caFile: null,
        pinSha256: 'short',
        serverName: null,
        insecure: false,
        opener: 'auto',
        builtin: false,
      },
    });
    expect(badRelay).toMatchObject({ ok: false, error: { code: 'invalid_tunnel_info' } });
    if (!badRelay.ok)
      expect(Object.keys(badRelay.fields ?? {}).sort()).toEqual(['host', 'pinSha256', 'port']);
    expect(app.settings.get().relay).toBeNull();
    const spoofed = await app.router.handle('cloudbridge:settings.update', {
      relay: {
        id: 'fake-builtin',
        name: 'X',
        host: '127.0.0.1',
        port: 4433,
        caFile: null,
        pinSha256: null,
        serverName: null,
        insecure: false,
        opener: 'auto',
        builtin: true,
      },
    });
    expect(spoofed).toMatchObject({
      ok: false,
      fields: { builtin: { key: 'validation.builtinRelay' } },
    });

    const logs = expectOk<{ event: string }[]>(
      await app.router.handle('cloudbridge:logs.query', { limit: 50, text: 'tunnel_added' }),
    );
    expect(logs.map((r) => r.event)).toEqual(['tunnel_added']);
  });

  it('names the process holding a local port a tunnel needs', async () => {
    const app = make();
    await app.start();
    const blocker = createServer();
    servers.push(blocker);
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    await app.router.handle('cloudbridge:relay.useBuiltin', undefined);
    await waitFor(() => app.controller.snapshot().engine.state === 'active');
    expectOk(
      await app.router.handle('cloudbridge:tunnel.save', {
        name: 'Clash',
        kind: 'other',
        localHost: '127.0.0.1',
        localPort: port,
        remoteHost: '127.0.0.1',
        remotePort: 9,
        enabled: true,
      }),
    );
    const failed = await waitFor(() => {
      const t = app.controller.snapshot().engine.tunnels.find((x) => x.localPort === port);
      return t?.error?.code === 'port_in_use' && t.error.params?.['pid'] === process.pid ? t : null;
    });
    // Said as a catalogue key with values, so the window words it in the user's language.
    expect(failed.error?.detailKey).toBe('errorDetail.portHeldBy');
    expect(failed.error?.params).toMatchObject({ port, pid: process.pid });
  });

  it('exports logs and a diagnostics zip without the stored token, and opens an SSH tunnel in a terminal', async () => {
    const app = make();
    await app.start();
    await app.router.handle('cloudbridge:relay.useBuiltin', undefined);
    await waitFor(() => app.controller.snapshot().engine.state === 'active');
    const token = await app.tokens.getToken();
    app.logger.log('warn', 'leak_attempt', {
      token,
      note: `header Authorization: Bearer ${token}`,
    });

    const logs = expectOk<{ path: string }>(
      await app.router.handle('cloudbridge:logs.export', undefined),
    );
    const diag = expectOk<{ path: string }>(
      await app.router.handle('cloudbridge:diagnostics.export', undefined),
    );
    const logText = readFileSync(logs.path, 'utf8');
    expect(logText).toContain('leak_attempt');
    const files = unzipSync(new Uint8Array(readFileSync(diag.path)));
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining([
        'logs.jsonl',
        'settings.json',
        'snapshot.json',
        'versions.json',
        'files/cloudbridge.log',
      ]),
    );
    const everything = [logText, ...Object.values(files).map((f) => strFromU8(f))].join('\n');
    for (const part of token.split('.')) expect(everything).not.toContain(part);

    const ssh = expectOk<{ id: string }>(
      await app.router.handle('cloudbridge:tunnel.save', {
        name: 'Box',
        kind: 'ssh',
        localHost: '127.0.0.1',
        localPort: 40_022,
        remoteHost: '127.0.0.1',
        remotePort: 22,
        enabled: false,
      }),
    );
    expectOk(await app.router.handle('cloudbridge:tunnel.open', { id: ssh.id }));
    expect(launched.at(-1)?.args.join(' ')).toContain('ssh -p 40022 localhost');
    expect(JSON.stringify(launched)).not.toContain(token.split('.')[1]);
    const demo = app.controller.snapshot().settings.tunnels[0]!;
    const other = await app.router.handle('cloudbridge:tunnel.open', { id: demo.id });
    expect(other.ok).toBe(false);

    // External links: https to allow-listed hosts only.
    opened.length = 0;
    expectOk(
      await app.router.handle('cloudbridge:app.openExternal', {
        url: 'https://github.com/cloudbridge/desktop',
      }),
    );
    for (const url of [
      'http://github.com/',
      'https://evil.example/',
      'file:///etc/passwd',
      'javascript:alert(1)',
    ]) {
      expect((await app.router.handle('cloudbridge:app.openExternal', { url })).ok, url).toBe(
        false,
      );
    }
    expect(opened).toEqual(['https://github.com/cloudbridge/desktop']);
  });

  it('runs the built-in relay without a keychain, and refuses to store a real token there', async () => {
    const down = () =>
      Promise.reject(
        new ServiceError('keychain_unavailable', 'The system keychain is not available.'),
      );
    const app = make({ kind: 'keychain', get: down, set: down, delete: down });
    await app.start();
    expectOk(await app.router.handle('cloudbridge:relay.useBuiltin', undefined));
    await waitFor(() => app.controller.snapshot().engine.state === 'active');

    expectOk(
      await app.router.handle('cloudbridge:settings.update', {
        relay: {
          id: 'corp',
          name: 'Corp',
          host: 'relay.corp.example',
          port: 443,
          caFile: null,
          pinSha256: null,
          serverName: null,
          insecure: false,
          opener: 'auto',
          builtin: false,
        },
      }),
    );
    const account = app.controller.snapshot().account;
    expect(account.signedIn).toBe(false);
    expect(account.keychainError?.code).toBe('keychain_unavailable');
    const corpToken = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setExpirationTime('2h')
      .sign(new TextEncoder().encode('x'.repeat(32)));
    const saved = await app.router.handle('cloudbridge:token.save', { token: corpToken });
    expect(saved).toMatchObject({ ok: false, error: { code: 'keychain_unavailable' } });
    expect(readFileSync(join(dataDir!, 'settings.json'), 'utf8')).not.toMatch(/eyJ/);
  });
});

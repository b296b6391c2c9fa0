// The engine in its own process: the real desktop services with the engine host child over
// child_process.fork, the reference relay over TLS on 127.0.0.1 and a real tunnel. A SIGKILL
// of the child during a transfer leaves main running, the child is restarted and the tunnel
// serves again; the window is told why; the token is asked for per authentication and never
// shows up in anything the child sends; a child that dies at once backs off; close() leaves
// no process behind.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEngineHost } from '../../src-main/engine-host/engine-host';
import { childEnvironment, createForkTransport } from '../../src-main/engine-host/transport';
import type { AppNotification, Push } from '../../src-main/services/app-controller';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import { createMemorySecretStore } from '../../src-main/services/secret-store';
import type { AppSnapshot, RelayProfile } from '../../src-main/shared/ipc-contract';
import { bundleEntry, childEnv } from '../harness/bundle';
import {
  echoServer,
  expectOk,
  freeLocalPort,
  isAlive,
  listenersOf,
  startTransfer,
  tap,
  tryEcho,
  waitFor,
  type Cleanups,
} from './engine-host-helpers';
import { startTestRelay, type TestRelay } from '../harness/relay';

let buildDir = '';
let childPath = '';
const cleanups: Cleanups = [];

beforeAll(async () => {
  buildDir = mkdtempSync(join(tmpdir(), 'cb-host-build-'));
  childPath = await bundleEntry(
    'src-main/engine-host/host-child.ts',
    join(buildDir, 'host-child.js'),
  );
});
afterAll(() => rmSync(buildDir, { recursive: true, force: true }));
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Hosted {
  app: AppServices;
  relay: TestRelay;
  token: string;
  localPort: number;
  seen: unknown[];
  output: string[];
  pushes: Push[];
  notes: AppNotification[];
}

/** The real services with the engine host child over child_process.fork; nothing configured. */
async function hostedServices(): Promise<{
  app: AppServices;
  dataDir: string;
  seen: unknown[];
  output: string[];
  pushes: Push[];
  notes: AppNotification[];
}> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-host-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const seen: unknown[] = [];
  const output: string[] = [];
  const app = createAppServices({
    dataDir,
    secretStore: createMemorySecretStore(),
    launch: () => Promise.resolve(),
    engineHost: {
      start: (onOutput) =>
        tap(
          createForkTransport(childPath, {
            env: childEnvironment(childEnv()),
            onOutput: (stream, line) => {
              output.push(line);
              onOutput(stream, line);
            },
          }),
          seen,
        ),
    },
  });
  cleanups.push(() => app.close());
  const pushes: Push[] = [];
  const notes: AppNotification[] = [];
  app.onEvent((p) => pushes.push(p));
  app.onNotification((n) => notes.push(n));
  await app.start();
  app.setWindowVisible(true);
  return { app, dataDir, seen, output, pushes, notes };
}

async function hostedApp(): Promise<Hosted> {
  // Each reconnect and restart authenticates once: more than the seed's 5 a minute here.
  const relay = await startTestRelay({
    limits: { authAttemptsPerMinute: 100, tunnelCreationsPerHour: 100 },
  });
  cleanups.push(() => relay.close());
  const target = await echoServer(cleanups);
  const { app, dataDir, seen, output, pushes, notes } = await hostedServices();

  const caFile = join(dataDir, 'relay-ca.pem');
  writeFileSync(caFile, relay.caPem);
  const profile: RelayProfile = {
    id: 'test-relay',
    name: 'Test relay',
    host: relay.host,
    port: relay.port,
    caFile,
    pinSha256: null,
    serverName: 'localhost',
    insecure: false,
    opener: 'auto',
    builtin: false,
  };
  expectOk(await app.router.handle('cloudbridge:settings.update', { relay: profile }));
  expectOk(
    await app.router.handle('cloudbridge:tunnel.save', {
      name: 'echo',
      kind: 'other',
      localHost: '127.0.0.1',
      localPort: await freeLocalPort(),
      remoteHost: '127.0.0.1',
      remotePort: target.port,
      enabled: true,
    }),
  );
  const token = await relay.token({ sub: 'host-test' });
  expectOk(await app.router.handle('cloudbridge:token.save', { token }));
  const active = await waitFor(() => {
    const s = app.controller.snapshot();
    return s.engine.state === 'active' && s.engine.tunnels[0]?.status === 'listening' ? s : null;
  });
  return {
    app,
    relay,
    token,
    localPort: active.engine.tunnels[0]!.localPort,
    seen,
    output,
    pushes,
    notes,
  };
}

describe('engine host child', () => {
  it('survives a SIGKILL of the child during a transfer: restarted, the tunnel serves within 3 s, the window says why', async () => {
    const h = await hostedApp();
    const firstPid = h.app.engineHost!.status().pid!;
    expect(firstPid).not.toBe(process.pid);
    expect(isAlive(firstPid)).toBe(true);

    const transfer = startTransfer(h.localPort, cleanups);
    await waitFor(() => transfer.received() >= 4 * 1024 * 1024);
    const killedAt = Date.now();
    process.kill(firstPid, 'SIGKILL');

    // The stream that was in flight ends with the child; main keeps running.
    await transfer.closed;
    let echoedAt = 0;
    for (let i = 0; echoedAt === 0 && Date.now() - killedAt < 10_000; i += 1) {
      if ((await tryEcho(h.localPort, `after restart ${i}`, 500)) !== null) echoedAt = Date.now();
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(echoedAt).toBeGreaterThan(0);
    expect(echoedAt - killedAt).toBeLessThan(3_000);

    const status = h.app.engineHost!.status();
    expect(status.restarts).toBe(1);
    expect(status.pid).not.toBe(firstPid);
    expect(isAlive(firstPid)).toBe(false);
    expect(status.lastRestart).toMatchObject({ signal: 'SIGKILL', reason: 'killed by SIGKILL' });

    // What the window gets: the notice in the snapshot, pushed; the tray's notification.
    const snapshot = expectOk<AppSnapshot>(
      await h.app.router.handle('cloudbridge:app.snapshot', undefined),
    );
    const notice = snapshot.notices.find((n) => n.kind === 'engine_restarted');
    expect(notice?.params).toEqual({ cause: 'signal', signal: 'SIGKILL' });
    expect(
      h.pushes.some(
        (p) =>
          p.event === 'cloudbridge:app.changed' &&
          p.payload.notices.some((n) => n.kind === 'engine_restarted'),
      ),
    ).toBe(true);
    expect(h.notes.map((n) => n.kind)).toContain('engine_restarted');
    expect(snapshot.engine.state).toBe('active');
  });

  it('asks main for the token at every authentication and never sends it back', async () => {
    process.env.CLOUDBRIDGE_TOKEN_PROBE = 'must-not-reach-the-child';
    cleanups.push(() => {
      delete process.env.CLOUDBRIDGE_TOKEN_PROBE;
    });
    const h = await hostedApp();
    const authOk = () => h.relay.logs.filter((l) => l.event === 'auth_ok').length;
    expect(h.app.engineHost!.status().tokenRequests).toBe(1);
    expect(authOk()).toBe(1);

    // A reconnect: one more authentication, one more request.
    expectOk(await h.app.router.handle('cloudbridge:session.disconnect', undefined));
    expectOk(await h.app.router.handle('cloudbridge:session.connect', undefined));
    await waitFor(() => h.app.controller.snapshot().engine.state === 'active');
    expect(authOk()).toBe(2);
    expect(h.app.engineHost!.status().tokenRequests).toBe(2);

    // A restarted child has no token: it asks again.
    process.kill(h.app.engineHost!.status().pid!, 'SIGKILL');
    await waitFor(() => h.app.engineHost!.status().restarts === 1);
    await waitFor(() => h.app.controller.snapshot().engine.state === 'active');
    expect(h.app.engineHost!.status().tokenRequests).toBe(3);
    expect(authOk()).toBe(3);

    // Nothing the child sent or printed carries the token; its environment was filtered.
    expect(h.seen.some((m) => (m as { type?: string }).type === 'snapshot')).toBe(true);
    expect(h.seen.some((m) => (m as { type?: string }).type === 'log')).toBe(true);
    for (const message of h.seen) expect(JSON.stringify(message)).not.toContain(h.token);
    for (const line of h.output) expect(line).not.toContain(h.token);
    const environ = readFileSync(`/proc/${h.app.engineHost!.status().pid!}/environ`, 'utf8');
    expect(environ).toContain('NODE_PATH=');
    expect(environ).not.toContain('CLOUDBRIDGE_TOKEN_PROBE');
  });

  it('backs off a child that exits at once, and says how it exited', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-host-crash-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const crashing = join(dir, 'crash.js');
    writeFileSync(crashing, 'process.exit(3);\n');
    const starts: number[] = [];
    const host = createEngineHost({
      start: () => {
        starts.push(Date.now());
        return createForkTransport(crashing, { env: childEnvironment(process.env) });
      },
      restartPolicy: { initialDelayMs: 100, maxDelayMs: 400, stableAfterMs: 60_000 },
    });
    cleanups.push(() => host.close());
    host.start();
    await waitFor(() => starts.length >= 5, 15_000);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    // 100, 200, 400, 400 ms waits (plus the time a child takes to start and exit).
    expect(gaps[0]).toBeGreaterThanOrEqual(100);
    expect(gaps[1]).toBeGreaterThanOrEqual(200);
    expect(gaps[2]).toBeGreaterThanOrEqual(400);
    expect(gaps[3]).toBeGreaterThanOrEqual(400);
    expect(host.status().lastRestart).toMatchObject({ code: 3, reason: 'exited with code 3' });
    expect(host.status().lastRestart!.delayMs).toBe(400);
  });

  it('runs the built-in relay in the child and brings it back on the same port after a crash', async () => {
    const h = await hostedServices();
    expectOk(await h.app.router.handle('cloudbridge:relay.useBuiltin', undefined));
    const active = await waitFor(() => {
      const s = h.app.controller.snapshot();
      return s.engine.state === 'active' && s.engine.tunnels[0]?.status === 'listening' ? s : null;
    });
    const relayPort = active.settings.relay!.port;
    const localPort = active.engine.tunnels[0]!.localPort;
    expect(await tryEcho(localPort, 'through the built-in relay')).toBe(
      'through the built-in relay',
    );
    const firstPid = h.app.engineHost!.status().pid!;
    // The relay listens in the child, not in main.
    expect(listenersOf(relayPort, [process.pid, firstPid])).toEqual([firstPid]);

    process.kill(firstPid, 'SIGKILL');
    await waitFor(() => h.app.engineHost!.status().restarts === 1);
    let echoed: string | null = null;
    const deadline = Date.now() + 10_000;
    while (echoed === null && Date.now() < deadline) {
      echoed = await tryEcho(localPort, 'after the crash', 500);
      if (echoed === null) await new Promise((r) => setTimeout(r, 50));
    }
    expect(echoed).toBe('after the crash');
    const secondPid = h.app.engineHost!.status().pid!;
    expect(listenersOf(relayPort, [process.pid, secondPid])).toEqual([secondPid]);
    expect(h.app.controller.snapshot().settings.relay!.port).toBe(relayPort);
  });

  it('leaves no child behind on close, even one that ignores the shutdown', async () => {
    const h = await hostedApp();
    const pid = h.app.engineHost!.status().pid!;
    expect(isAlive(pid)).toBe(true);
    await h.app.close();
    expect(isAlive(pid)).toBe(false);
    expect(h.app.engineHost!.status().pid).toBeNull();

    const dir = mkdtempSync(join(tmpdir(), 'cb-host-stubborn-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const stubborn = join(dir, 'stubborn.js');
    // Says ready, then ignores every command and keeps running.
    writeFileSync(
      stubborn,
      "process.on('disconnect', () => undefined);\nprocess.send({ type: 'ready', pid: process.pid });\nsetInterval(() => undefined, 1000);\n",
    );
    const host = createEngineHost({
      start: () => createForkTransport(stubborn, { env: childEnvironment(process.env) }),
      shutdownTimeoutMs: 300,
    });
    host.start();
    await waitFor(() => host.status().ready);
    const stubbornPid = host.status().pid!;
    await host.close();
    expect(isAlive(stubbornPid)).toBe(false);
  });
});

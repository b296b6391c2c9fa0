// Controller behaviour over a real relay on 127.0.0.1: counters pushed at most every
// 250 ms while visible and not at all while hidden; "restored" notified only after a loss
// longer than the threshold; Quit (close) releases every tunnel port; totals persist.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay, type RelayServer } from '../../src-main/relay/relay-server';
import { mintDevToken } from '../../src-main/relay/tokens';
import { startDemoTarget, type DemoTarget } from '../../src-main/services/builtin-relay';
import type { AppNotification, BuiltinRelay, Push } from '../../src-main/services/app-controller';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import { createMemorySecretStore } from '../../src-main/services/secret-store';

const SECRET = 'controller-test-secret-controller-test-secret';
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function waitFor<T>(
  read: () => T | null | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = read();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A relay the test can stop and start again on the same port, handed to the app as "built-in". */
async function controllableRelay(dataDir: string) {
  const target: DemoTarget = await startDemoTarget();
  cleanups.push(() => target.close());
  let relay: RelayServer = await startRelay({
    host: '127.0.0.1',
    port: 0,
    jwt: { hs256Secret: SECRET },
    allow: ['127.0.0.0/8'],
    dataDir: join(dataDir, 'relay'),
  });
  const port = relay.port;
  cleanups.push(() => relay.close());
  const caFile = join(dataDir, 'relay', 'relay-cert.pem');
  const starter = async (): Promise<BuiltinRelay> => ({
    profile: {
      id: 'test-relay',
      name: 'Test relay',
      host: '127.0.0.1',
      port,
      caFile,
      pinSha256: null,
      serverName: null,
      insecure: false,
      opener: 'auto',
      builtin: true,
    },
    token: await mintDevToken({ secret: SECRET, sub: 'tester', ttlSec: 3600 }),
    demoTarget: { host: '127.0.0.1', port: target.port },
    close: () => Promise.resolve(),
  });
  return {
    starter,
    stop: () => relay.close(),
    restart: async (secret = SECRET) => {
      relay = await startRelay({
        host: '127.0.0.1',
        port,
        jwt: { hs256Secret: secret },
        allow: ['127.0.0.0/8'],
        dataDir: join(dataDir, 'relay'),
      });
    },
  };
}

async function setUp(restoredNotifyAfterMs: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-ctl-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const relay = await controllableRelay(dataDir);
  const app: AppServices = createAppServices({
    dataDir,
    secretStore: createMemorySecretStore(),
    startBuiltinRelay: relay.starter,
    restoredNotifyAfterMs,
    launch: () => Promise.resolve(),
  });
  cleanups.push(() => app.close());
  const pushes: { at: number; push: Push }[] = [];
  const notes: AppNotification[] = [];
  app.onEvent((push) => pushes.push({ at: Date.now(), push }));
  app.onNotification((n) => notes.push(n));
  await app.start();
  await app.router.handle('cloudbridge:relay.useBuiltin', undefined);
  const snap = await waitFor(() => {
    const s = app.controller.snapshot();
    return s.engine.state === 'active' && s.engine.tunnels[0]?.status === 'listening' ? s : null;
  });
  return { app, relay, pushes, notes, dataDir, localPort: snap.engine.tunnels[0]!.localPort };
}

/** Sends `rounds` echo messages over one connection, spaced by `gapMs`. */
async function trickle(port: number, rounds: number, gapMs: number): Promise<number> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((r, j) => socket.once('connect', r).once('error', j));
  let received = 0;
  socket.on('data', (d: Buffer) => (received += d.length));
  for (let i = 0; i < rounds; i += 1) {
    socket.write(Buffer.alloc(1_000, 1));
    await new Promise((r) => setTimeout(r, gapMs));
  }
  await waitFor(() => received >= rounds * 1_000);
  socket.end();
  return received;
}

describe('app controller over a real relay', () => {
  it('pushes counters at most every 250 ms while visible, nothing while hidden, the full snapshot on show', async () => {
    const { app, pushes, localPort } = await setUp(10_000);
    await trickle(localPort, 5, 50); // hidden: traffic, but no pushes
    expect(pushes).toHaveLength(0);

    app.setWindowVisible(true);
    // The full snapshot first, then what was logged while hidden (the catch-up batch).
    expect(pushes.map((p) => p.push.event)).toEqual([
      'cloudbridge:app.changed',
      'cloudbridge:logs.appended',
    ]);
    await trickle(localPort, 30, 40);
    const bytesOutPushed = () => {
      const last = pushes.filter((p) => p.push.event === 'cloudbridge:stats.changed').at(-1)?.push;
      return last?.event === 'cloudbridge:stats.changed'
        ? (last.payload.tunnels[0]?.bytesOut ?? 0)
        : 0;
    };
    // The trailing throttles (engine and controller) deliver the final count within ~0.5 s.
    await waitFor(() => bytesOutPushed() >= 35_000, 3_000);
    const stats = pushes.filter((p) => p.push.event === 'cloudbridge:stats.changed');
    expect(stats.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < stats.length; i += 1)
      expect(stats[i]!.at - stats[i - 1]!.at).toBeGreaterThanOrEqual(240);

    // Log records arrive in batches, not one push per record: 20 logged at once come as one.
    const probes = (push: Push) =>
      push.event === 'cloudbridge:logs.appended'
        ? push.payload.records.filter((r) => r.event === 'batch_probe').length
        : 0;
    const sent = pushes.length;
    for (let i = 0; i < 20; i += 1) app.logger.log('info', 'batch_probe', { i });
    await waitFor(() => pushes.slice(sent).some((p) => probes(p.push) > 0), 3_000);
    const batches = pushes.slice(sent).filter((p) => probes(p.push) > 0);
    expect(batches.map((p) => probes(p.push))).toEqual([20]);

    app.setWindowVisible(false);
    const before = pushes.length;
    await trickle(localPort, 5, 50);
    await new Promise((r) => setTimeout(r, 300));
    expect(pushes).toHaveLength(before);
  });

  it('notifies "restored" after a loss longer than the threshold, and a close releases the tunnel port and saves totals', async () => {
    const { app, relay, notes, localPort, dataDir } = await setUp(0);
    await trickle(localPort, 3, 20);
    await relay.stop();
    await waitFor(() => app.controller.snapshot().engine.state === 'reconnecting');
    await relay.restart();
    app.controller.reconnectNow('test');
    await waitFor(() => app.controller.snapshot().engine.state === 'active');
    await waitFor(() => notes.find((n) => n.kind === 'connection_restored'));
    expect(notes.map((n) => n.kind)).not.toContain('connection_lost');

    await app.close();
    // The port is free again: nothing of the app is left listening.
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(localPort, '127.0.0.1', () => probe.close(() => resolve()));
    });
    const totals = JSON.parse(readFileSync(join(dataDir, 'totals.json'), 'utf8')) as {
      tunnels: Record<string, { allTimeOut: number }>;
    };
    expect(Object.values(totals.tunnels)[0]?.allTimeOut).toBeGreaterThanOrEqual(3_000);
  });

  it('does not notify for a brief drop under the threshold', async () => {
    const { app, relay, notes } = await setUp(60_000);
    await relay.stop();
    await waitFor(() => app.controller.snapshot().engine.state === 'reconnecting');
    await relay.restart();
    app.controller.reconnectNow('test');
    await waitFor(() => app.controller.snapshot().engine.state === 'active');
    await new Promise((r) => setTimeout(r, 100));
    expect(notes.filter((n) => n.kind !== 'token_expiring')).toEqual([]);
  });

  it('warns once that the token expires within 24 hours, as a notice and a notification', async () => {
    const { app, notes } = await setUp(10_000);
    expect(notes.filter((n) => n.kind === 'token_expiring')).toHaveLength(1);
    const snapshot = app.controller.snapshot();
    expect(snapshot.account.expiresSoon).toBe(true);
    expect(snapshot.notices.map((n) => n.kind)).toContain('token_expiring');

    // Dismissed through the IPC router, it is gone; a kind outside the contract is refused.
    expect(
      await app.router.handle('cloudbridge:notice.dismiss', { kind: 'token_expiring' }),
    ).toEqual({
      ok: true,
      value: undefined,
    });
    expect(app.controller.snapshot().notices.map((n) => n.kind)).not.toContain('token_expiring');
    expect((await app.router.handle('cloudbridge:notice.dismiss', { kind: 'nonsense' })).ok).toBe(
      false,
    );
  });

  it('notifies "lost" when the relay stops accepting our token (no retry can fix it)', async () => {
    const { app, relay, notes } = await setUp(10_000);
    await relay.stop();
    await waitFor(() => app.controller.snapshot().engine.state === 'reconnecting');
    await relay.restart('another-secret-another-secret-another-secret');
    app.controller.reconnectNow('test');
    await waitFor(() => app.controller.snapshot().engine.state === 'disconnected');
    const lost = await waitFor(() => notes.find((n) => n.kind === 'connection_lost'));
    expect(lost.body.length).toBeGreaterThan(0);
    expect(app.controller.snapshot().engine.lastError?.code).toBe('invalid_token');
    // Waking the machine does not retry a refused token: that needs a new token.
    app.controller.reconnectNow('resume');
    await new Promise((r) => setTimeout(r, 300));
    expect(app.controller.snapshot().engine.state).toBe('disconnected');
    expect(
      app.logger
        .query({ limit: 10, text: 'reconnect_now' })
        .filter((r) => r.details.reason === 'resume'),
    ).toEqual([]);
  });
});

// What the window sees, through the real services and the renderer's own store fed over the
// contract: the records logged while it was hidden arrive on show (bounded, with a count of
// those left out, none twice), and the window keeps following the app after the relay is set
// to none and another chosen, though the new engine's own seq starts again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogBatch, Result } from '../../src-main/shared/ipc-contract';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import type { Push } from '../../src-main/services/app-controller';
import { createMemorySecretStore } from '../../src-main/services/secret-store';
import { connectStore, createAppStore, type AppStore } from '../../src-renderer/store/app-store';
import { startTestRelay, type TestRelay } from '../harness/relay';
import { freePort } from '../harness/traffic';
import { bridgeOver, profileFor, waitFor } from './services-helpers';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp(options: { catchUpLogRecords?: number } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-window-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const relay: TestRelay = await startTestRelay();
  cleanups.push(() => relay.close());
  const app: AppServices = createAppServices({
    dataDir,
    secretStore: createMemorySecretStore(),
    startBuiltinRelay: null,
    launch: () => Promise.resolve(),
    ...options,
  });
  cleanups.push(() => app.close());
  const pushes: Push[] = [];
  app.onEvent((push) => pushes.push(push));
  await app.start();
  const store: AppStore = createAppStore();
  cleanups.push(connectStore(store, bridgeOver(app)));
  await waitFor(() => store.getState().load === 'ready' && store.getState().logs.length > 0);
  return { app, relay, dataDir, pushes, store };
}

function expectOk(result: Result<unknown>): void {
  if (!result.ok) throw new Error(`request failed: ${JSON.stringify(result)}`);
}

const events = (store: AppStore) => store.getState().logs.map((r) => r.event);
const catchUps = (pushes: readonly Push[]): LogBatch[] =>
  pushes.flatMap((p) =>
    p.event === 'cloudbridge:logs.appended' && p.payload.catchUp ? [p.payload] : [],
  );

describe('the window over the real services', () => {
  it('shows on show what was logged while it was hidden, each record once', async () => {
    const { app, relay, dataDir, store } = await setUp();
    app.setWindowVisible(true);
    app.setWindowVisible(false);
    // Hidden: the app's own records and the engine's, as a tray app lives most of the time.
    for (let i = 0; i < 3; i += 1) app.logger.log('info', 'while_hidden', { i });
    expectOk(
      await app.router.handle('cloudbridge:settings.update', {
        relay: profileFor(relay, dataDir),
      }),
    );
    expectOk(await app.router.handle('cloudbridge:token.save', { token: await relay.token() }));
    await waitFor(() => app.controller.snapshot().engine.state === 'active');
    expect(events(store)).not.toContain('while_hidden');

    app.setWindowVisible(true);
    await waitFor(() => events(store).filter((e) => e === 'while_hidden').length === 3, 5_000);
    expect(events(store)).toContain('token_saved');
    expect(events(store)).toContain('connecting');
    // The first query (at load) and the catch-up overlap; the store keeps one of each.
    expect(events(store).filter((e) => e === 'app_started')).toHaveLength(1);
    expect(store.getState().logsOmitted).toBe(0);
  });

  it('catches up the newest records only, up to its bound, and says how many were left out', async () => {
    const { app, pushes, store } = await setUp({ catchUpLogRecords: 50 });
    for (let i = 0; i < 200; i += 1) app.logger.log('info', 'flood', { i });
    app.setWindowVisible(true);
    const [batch] = catchUps(pushes);
    expect(batch?.records).toHaveLength(50);
    expect(batch?.records.map((r) => r.details.i)).toEqual(
      Array.from({ length: 50 }, (_, k) => 150 + k),
    );
    // Everything logged since start while hidden counts: the 200, and what start logged.
    expect(batch?.omitted).toBeGreaterThanOrEqual(150);
    await waitFor(() => store.getState().logsOmitted === batch?.omitted, 5_000);
    expect(events(store).filter((e) => e === 'flood')).toHaveLength(50);
  });

  it('follows the app after the relay is set to none and another chosen', async () => {
    const { app, relay, dataDir, pushes, store } = await setUp();
    app.setWindowVisible(true);
    expectOk(
      await app.router.handle('cloudbridge:settings.update', {
        relay: profileFor(relay, dataDir, 'first'),
      }),
    );
    expectOk(await app.router.handle('cloudbridge:token.save', { token: await relay.token() }));
    const stateOf = () => store.getState().snapshot?.engine.state;
    await waitFor(() => stateOf() === 'active');
    // The first engine goes through many snapshots (its seq climbs well past a new engine's).
    const saved = await app.router.handle('cloudbridge:tunnel.save', {
      name: 'Toggle',
      kind: 'other',
      localHost: '127.0.0.1',
      localPort: await freePort(),
      remoteHost: '127.0.0.1',
      remotePort: 9,
      enabled: false,
    });
    if (!saved.ok) throw new Error('tunnel not saved');
    const id = (saved.value as { id: string }).id;
    const toggle = async (enabled: boolean, status: string) => {
      expectOk(await app.router.handle('cloudbridge:tunnel.setEnabled', { id, enabled }));
      await waitFor(() => app.controller.snapshot().engine.tunnels[0]?.status === status);
    };
    for (let i = 0; i < 6; i += 1) {
      await toggle(true, 'listening');
      await toggle(false, 'off');
    }
    const firstEngineSeq = app.controller.snapshot().engine.seq;

    expectOk(await app.router.handle('cloudbridge:settings.update', { relay: null }));
    await waitFor(
      () => stateOf() === 'disconnected' && store.getState().snapshot?.settings.relay === null,
    );
    const second = profileFor(relay, dataDir, 'second');
    expectOk(await app.router.handle('cloudbridge:settings.update', { relay: second }));
    expectOk(await app.router.handle('cloudbridge:token.save', { token: await relay.token() }));
    await waitFor(() => app.controller.snapshot().engine.state === 'active');
    // The new engine counts from the start again...
    expect(app.controller.snapshot().engine.seq).toBeLessThan(firstEngineSeq);
    // ...and the window still shows what the app shows.
    await waitFor(() => stateOf() === 'active', 5_000);
    expect(store.getState().snapshot?.settings.relay?.id).toBe('second');
    expect(store.getState().snapshot?.engine.session.relay).toBe(`127.0.0.1:${relay.port}`);

    const seqs = pushes.flatMap((p) =>
      p.event === 'cloudbridge:app.changed' || p.event === 'cloudbridge:stats.changed'
        ? [p.payload.seq]
        : [],
    );
    for (let i = 1; i < seqs.length; i += 1) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
  });
});

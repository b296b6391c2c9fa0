// The renderer tests' fake bridge, held to main: the replies fake-based tests script
// (MAIN_REPLIES) are main's replies to the requests named beside them, the fake's snapshots,
// stats and log batches have the shape of main's pushes (every key, every type), its first run
// is main's, and a request nobody scripted fails instead of passing on an invented answer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mintDevToken } from '../../src-main/relay/tokens';
import type { Push } from '../../src-main/services/app-controller';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import { createMemorySecretStore } from '../../src-main/services/secret-store';
import type {
  AppSnapshot,
  RelayProfile,
  Result,
  TunnelDraft,
} from '../../src-main/shared/ipc-contract';
import {
  activeSnapshot,
  createFakeBridge,
  firstRunSnapshot,
  MAIN_REPLIES,
  reconnectingSnapshot,
  SAMPLE_INFO,
  sampleLogs,
  statsUpdate,
} from '../harness/fake-bridge';
import { startTestRelay, type TestRelay } from '../harness/relay';
import { echoRoundTrip, freePort, Pattern, startEchoServer } from '../harness/traffic';
import { profileFor, waitFor } from './services-helpers';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startMain(): Promise<{ app: AppServices; pushes: Push[]; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-fake-vs-main-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const app = createAppServices({
    dataDir,
    secretStore: createMemorySecretStore(),
    startBuiltinRelay: null,
    launch: () => Promise.resolve(),
  });
  cleanups.push(() => app.close());
  const pushes: Push[] = [];
  app.onEvent((push) => pushes.push(push));
  await app.start();
  app.setWindowVisible(true);
  return { app, pushes, dataDir };
}

/** A reply as a test sees it, less the moment it was made. */
function timeless(result: Result<unknown>) {
  if (result.ok) return result;
  const { at: _at, ...error } = result.error;
  return { ...result, error };
}

/**
 * Where `fake` and `main` differ in shape: a key one has and the other lacks, or a different
 * type. Null matches anything (a nullable field); arrays compare their first items; `totals`
 * is keyed by tunnel id, so its first entry stands for all; log details are free-form.
 */
function shapeDifferences(fake: unknown, main: unknown, path = '$'): string[] {
  if (fake === null || main === null) return [];
  if (Array.isArray(fake) || Array.isArray(main)) {
    if (!Array.isArray(fake) || !Array.isArray(main)) return [`${path}: array on one side only`];
    if (fake.length === 0 || main.length === 0) return [];
    return shapeDifferences(fake[0], main[0], `${path}[0]`);
  }
  if (typeof fake !== typeof main) return [`${path}: ${typeof fake} vs main's ${typeof main}`];
  if (typeof fake !== 'object') return [];
  const f = fake as Record<string, unknown>;
  const m = main as Record<string, unknown>;
  // A log record's details are the event's own: any keys.
  if (path.endsWith('.details')) return [];
  if (path.endsWith('.totals')) {
    const [first] = Object.values(f);
    const [mainFirst] = Object.values(m);
    return first === undefined || mainFirst === undefined
      ? []
      : shapeDifferences(first, mainFirst, `${path}[id]`);
  }
  const keys = new Set([...Object.keys(f), ...Object.keys(m)]);
  return [...keys].flatMap((key) =>
    !(key in f)
      ? [`${path}.${key}: only main has it`]
      : !(key in m)
        ? [`${path}.${key}: main has no such field`]
        : shapeDifferences(f[key], m[key], `${path}.${key}`),
  );
}

const relayProfile: RelayProfile = {
  id: 'default',
  name: 'relay.example.invalid',
  host: 'relay.example.invalid',
  port: 443,
  caFile: null,
  pinSha256: null,
  serverName: null,
  insecure: false,
  opener: 'auto',
  builtin: false,
};
const draft: TunnelDraft = {
  name: 'SSH',
  kind: 'ssh',
  localHost: '127.0.0.1',
  localPort: 12_022,
  remoteHost: 'box.internal',
  remotePort: 22,
  enabled: false,
};

describe('the fake bridge answers as main does', () => {
  it("scripts main's own replies: a retry done, a refused relay, a refused remote host", async () => {
    const { app } = await startMain();
    const handle = (channel: string, payload?: unknown) => app.router.handle(channel, payload);
    expect((await handle('cloudbridge:settings.update', { relay: relayProfile })).ok).toBe(true);
    const token = await mintDevToken({ secret: 'x'.repeat(32), sub: 'alice', ttlSec: 600 });
    expect((await handle('cloudbridge:token.save', { token })).ok).toBe(true);
    expect(await handle('cloudbridge:session.retryNow')).toEqual(MAIN_REPLIES.done);
    expect(
      timeless(
        await handle('cloudbridge:settings.update', {
          relay: { ...relayProfile, host: 'no host', port: 0 },
        }),
      ),
    ).toEqual(timeless(MAIN_REPLIES.invalidRelay));
    expect(
      timeless(await handle('cloudbridge:tunnel.save', { ...draft, remoteHost: 'a b' })),
    ).toEqual(timeless(MAIN_REPLIES.invalidRemoteHost));
  });

  it("starts from main's first run: the same settings, notices by kind, and shape", async () => {
    const { app } = await startMain();
    const main = app.controller.snapshot();
    const fake = firstRunSnapshot(Date.now());
    expect(fake.settings).toEqual(main.settings);
    expect(fake.account).toEqual(main.account);
    expect(fake.notices.map((n) => n.kind)).toEqual(main.notices.map((n) => n.kind));
    expect(shapeDifferences(fake, main)).toEqual([]);
    const info = await app.router.handle('cloudbridge:app.info', undefined);
    expect(info.ok && shapeDifferences(SAMPLE_INFO, info.value)).toEqual([]);
  });

  it("has main's shapes for an active session, its stats and log batches, and a lost one", async () => {
    const relay: TestRelay = await startTestRelay();
    cleanups.push(() => relay.close());
    const echo = await startEchoServer();
    cleanups.push(() => echo.close());
    const { app, pushes, dataDir } = await startMain();
    const ok = async (channel: string, payload?: unknown) => {
      const result = await app.router.handle(channel, payload);
      if (!result.ok) throw new Error(`${channel}: ${JSON.stringify(result)}`);
      return result.value;
    };
    await ok('cloudbridge:settings.update', { relay: profileFor(relay, dataDir, 'default') });
    await ok('cloudbridge:token.save', { token: await relay.token({ tenant: 'acme' }) });
    const localPort = await freePort();
    await ok('cloudbridge:tunnel.save', {
      ...draft,
      localPort,
      remoteHost: '127.0.0.1',
      remotePort: echo.port,
      enabled: true,
    });
    const listening = (s: AppSnapshot) =>
      s.engine.state === 'active' && s.engine.tunnels[0]?.status === 'listening';
    await waitFor(() => listening(app.controller.snapshot()));
    await echoRoundTrip(localPort, new Pattern(64 * 1024));
    await waitFor(() => pushes.some((p) => p.event === 'cloudbridge:stats.changed'));
    app.logger.log('warn', 'probe', { n: 1 }, app.controller.snapshot().engine.tunnels[0]?.id);
    await waitFor(() =>
      pushes.some(
        (p) =>
          p.event === 'cloudbridge:logs.appended' &&
          p.payload.records.some((r) => r.event === 'probe'),
      ),
    );
    app.setWindowVisible(false);
    app.logger.log('info', 'while_hidden');
    app.setWindowVisible(true);

    const now = Date.now();
    const active = app.controller.snapshot();
    expect(shapeDifferences(activeSnapshot(now), active)).toEqual([]);
    const stats = pushes.find((p) => p.event === 'cloudbridge:stats.changed')?.payload;
    expect(shapeDifferences(statsUpdate(1, [{ id: 't', bytesIn: 1 }]), stats)).toEqual([]);
    const batches = pushes.flatMap((p) => (p.event === 'cloudbridge:logs.appended' ? [p] : []));
    const live = batches.find((b) => !b.payload.catchUp)?.payload;
    const caughtUp = batches.filter((b) => b.payload.catchUp).at(-1)?.payload;
    const fake = createFakeBridge();
    const fakeBatches: unknown[] = [];
    fake.api.on('cloudbridge:logs.appended', (batch) => fakeBatches.push(batch));
    fake.pushLogs(sampleLogs(now));
    fake.catchUpLogs(sampleLogs(now), 3);
    expect(shapeDifferences(fakeBatches[0], live)).toEqual([]);
    expect(shapeDifferences(fakeBatches[1], caughtUp)).toEqual([]);
    expect(caughtUp?.records.map((r) => r.event)).toEqual(['while_hidden']);
    // One app-wide seq across both kinds of push, never falling, as the fake's update() keeps
    // it; it rises with each change (on show main sends again the snapshot it has, seq and all).
    const seqs = pushes.flatMap((p) =>
      p.event === 'cloudbridge:app.changed' || p.event === 'cloudbridge:stats.changed'
        ? [p.payload.seq]
        : [],
    );
    expect(seqs.length).toBeGreaterThan(2);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBeGreaterThanOrEqual(seqs.length - 1);

    await relay.close();
    await waitFor(() => app.controller.snapshot().engine.state === 'reconnecting');
    const lost = app.controller.snapshot();
    expect(lost.engine.session.reconnectAttempt).toBeGreaterThan(0);
    expect(shapeDifferences(reconnectingSnapshot(now), lost)).toEqual([]);
  });

  it('fails a request nobody scripted, and answers it once scripted', async () => {
    const fake = createFakeBridge();
    const unscripted = await fake.api.sessionConnect();
    expect(unscripted.ok).toBe(false);
    expect(!unscripted.ok && unscripted.error.code).toBe('internal_error');
    fake.respond('cloudbridge:session.connect', () => MAIN_REPLIES.done);
    expect(await fake.api.sessionConnect()).toEqual(MAIN_REPLIES.done);
    expect(fake.callsTo('cloudbridge:session.connect')).toHaveLength(2);
  });
});

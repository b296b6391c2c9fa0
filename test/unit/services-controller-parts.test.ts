// The controller's parts on an injected clock, no sockets: the window feed (nothing to a
// hidden window, the catch-up on show and its bound, one batch per interval, one stats push
// per 250 ms), the one app-wide seq, the notification policy, and token failures keeping
// their code for the engine.
import { describe, expect, it } from 'vitest';
import type { AppSnapshot, LogBatch, StatsUpdate } from '../../src-main/shared/ipc-contract';
import type { EngineSnapshot, LogRecord } from '../../src-main/shared/model';
import { EngineError } from '../../src-main/engine/errors';
import { emptyEngineSnapshot, idleTunnelSnapshot } from '../../src-main/shared/tunnel-snapshot';
import { needsUser, NEEDS_USER_CODES } from '../../src-main/shared/error-codes';
import { createAppState } from '../../src-main/services/app-state';
import type { Push } from '../../src-main/services/controller-types';
import { tokenFailureForEngine } from '../../src-main/services/engine-session';
import { ServiceError } from '../../src-main/services/errors';
import {
  INITIAL_POLICY_MEMORY,
  decideNotifications,
  userDisconnected,
  type PolicyContext,
} from '../../src-main/services/notification-policy';
import { DEFAULT_SETTINGS, type SettingsStore } from '../../src-main/services/settings-store';
import { SIGNED_OUT } from '../../src-main/services/token-service';
import {
  DEFAULT_CATCH_UP_RECORDS,
  LOG_BATCH_MS,
  createWindowFeed,
} from '../../src-main/services/window-feed';
import { FakeClock } from './engine-fake-clock';

const record = (event: string, i = 0): LogRecord => ({
  timestamp: new Date(1_700_000_000_000 + i).toISOString(),
  level: 'info',
  event,
  tunnel_id: null,
  details: { i },
});

function settingsStore(): SettingsStore {
  return {
    get: () => DEFAULT_SETTINGS,
    totals: () => ({}),
  } as unknown as SettingsStore;
}

function engineSnap(over: Partial<EngineSnapshot> = {}): EngineSnapshot {
  return { ...emptyEngineSnapshot(DEFAULT_SETTINGS, 1, new Date(0).toISOString()), ...over };
}

function feedOn(clock: FakeClock, catchUpRecords?: number) {
  const state = createAppState({
    settingsStore: settingsStore(),
    account: () => SIGNED_OUT,
    logDirectory: '/logs',
    clock,
  });
  const feed = createWindowFeed({
    clock,
    state,
    ...(catchUpRecords !== undefined ? { catchUpRecords } : {}),
  });
  const pushes: Push[] = [];
  feed.onPush((p) => pushes.push(p));
  state.onChange((s) => feed.stateChanged(s));
  return { state, feed, pushes };
}

const batches = (pushes: readonly Push[]): LogBatch[] =>
  pushes.flatMap((p) => (p.event === 'cloudbridge:logs.appended' ? [p.payload] : []));

describe('window feed', () => {
  it('pushes nothing while hidden, then the snapshot and what was logged meanwhile', () => {
    const clock = new FakeClock();
    const { state, feed, pushes } = feedOn(clock);
    state.changed();
    for (let i = 0; i < 3; i += 1) feed.logged(record('hidden', i));
    feed.countersChanged();
    clock.advance(1_000);
    expect(pushes).toEqual([]);

    feed.setVisible(true);
    expect(pushes.map((p) => p.event)).toEqual([
      'cloudbridge:app.changed',
      'cloudbridge:logs.appended',
    ]);
    expect(batches(pushes)[0]).toEqual({
      records: [0, 1, 2].map((i) => record('hidden', i)),
      omitted: 0,
      catchUp: true,
    });
  });

  it('keeps the newest records up to its bound and counts the rest, by default 500', () => {
    expect(DEFAULT_CATCH_UP_RECORDS).toBe(500);
    const clock = new FakeClock();
    const { feed, pushes } = feedOn(clock, 3);
    for (let i = 0; i < 10; i += 1) feed.logged(record('flood', i));
    feed.setVisible(true);
    const [caughtUp] = batches(pushes);
    expect(caughtUp?.records.map((r) => r.details.i)).toEqual([7, 8, 9]);
    expect(caughtUp?.omitted).toBe(7);
    // Shown again after another hide: only what came since, the count starting over.
    feed.setVisible(false);
    feed.logged(record('later', 11));
    feed.setVisible(true);
    expect(batches(pushes)[1]).toEqual({
      records: [record('later', 11)],
      omitted: 0,
      catchUp: true,
    });
  });

  it('sends records waiting for their batch when hidden with the catch-up, not never', () => {
    const clock = new FakeClock();
    const { feed, pushes } = feedOn(clock);
    feed.setVisible(true);
    feed.logged(record('pending'));
    feed.setVisible(false);
    clock.advance(LOG_BATCH_MS * 2);
    expect(batches(pushes)).toEqual([]);
    feed.setVisible(true);
    expect(batches(pushes)[0]?.records).toEqual([record('pending')]);
  });

  it('batches live records: everything logged within one interval is one push', () => {
    const clock = new FakeClock();
    const { feed, pushes } = feedOn(clock);
    feed.setVisible(true);
    for (let i = 0; i < 20; i += 1) feed.logged(record('live', i));
    clock.advance(LOG_BATCH_MS - 1);
    expect(batches(pushes)).toEqual([]);
    clock.advance(1);
    expect(batches(pushes).map((b) => [b.records.length, b.catchUp])).toEqual([[20, false]]);
  });

  it('pushes counters at most once per 250 ms, each with a higher seq than the snapshot before', () => {
    const clock = new FakeClock();
    const { state, feed, pushes } = feedOn(clock);
    feed.setVisible(true);
    state.changed();
    for (let t = 0; t < 1_000; t += 10) {
      feed.countersChanged();
      clock.advance(10);
    }
    const stats = pushes.flatMap((p) =>
      p.event === 'cloudbridge:stats.changed' ? [p.payload] : [],
    );
    expect(stats.length).toBeGreaterThanOrEqual(3);
    expect(stats.length).toBeLessThanOrEqual(5);
    const snapSeq = (
      pushes.filter((p) => p.event === 'cloudbridge:app.changed').at(-1)?.payload as AppSnapshot
    ).seq;
    expect(stats.every((s: StatsUpdate) => s.seq > snapSeq)).toBe(true);
    // A hidden window's pending stats push is dropped with it.
    feed.countersChanged();
    feed.setVisible(false);
    const before = pushes.length;
    clock.advance(1_000);
    expect(pushes).toHaveLength(before);
  });
});

describe('app state: one app-wide seq', () => {
  it('rises with every state change and stats push, whatever engine seq comes in', () => {
    const clock = new FakeClock();
    const { state } = feedOn(clock);
    expect(state.setEngine(engineSnap({ seq: 900, state: 'active' }))).toBe(true);
    const a = state.changed().seq;
    // A new engine starts its own seq again.
    expect(state.setEngine(engineSnap({ seq: 1, state: 'authenticating' }))).toBe(true);
    const b = state.changed().seq;
    const c = state.stampStats().seq;
    expect(b).toBeGreaterThan(a);
    expect(c).toBeGreaterThan(b);
    // Reading is pure: no seq spent, the same snapshot object, the latest seq on it.
    expect(state.snapshot()).toBe(state.snapshot());
    expect(state.snapshot().seq).toBe(c);
    expect(state.snapshot().engine.seq).toBe(1);
  });

  it('tells a counters-only change from a state change', () => {
    const { state } = feedOn(new FakeClock());
    const tunnel = idleTunnelSnapshot({
      id: 't1',
      name: 'SSH',
      kind: 'ssh',
      localHost: '127.0.0.1',
      localPort: 2222,
      remoteHost: 'box',
      remotePort: 22,
      enabled: true,
    });
    expect(state.setEngine(engineSnap({ state: 'active', tunnels: [tunnel] }))).toBe(true);
    const counted = { ...tunnel, bytesIn: 10, rateInBps: 5, openConnections: 1 };
    expect(state.setEngine(engineSnap({ state: 'active', seq: 2, tunnels: [counted] }))).toBe(
      false,
    );
    const listening = { ...counted, status: 'listening' as const };
    expect(state.setEngine(engineSnap({ state: 'active', seq: 3, tunnels: [listening] }))).toBe(
      true,
    );
  });
});

describe('notification policy', () => {
  const ctx = (now: number, over: Partial<PolicyContext> = {}): PolicyContext => ({
    now,
    prefs: DEFAULT_SETTINGS.notifications,
    restoredAfterMs: 10_000,
    ...over,
  });
  const active = engineSnap({ state: 'active' });
  const reconnecting = engineSnap({ state: 'reconnecting' });
  const disconnected = engineSnap({ state: 'disconnected' });

  it('says "restored" only after a loss longer than the threshold', () => {
    const lost = decideNotifications(INITIAL_POLICY_MEMORY, active, reconnecting, ctx(0));
    expect(lost.notifications).toEqual([]);
    const brief = decideNotifications(lost.memory, reconnecting, active, ctx(9_999));
    expect(brief.notifications).toEqual([]);
    const long = decideNotifications(lost.memory, reconnecting, active, ctx(10_000));
    expect(long.notifications.map((n) => n.kind)).toEqual(['connection_restored']);
  });

  it('says "lost" when the session ends by itself, not when the user disconnected', () => {
    const lost = decideNotifications(INITIAL_POLICY_MEMORY, reconnecting, disconnected, ctx(0));
    expect(lost.notifications.map((n) => n.kind)).toEqual(['connection_lost']);
    const asked = decideNotifications(userDisconnected(true), active, disconnected, ctx(0));
    expect(asked.notifications).toEqual([]);
    expect(asked.memory.userDisconnect).toBe(false);
    const off = decideNotifications(
      INITIAL_POLICY_MEMORY,
      reconnecting,
      disconnected,
      ctx(0, { prefs: { ...DEFAULT_SETTINGS.notifications, connectionLost: false } }),
    );
    expect(off.notifications).toEqual([]);
  });
});

describe('token failures for the engine', () => {
  it('keep the services code, so a locked keychain is not "no token"', () => {
    const locked = tokenFailureForEngine(
      new ServiceError('keychain_unavailable', 'The keychain is locked.', 'timeout'),
    );
    expect(locked).toBeInstanceOf(EngineError);
    expect([locked.code, locked.message, locked.detail]).toEqual([
      'keychain_unavailable',
      'The keychain is locked.',
      'timeout',
    ]);
    expect(tokenFailureForEngine(new ServiceError('token_expired', 'expired')).code).toBe(
      'token_expired',
    );
    const engine = new EngineError('token_relay_changed', 'changed');
    expect(tokenFailureForEngine(engine)).toBe(engine);
    expect(tokenFailureForEngine(new Error('bug')).code).toBe('internal_error');
  });

  it('needs the user for a refused or missing token and a refused TLS identity, never for the keychain', () => {
    for (const code of NEEDS_USER_CODES) expect(needsUser(code), code).toBe(true);
    for (const code of ['keychain_unavailable', 'connection_lost', 'reconnect_exhausted'])
      expect(needsUser(code), code).toBe(false);
  });
});

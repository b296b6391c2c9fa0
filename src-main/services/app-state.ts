// The AppSnapshot and the one app-wide `seq`: folds the shown engine snapshot, the account,
// settings, totals, notices and the pending connection link into what the window and the tray
// draw, and stamps every state change and every stats push with the next seq, whatever engine
// or engine host produced it. Pushes nothing itself (window-feed.ts does), never talks to an
// engine.

import type {
  AccountInfo,
  AppSnapshot,
  Notice,
  NoticeKind,
  StatsUpdate,
} from '../shared/ipc-contract';
import type { EngineSnapshot } from '../shared/model';
import type { Clock } from '../shared/clock';
import { NO_INVITE, type InviteState } from '../shared/invite-view';
import { emptyEngineSnapshot } from '../shared/tunnel-snapshot';
import type { SettingsStore } from './settings-store';

export interface AppStateOptions {
  readonly settingsStore: SettingsStore;
  readonly account: () => AccountInfo;
  readonly logDirectory: string;
  readonly clock: Clock;
  /** What the app adds to the engine's view before it is shown (who holds a port). */
  readonly decorate?: (engine: EngineSnapshot) => EngineSnapshot;
  /** The connection link waiting for an answer (services/invite-links.ts). */
  readonly invite?: () => InviteState;
}

export interface AppState {
  /** The current snapshot, carrying the latest seq. Pure: builds at most once per change. */
  snapshot(): AppSnapshot;
  /** The engine snapshot shown now (the last one accepted, or the idle one). */
  engine(): EngineSnapshot;
  /** Takes an engine's snapshot; true when more than counters changed. */
  setEngine(next: EngineSnapshot): boolean;
  /** No engine: the shown engine snapshot follows the settings (relay, tunnels). */
  showIdleEngine(): void;
  notices(): readonly Notice[];
  /** Adds a notice, replacing any of its kind. */
  setNotice(notice: Notice): void;
  /** Removes every notice of these kinds; true when one was there. */
  dropNotices(...kinds: readonly NoticeKind[]): boolean;
  /** Something besides counters changed: next seq, a fresh snapshot, every listener told. */
  changed(): AppSnapshot;
  /** Counters changed and are about to be pushed: next seq, on a StatsUpdate. */
  stampStats(): StatsUpdate;
  /** Every state change, whatever the window does (the tray and the window feed listen). */
  onChange(listener: (snapshot: AppSnapshot) => void): () => void;
  close(): void;
}

/** Everything in an engine snapshot except counters: a change here is a state change. */
export function structuralKey(s: EngineSnapshot): string {
  return JSON.stringify([
    s.state,
    s.session,
    s.lastError,
    s.tunnels.map((t) => [
      t.id,
      t.name,
      t.kind,
      t.localHost,
      t.localPort,
      t.remoteHost,
      t.remotePort,
      t.enabled,
      t.status,
      t.dataMode,
      t.error,
      t.server,
      t.endToEnd,
    ]),
    // The shared computer: who is connected is a state change, their bytes are counters.
    s.publish == null
      ? null
      : [
          s.publish.name,
          s.publish.ports,
          s.publish.allowSubs,
          s.publish.publicKey,
          s.publish.status,
          s.publish.tunnelId,
          s.publish.error,
          s.publish.connections.map((c) => c.id),
        ],
  ]);
}

export function createAppState(options: AppStateOptions): AppState {
  const { settingsStore, clock } = options;
  const decorate = options.decorate ?? ((s: EngineSnapshot) => s);
  const iso = () => new Date(clock.now()).toISOString();
  let seq = 0;
  let engineSnap = emptyEngineSnapshot(settingsStore.get(), 0, iso());
  let lastStructural = '';
  let notices: readonly Notice[] = [];
  let cache: AppSnapshot | null = null;
  const listeners = new Set<(snapshot: AppSnapshot) => void>();

  function snapshot(): AppSnapshot {
    cache ??= {
      seq,
      engine: decorate(engineSnap),
      account: options.account(),
      settings: settingsStore.get(),
      totals: settingsStore.totals(),
      notices,
      logDirectory: options.logDirectory,
      invite: options.invite?.() ?? NO_INVITE,
    };
    return cache;
  }

  return {
    snapshot,
    engine: () => engineSnap,
    setEngine(next) {
      engineSnap = next;
      cache = null;
      const key = structuralKey(next);
      if (key === lastStructural) return false;
      lastStructural = key;
      return true;
    },
    showIdleEngine() {
      engineSnap = emptyEngineSnapshot(settingsStore.get(), engineSnap.seq + 1, iso());
      lastStructural = '';
      cache = null;
    },
    notices: () => notices,
    setNotice(notice) {
      notices = [...notices.filter((n) => n.kind !== notice.kind), notice];
      cache = null;
    },
    dropNotices(...kinds) {
      const kept = notices.filter((n) => !kinds.includes(n.kind));
      if (kept.length === notices.length) return false;
      notices = kept;
      cache = null;
      return true;
    },
    changed() {
      seq += 1;
      cache = null;
      const snap = snapshot();
      for (const l of [...listeners]) l(snap);
      return snap;
    },
    stampStats() {
      seq += 1;
      cache = null;
      return {
        seq,
        at: engineSnap.at,
        // Already holding these counters' bytes: traffic-totals folds each snapshot in first.
        totals: settingsStore.totals(),
        tunnels: engineSnap.tunnels.map((t) => ({
          id: t.id,
          bytesIn: t.bytesIn,
          bytesOut: t.bytesOut,
          rateInBps: t.rateInBps,
          rateOutBps: t.rateOutBps,
          openConnections: t.openConnections,
          totalConnections: t.totalConnections,
          failedConnections: t.failedConnections,
        })),
        ...(engineSnap.publish == null
          ? {}
          : {
              publish: {
                bytesIn: engineSnap.publish.bytesIn,
                bytesOut: engineSnap.publish.bytesOut,
                totalConnections: engineSnap.publish.totalConnections,
                connections: engineSnap.publish.connections.map((c) => ({
                  id: c.id,
                  bytesIn: c.bytesIn,
                  bytesOut: c.bytesOut,
                })),
              },
            }),
      };
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      listeners.clear();
    },
  };
}

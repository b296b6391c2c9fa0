// The renderer's state: a vanilla zustand store (usable without React) that folds the main
// process's pushes into one view: app.changed snapshots, stats.changed counters and
// logs.appended batches, ordered by main's one app-wide seq. Pushes are the only way state
// changes (request replies never write it). It never calls the bridge except in connectStore().
import { createStore, type StoreApi } from 'zustand/vanilla';
import type {
  AppInfo,
  AppSnapshot,
  BridgeApi,
  LogBatch,
  StatsUpdate,
} from '../../src-main/shared/ipc-contract';
import type { ErrorInfo, LogRecord } from '../../src-main/shared/model';
import { NO_HISTORY, recordTraffic, type TrafficHistory } from './traffic-history';

/** The Logs view keeps at most this many records in memory; older ones are in the log file. */
export const MAX_LOG_RECORDS = 5_000;
/** How many records the first query asks for. */
export const INITIAL_LOG_QUERY = 1_000;

export type LoadState = 'loading' | 'ready' | 'no-bridge' | 'failed';

export interface AppState {
  readonly load: LoadState;
  readonly loadError: ErrorInfo | null;
  readonly snapshot: AppSnapshot | null;
  readonly info: AppInfo | null;
  readonly logs: readonly LogRecord[];
  /** Records main left out while the window was hidden (they are in the log file). */
  readonly logsOmitted: number;
  /**
   * Main's app-wide seq of the last snapshot or stats applied: an older one that arrives late
   * is dropped. Engine seqs start again with each engine and are never compared.
   */
  readonly seq: number;
  /** Each tunnel's last minute of rates and last activity, from main's pushes. */
  readonly history: TrafficHistory;
}

export interface AppActions {
  readonly applySnapshot: (snapshot: AppSnapshot) => void;
  readonly applyStats: (update: StatsUpdate) => void;
  readonly appendLogs: (batch: LogBatch) => void;
  readonly setLogs: (records: readonly LogRecord[]) => void;
  readonly setInfo: (info: AppInfo) => void;
  readonly setLoad: (load: LoadState, error?: ErrorInfo | null) => void;
}

export type AppStore = StoreApi<AppState & AppActions>;

function capLogs(records: readonly LogRecord[]): readonly LogRecord[] {
  return records.length > MAX_LOG_RECORDS
    ? records.slice(records.length - MAX_LOG_RECORDS)
    : records;
}

/**
 * Main numbers its records (LogRecord.seq): the same record from a query and from a push has
 * the same seq. A record without one is known by all its fields.
 */
function recordKey(r: LogRecord): string {
  if (r.seq !== undefined) return `#${r.seq}`;
  return JSON.stringify([r.timestamp, r.level, r.event, r.tunnel_id, r.details]);
}

/** The newest record's seq in `logs` (records arrive in main's order), or -1. */
function lastSeq(logs: readonly LogRecord[]): number {
  for (let i = logs.length - 1; i >= 0; i -= 1) {
    const seq = logs[i]?.seq;
    if (seq !== undefined) return seq;
  }
  return -1;
}

/** `records` without those already in `have` (for answers that may overlap what is there). */
function unseen(have: readonly LogRecord[], records: readonly LogRecord[]): readonly LogRecord[] {
  if (have.length === 0 || records.length === 0) return records;
  const seen = new Set(have.map(recordKey));
  return records.filter((r) => !seen.has(recordKey(r)));
}

export function createAppStore(initial?: Partial<AppState>): AppStore {
  return createStore<AppState & AppActions>()((set) => ({
    load: 'loading',
    loadError: null,
    snapshot: null,
    info: null,
    logs: [],
    logsOmitted: 0,
    seq: -1,
    history: NO_HISTORY,
    ...initial,

    applySnapshot: (snapshot) =>
      set((state) => {
        if (state.snapshot && snapshot.seq < state.seq) return state;
        const { tunnels, at } = snapshot.engine;
        const history = recordTraffic(
          state.history,
          tunnels,
          Date.parse(at),
          tunnels.map((t) => t.id),
        );
        return { snapshot, seq: snapshot.seq, load: 'ready', loadError: null, history };
      }),

    applyStats: (update) =>
      set((state) => {
        if (!state.snapshot || update.seq < state.seq) return state;
        const byId = new Map(update.tunnels.map((t) => [t.id, t]));
        const tunnels = state.snapshot.engine.tunnels.map((tunnel) => {
          const live = byId.get(tunnel.id);
          return live
            ? {
                ...tunnel,
                bytesIn: live.bytesIn,
                bytesOut: live.bytesOut,
                rateInBps: live.rateInBps,
                rateOutBps: live.rateOutBps,
                openConnections: live.openConnections,
                totalConnections: live.totalConnections,
                failedConnections: live.failedConnections,
              }
            : tunnel;
        });
        const engine = state.snapshot.engine;
        const live = update.publish;
        // The shared computer's counters: who is connected is the snapshot's, their bytes move.
        const publish =
          live == null || engine.publish == null
            ? engine.publish
            : {
                ...engine.publish,
                bytesIn: live.bytesIn,
                bytesOut: live.bytesOut,
                totalConnections: live.totalConnections,
                connections: engine.publish.connections.map((c) => {
                  const bytes = live.connections.find((x) => x.id === c.id);
                  return bytes ? { ...c, bytesIn: bytes.bytesIn, bytesOut: bytes.bytesOut } : c;
                }),
              };
        return {
          seq: update.seq,
          snapshot: {
            ...state.snapshot,
            engine: { ...engine, tunnels, ...(publish === undefined ? {} : { publish }) },
            totals: update.totals,
          },
          history: recordTraffic(state.history, update.tunnels, Date.parse(update.at)),
        };
      }),

    appendLogs: (batch) =>
      set((state) => {
        // The catch-up on show, and the first live batch after the first logs.query, may
        // repeat records the store already has; main's seq tells them apart from new ones.
        const newest = lastSeq(state.logs);
        const records = batch.catchUp
          ? unseen(state.logs, batch.records)
          : batch.records.filter((r) => r.seq === undefined || r.seq > newest);
        if (records.length === 0 && batch.omitted === 0) return state;
        return {
          logs: capLogs([...state.logs, ...records]),
          logsOmitted: state.logsOmitted + batch.omitted,
        };
      }),

    setLogs: (records) => set({ logs: capLogs([...records]) }),

    setInfo: (info) => set({ info }),

    setLoad: (load, error = null) => set({ load, loadError: error }),
  }));
}

/**
 * Subscribes the store to the bridge's pushes and loads the first snapshot, app info and
 * recent logs. A missing bridge leaves the store in `no-bridge`. Returns the unsubscriber.
 */
export function connectStore(store: AppStore, bridge: BridgeApi | null): () => void {
  const actions = store.getState();
  if (!bridge) {
    actions.setLoad('no-bridge');
    return () => undefined;
  }
  // Subscribe before asking, so nothing pushed between the reply and the subscription is lost.
  const unsubscribers = [
    bridge.on('cloudbridge:app.changed', (snapshot) => store.getState().applySnapshot(snapshot)),
    bridge.on('cloudbridge:stats.changed', (update) => store.getState().applyStats(update)),
    bridge.on('cloudbridge:logs.appended', (records) => store.getState().appendLogs(records)),
  ];
  let isClosed = false;

  void (async () => {
    try {
      const [snapshot, info, logs] = await Promise.all([
        bridge.appSnapshot(),
        bridge.appInfo(),
        bridge.logsQuery({ limit: INITIAL_LOG_QUERY }),
      ]);
      if (isClosed) return;
      if (snapshot.ok) store.getState().applySnapshot(snapshot.value);
      else store.getState().setLoad('failed', snapshot.error);
      if (info.ok) store.getState().setInfo(info.value);
      // Records pushed while the query ran are newer than its answer: keep them after it.
      if (logs.ok) {
        const pushed = store.getState().logs;
        store.getState().setLogs([...logs.value, ...unseen(logs.value, pushed)]);
      }
    } catch (cause) {
      if (isClosed) return;
      store.getState().setLoad('failed', {
        code: 'internal_error',
        message: cause instanceof Error ? cause.message : String(cause),
        at: new Date().toISOString(),
      });
    }
  })();

  return () => {
    isClosed = true;
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}

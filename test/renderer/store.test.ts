// The vanilla store without React: snapshots and stats in main's app-wide seq order (never the
// engine's), stats merged into tunnels, log batches appended and capped, the catch-up on show
// without repeats and with its count of left-out records, the first load from the bridge.
import { describe, expect, it, vi } from 'vitest';
import type { AppSnapshot } from '../../src-main/shared/ipc-contract';
import type { LogRecord } from '../../src-main/shared/model';
import { connectStore, createAppStore, MAX_LOG_RECORDS } from '../../src-renderer/store/app-store';
import {
  selectConnectionState,
  selectIsFirstRun,
  selectLogs,
  selectTotals,
  selectTunnels,
} from '../../src-renderer/store/selectors';
import {
  activeSnapshot,
  createFakeBridge,
  reconnectingSnapshot,
  sampleLogs,
} from '../harness/fake-bridge';

const NOW = Date.parse('2026-11-22T10:00:00Z');
const withSeq = (s: AppSnapshot, seq: number, engineSeq = s.engine.seq): AppSnapshot => ({
  ...s,
  seq,
  engine: { ...s.engine, seq: engineSeq },
});
const batch = (records: readonly LogRecord[]) => ({ records, omitted: 0, catchUp: false });
const log = (event: string): LogRecord => ({
  timestamp: new Date(NOW).toISOString(),
  level: 'info',
  event,
  tunnel_id: null,
  details: {},
});

describe('app store', () => {
  it('applies snapshots and drops one older than what it has', () => {
    const store = createAppStore();
    store.getState().applySnapshot(withSeq(reconnectingSnapshot(NOW), 20));
    expect(selectConnectionState(store.getState())).toBe('reconnecting');
    store.getState().applySnapshot(withSeq(activeSnapshot(NOW), 19));
    expect(selectConnectionState(store.getState())).toBe('reconnecting');
    store.getState().applySnapshot(withSeq(activeSnapshot(NOW), 21));
    expect(selectConnectionState(store.getState())).toBe('active');
    expect(store.getState().load).toBe('ready');
  });

  it("follows a new engine whose own seq starts again, because it orders by main's seq", () => {
    const store = createAppStore();
    store.getState().applySnapshot(withSeq(activeSnapshot(NOW), 40, 900));
    // The relay was switched: a new engine, engine.seq 1, the app-wide seq still rising.
    store.getState().applySnapshot(withSeq(reconnectingSnapshot(NOW), 41, 1));
    expect(selectConnectionState(store.getState())).toBe('reconnecting');
    // Stats from before that snapshot are stale; later ones apply.
    const stats = (seq: number, bytesIn: number) => ({
      seq,
      at: new Date(NOW).toISOString(),
      totals: {},
      tunnels: [
        {
          id: 't-rdp',
          bytesIn,
          bytesOut: 0,
          rateInBps: 0,
          rateOutBps: 0,
          openConnections: 0,
          totalConnections: 0,
          failedConnections: 0,
        },
      ],
    });
    store.getState().applyStats(stats(39, 5));
    expect(selectTunnels(store.getState())[0]?.bytesIn).not.toBe(5);
    store.getState().applyStats(stats(42, 6));
    expect(selectTunnels(store.getState())[0]?.bytesIn).toBe(6);
    store.getState().applySnapshot(withSeq(activeSnapshot(NOW), 41, 2));
    expect(selectConnectionState(store.getState())).toBe('reconnecting');
  });

  it('merges live counters into the matching tunnel only and keeps the rest', () => {
    const store = createAppStore();
    store.getState().applySnapshot(activeSnapshot(NOW));
    const before = selectTunnels(store.getState());
    store.getState().applyStats({
      seq: 11,
      at: new Date(NOW).toISOString(),
      totals: { 't-rdp': { todayIn: 1, todayOut: 2, allTimeIn: 3, allTimeOut: 4 } },
      tunnels: [
        {
          id: 't-rdp',
          bytesIn: 7,
          bytesOut: 8,
          rateInBps: 9,
          rateOutBps: 10,
          openConnections: 11,
          totalConnections: 12,
          failedConnections: 13,
        },
      ],
    });
    const after = selectTunnels(store.getState());
    expect(after[0]).toMatchObject({
      id: 't-rdp',
      bytesIn: 7,
      bytesOut: 8,
      rateInBps: 9,
      rateOutBps: 10,
      openConnections: 11,
      totalConnections: 12,
      failedConnections: 13,
      status: 'listening',
    });
    expect(after[1]).toBe(before[1]);
    // Main's totals come with the counters, not 10 s later with the next snapshot.
    expect(selectTotals(store.getState())).toEqual({
      't-rdp': { todayIn: 1, todayOut: 2, allTimeIn: 3, allTimeOut: 4 },
    });
  });

  it('appends log batches and keeps only the newest MAX_LOG_RECORDS', () => {
    const store = createAppStore();
    store
      .getState()
      .appendLogs(batch(Array.from({ length: MAX_LOG_RECORDS }, (_, i) => log(`e${i}`))));
    store.getState().appendLogs(batch([log('last')]));
    const logs = selectLogs(store.getState());
    expect(logs).toHaveLength(MAX_LOG_RECORDS);
    expect(logs[0]?.event).toBe('e1');
    expect(logs[logs.length - 1]?.event).toBe('last');
  });

  it('adds the catch-up on show without repeating records it has, and counts what was left out', () => {
    const store = createAppStore();
    store.getState().setLogs([log('before-hide'), log('while-hidden-1')]);
    store.getState().appendLogs({
      records: [log('while-hidden-1'), log('while-hidden-2')],
      omitted: 3,
      catchUp: true,
    });
    expect(selectLogs(store.getState()).map((r) => r.event)).toEqual([
      'before-hide',
      'while-hidden-1',
      'while-hidden-2',
    ]);
    expect(store.getState().logsOmitted).toBe(3);
    // A live batch is taken as it is: two records may be equal in every field.
    store.getState().appendLogs(batch([log('while-hidden-2')]));
    expect(selectLogs(store.getState())).toHaveLength(4);
  });

  it('skips the records of a live batch that the first logs.query already returned, by their seq', () => {
    const store = createAppStore();
    const numbered = (event: string, seq: number): LogRecord => ({ ...log(event), seq });
    // Logged within one batch interval before the window asked: in the answer and the batch.
    store.getState().setLogs([numbered('started', 1), numbered('connecting', 2)]);
    store.getState().appendLogs(batch([numbered('connecting', 2), numbered('authenticated', 3)]));
    expect(selectLogs(store.getState()).map((r) => r.seq)).toEqual([1, 2, 3]);
    // Two records equal in every other field are two records.
    store.getState().appendLogs(batch([numbered('authenticated', 4)]));
    expect(selectLogs(store.getState()).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
  });

  it('loads snapshot, info and recent logs from the bridge and follows its pushes until closed', async () => {
    const fake = createFakeBridge({ snapshot: activeSnapshot(NOW), logs: sampleLogs(NOW) });
    const store = createAppStore();
    const close = connectStore(store, fake.api);
    await vi.waitFor(() => expect(store.getState().load).toBe('ready'));
    await vi.waitFor(() => expect(store.getState().logs).toHaveLength(7));
    expect(store.getState().info?.version).toBe('0.1.0');
    expect(fake.callsTo('cloudbridge:logs.query')).toEqual([{ limit: 1000 }]);
    fake.pushLogs([log('pushed')]);
    expect(store.getState().logs).toHaveLength(8);
    fake.update(() => reconnectingSnapshot(NOW));
    expect(selectConnectionState(store.getState())).toBe('reconnecting');
    close();
    expect(fake.listenerCount('cloudbridge:app.changed')).toBe(0);
    fake.update(() => activeSnapshot(NOW));
    expect(selectConnectionState(store.getState())).toBe('reconnecting');
  });

  it('reports a missing bridge instead of failing', () => {
    const store = createAppStore();
    const close = connectStore(store, null);
    expect(store.getState().load).toBe('no-bridge');
    expect(selectIsFirstRun(store.getState())).toBe(false);
    close();
  });

  it('reports a failed first snapshot with its error', async () => {
    const fake = createFakeBridge();
    fake.respond('cloudbridge:app.snapshot', () => ({
      ok: false,
      error: { code: 'settings_corrupt', message: 'bad json', at: new Date(NOW).toISOString() },
    }));
    const store = createAppStore();
    connectStore(store, fake.api);
    await vi.waitFor(() => expect(store.getState().load).toBe('failed'));
    expect(store.getState().loadError?.code).toBe('settings_corrupt');
  });
});

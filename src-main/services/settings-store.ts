// The data dir's JSON files: AppSettings, traffic totals and the engine's PersistedSessionState
// (never the token). Writes are atomic (temp, fsync, rename); a corrupt file, or
// one with entries that fail the input checks (settings-file.ts), is moved aside with a notice;
// a failed write never damages the previous file.

import { join } from 'node:path';
import { parseSessionState, pickSessionState } from '../engine/session-state';
import type { SessionStatePersistence } from '../engine/types';
import type { AppSettings, Notice, TunnelTotals } from '../shared/ipc-contract';
import type { ErrorInfo } from '../shared/model';
import { nodeStoreFs, writeJsonAtomic, writeJsonAtomicSync, type StoreFs } from './atomic-json';
import { ServiceError, errnoCode, errorInfo, messageOf } from './errors';
import { DEFAULT_SETTINGS, parseSettingsFile, refusedEntries } from './settings-file';

export const SETTINGS_FILE = 'settings.json';
export const TOTALS_FILE = 'totals.json';
export const SESSION_FILE = 'session-state.json';

export { DEFAULT_SETTINGS };

/** A failed write as the UI shows it: disk full and permission problems are told apart. */
export function writeError(error: unknown, path: string, now: number): ErrorInfo {
  const code = errnoCode(error);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return errorInfo(
      'disk_full',
      'The disk is full; settings were not saved. The previous settings are kept.',
      now,
      path,
    );
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return errorInfo(
      'io_error',
      'No permission to write the settings file; the previous settings are kept.',
      now,
      `${code} ${path}`,
    );
  }
  return errorInfo(
    'io_error',
    'Could not save settings; the previous settings are kept.',
    now,
    `${messageOf(error)} (${path})`,
  );
}

/** Local calendar date of a moment, for the "today" totals (day rollover by local date). */
export function localDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

interface TotalsFile {
  readonly day: string;
  readonly tunnels: Record<string, TunnelTotals>;
}

const ZERO_TOTALS: TunnelTotals = { todayIn: 0, todayOut: 0, allTimeIn: 0, allTimeOut: 0 };

function parseTotals(value: unknown): TotalsFile | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.day !== 'string' || typeof v.tunnels !== 'object' || v.tunnels === null) return null;
  const tunnels: Record<string, TunnelTotals> = {};
  for (const [id, t] of Object.entries(v.tunnels as Record<string, unknown>)) {
    if (typeof t !== 'object' || t === null) return null;
    const r = t as Record<string, unknown>;
    const n = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : 0);
    tunnels[id] = {
      todayIn: n(r.todayIn),
      todayOut: n(r.todayOut),
      allTimeIn: n(r.allTimeIn),
      allTimeOut: n(r.allTimeOut),
    };
  }
  return { day: v.day, tunnels };
}

export interface SettingsStoreOptions {
  readonly dataDir: string;
  readonly clock: { now(): number };
  readonly fs?: StoreFs;
  /** Local date of a moment; injectable so tests pin the time zone. */
  readonly localDate?: (ms: number) => string;
}

export interface SettingsLoadResult {
  readonly settings: AppSettings;
  readonly notices: readonly Notice[];
  /** True when no settings file existed (first run). */
  readonly firstRun: boolean;
}

export interface SettingsStore {
  load(): Promise<SettingsLoadResult>;
  get(): AppSettings;
  /** Persists, then adopts `next`. On failure the previous settings stay, in memory and on disk. */
  save(next: AppSettings): Promise<{ ok: true } | { ok: false; error: ErrorInfo }>;
  totals(): Readonly<Record<string, TunnelTotals>>;
  /** Adds traffic to a tunnel's totals (rolls "today" over on a new local date). */
  addTraffic(tunnelId: string, bytesIn: number, bytesOut: number): void;
  removeTotals(tunnelId: string): void;
  /** Writes the totals when they changed since the last flush. */
  flushTotals(): Promise<void>;
  /** The same, synchronously (the OS is ending the session); always the real file system. */
  flushTotalsSync(): void;
  readonly sessionState: SessionStatePersistence;
  readonly settingsPath: string;
}

export function createSettingsStore(options: SettingsStoreOptions): SettingsStore {
  const fs = options.fs ?? nodeStoreFs;
  const { dataDir, clock } = options;
  const dateOf = options.localDate ?? localDate;
  const settingsPath = join(dataDir, SETTINGS_FILE);
  const totalsPath = join(dataDir, TOTALS_FILE);
  const sessionPath = join(dataDir, SESSION_FILE);
  let settings: AppSettings = DEFAULT_SETTINGS;
  let totals: TotalsFile = { day: dateOf(clock.now()), tunnels: {} };
  let totalsDirty = false;
  let writeChain: Promise<unknown> = Promise.resolve();

  /** Serialises writes so two saves never race on the same file. */
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = writeChain.then(fn, fn);
    writeChain = next.catch(() => undefined);
    return next;
  }

  async function readJson(
    path: string,
  ): Promise<{ kind: 'missing' } | { kind: 'ok'; value: unknown } | { kind: 'corrupt' }> {
    let text: string;
    try {
      text = await fs.readFile(path);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return { kind: 'missing' };
      throw error;
    }
    try {
      return { kind: 'ok', value: JSON.parse(text) as unknown };
    } catch {
      return { kind: 'corrupt' };
    }
  }

  /** The new name, or null when the file could not be moved (it stays where it was). */
  async function moveAside(path: string, base: string): Promise<string | null> {
    const stamp = new Date(clock.now()).toISOString().replace(/[:.]/g, '-');
    const aside = join(dataDir, `${base}.corrupt-${stamp}.json`);
    return fs.rename(path, aside).then(
      () => aside,
      () => null,
    );
  }

  function rollDay(): void {
    const today = dateOf(clock.now());
    if (totals.day === today) return;
    const tunnels: Record<string, TunnelTotals> = {};
    for (const [id, t] of Object.entries(totals.tunnels))
      tunnels[id] = { ...t, todayIn: 0, todayOut: 0 };
    totals = { day: today, tunnels };
    totalsDirty = true;
  }

  return {
    settingsPath,
    async load() {
      await fs.mkdir(dataDir);
      const notices: Notice[] = [];
      const read = await readJson(settingsPath);
      let firstRun = false;
      if (read.kind === 'missing') {
        settings = DEFAULT_SETTINGS;
        firstRun = true;
      } else {
        const parsed = read.kind === 'ok' ? parseSettingsFile(read.value) : null;
        if (parsed === null) {
          const aside = await moveAside(settingsPath, 'settings');
          settings = DEFAULT_SETTINGS;
          notices.push({
            kind: 'settings_reset',
            params: { reason: 'damaged', path: aside ?? settingsPath },
            at: new Date(clock.now()).toISOString(),
          });
        } else if (parsed.refused.length > 0) {
          // The refused entries stay only in the copy: the file in place holds what was loaded.
          const aside = await moveAside(settingsPath, 'settings');
          settings = parsed.settings;
          if (aside !== null)
            await writeJsonAtomic(fs, settingsPath, settings).catch(() => undefined);
          notices.push({
            kind: 'settings_reset',
            params: {
              reason: 'refused',
              count: parsed.refused.length,
              entries: refusedEntries(parsed.refused),
              path: aside ?? settingsPath,
            },
            at: new Date(clock.now()).toISOString(),
          });
        } else {
          settings = parsed.settings;
        }
      }
      const totalsRead = await readJson(totalsPath).catch(() => ({ kind: 'corrupt' }) as const);
      const parsedTotals = totalsRead.kind === 'ok' ? parseTotals(totalsRead.value) : null;
      if (parsedTotals !== null) totals = parsedTotals;
      else if (totalsRead.kind === 'corrupt') await moveAside(totalsPath, 'totals');
      rollDay();
      return { settings, notices, firstRun };
    },
    get: () => settings,
    save(next) {
      return serial(async () => {
        try {
          await writeJsonAtomic(fs, settingsPath, next);
          settings = next;
          return { ok: true as const };
        } catch (error) {
          return { ok: false as const, error: writeError(error, settingsPath, clock.now()) };
        }
      });
    },
    totals() {
      rollDay();
      return totals.tunnels;
    },
    addTraffic(tunnelId, bytesIn, bytesOut) {
      if (bytesIn <= 0 && bytesOut <= 0) return;
      rollDay();
      const t = totals.tunnels[tunnelId] ?? ZERO_TOTALS;
      totals = {
        day: totals.day,
        tunnels: {
          ...totals.tunnels,
          [tunnelId]: {
            todayIn: t.todayIn + bytesIn,
            todayOut: t.todayOut + bytesOut,
            allTimeIn: t.allTimeIn + bytesIn,
            allTimeOut: t.allTimeOut + bytesOut,
          },
        },
      };
      totalsDirty = true;
    },
    removeTotals(tunnelId) {
      if (!(tunnelId in totals.tunnels)) return;
      const tunnels = { ...totals.tunnels };
      delete tunnels[tunnelId];
      totals = { day: totals.day, tunnels };
      totalsDirty = true;
    },
    flushTotals() {
      if (!totalsDirty) return Promise.resolve();
      totalsDirty = false;
      const snapshot = totals;
      return serial(async () => {
        try {
          await writeJsonAtomic(fs, totalsPath, snapshot);
        } catch {
          // Totals are best effort: keep them in memory and try again at the next flush.
          totalsDirty = true;
        }
      });
    },
    flushTotalsSync() {
      if (!totalsDirty) return;
      try {
        writeJsonAtomicSync(totalsPath, totals);
        totalsDirty = false;
      } catch {
        // Best effort, as flushTotals: the totals stay in memory.
      }
    },
    sessionState: {
      async load() {
        const read = await readJson(sessionPath).catch(() => ({ kind: 'corrupt' }) as const);
        return read.kind === 'ok' ? parseSessionState(read.value) : null;
      },
      save(state) {
        // Only the fields of PersistedSessionState: nothing else the engine may attach.
        const clean = pickSessionState(state);
        return serial(() => writeJsonAtomic(fs, sessionPath, clean));
      },
    },
  };
}

/** Saves settings for a request: a failed write is thrown as a ServiceError with its code. */
export async function saveSettingsOrThrow(
  store: SettingsStore,
  next: AppSettings,
): Promise<AppSettings> {
  const saved = await store.save(next);
  if (!saved.ok) throw new ServiceError(saved.error.code, saved.error.message, saved.error.detail);
  return next;
}

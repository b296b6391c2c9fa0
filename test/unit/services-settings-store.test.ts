// Settings, totals and session state on disk: atomic writes, corrupt-file recovery, a full
// disk and a read-only file leave the previous settings intact, day rollover of totals.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeStoreFs, type StoreFs } from '../../src-main/services/atomic-json';
import { DEFAULT_SETTINGS, createSettingsStore } from '../../src-main/services/settings-store';
import type { AppSettings } from '../../src-main/shared/ipc-contract';

let dir: string;
let now = Date.parse('2026-03-01T10:00:00Z');
const clock = { now: () => now };
const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cb-settings-'));
  now = Date.parse('2026-03-01T10:00:00Z');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const withTunnel: AppSettings = {
  ...DEFAULT_SETTINGS,
  tunnels: [
    {
      id: 't1',
      name: 'RDP',
      kind: 'rdp',
      localHost: '127.0.0.1',
      localPort: 13389,
      remoteHost: '10.0.0.4',
      remotePort: 3389,
      enabled: true,
    },
  ],
  language: 'ru',
};

function failingFs(code: string, failOn: 'write' | 'rename'): StoreFs {
  const fail = () => Promise.reject(Object.assign(new Error(`${code}: simulated`), { code }));
  return {
    ...nodeStoreFs,
    writeFileDurable: failOn === 'write' ? fail : nodeStoreFs.writeFileDurable,
    rename: (from, to) =>
      failOn === 'rename' && from.endsWith('.tmp') ? fail() : nodeStoreFs.rename(from, to),
  };
}

describe('settings store', () => {
  it('starts from defaults on first run and round-trips what it saved', async () => {
    const store = createSettingsStore({ dataDir: dir, clock });
    const first = await store.load();
    expect(first.firstRun).toBe(true);
    expect(first.settings).toEqual(DEFAULT_SETTINGS);
    expect((await store.save(withTunnel)).ok).toBe(true);
    const again = createSettingsStore({ dataDir: dir, clock });
    const loaded = await again.load();
    expect(loaded.firstRun).toBe(false);
    expect(loaded.settings).toEqual(withTunnel);
    // No temp files left behind by the atomic write.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('moves a corrupt file aside, uses defaults and says so with a settings_reset notice', async () => {
    writeFileSync(join(dir, 'settings.json'), '{"relay": nul');
    const store = createSettingsStore({ dataDir: dir, clock });
    const loaded = await store.load();
    expect(loaded.settings).toEqual(DEFAULT_SETTINGS);
    expect(loaded.notices.map((n) => n.kind)).toEqual(['settings_reset']);
    const aside = readdirSync(dir).filter(
      (f) => f.startsWith('settings.corrupt-') && f.endsWith('.json'),
    );
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0]!), 'utf8')).toBe('{"relay": nul');
    expect(existsSync(join(dir, 'settings.json'))).toBe(false);
  });

  it('treats valid JSON with a wrong shape as corrupt (bad port, duplicate tunnel ids)', async () => {
    const bad = { ...withTunnel, tunnels: [withTunnel.tunnels[0], withTunnel.tunnels[0]] };
    writeFileSync(join(dir, 'settings.json'), JSON.stringify(bad));
    expect((await createSettingsStore({ dataDir: dir, clock }).load()).notices[0]?.kind).toBe(
      'settings_reset',
    );
    writeFileSync(
      join(dir, 'settings.json'),
      JSON.stringify({ ...withTunnel, tunnels: [{ ...withTunnel.tunnels[0], localPort: 0 }] }),
    );
    expect((await createSettingsStore({ dataDir: dir, clock }).load()).notices[0]?.kind).toBe(
      'settings_reset',
    );
  });

  it('reports disk_full on ENOSPC and keeps the previous file and in-memory settings', async () => {
    const good = createSettingsStore({ dataDir: dir, clock });
    await good.load();
    await good.save(withTunnel);
    const before = readFileSync(join(dir, 'settings.json'), 'utf8');

    const full = createSettingsStore({ dataDir: dir, clock, fs: failingFs('ENOSPC', 'write') });
    await full.load();
    const result = await full.save({ ...withTunnel, language: 'en' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('disk_full');
    expect(full.get().language).toBe('ru');
    expect(readFileSync(join(dir, 'settings.json'), 'utf8')).toBe(before);
  });

  it('reports io_error on EACCES at rename and removes its temp file', async () => {
    const store = createSettingsStore({ dataDir: dir, clock, fs: failingFs('EACCES', 'rename') });
    await store.load();
    const result = await store.save(withTunnel);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('io_error');
      expect(result.error.detail).toContain('EACCES');
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(store.get()).toEqual(DEFAULT_SETTINGS);
  });

  it('adds traffic to today and all time, rolls today over at the local date change, and persists', async () => {
    const store = createSettingsStore({ dataDir: dir, clock, localDate: utcDate });
    await store.load();
    store.addTraffic('t1', 100, 40);
    store.addTraffic('t1', 1, 2);
    expect(store.totals().t1).toEqual({
      todayIn: 101,
      todayOut: 42,
      allTimeIn: 101,
      allTimeOut: 42,
    });
    now = Date.parse('2026-03-02T00:00:01Z');
    expect(store.totals().t1).toEqual({ todayIn: 0, todayOut: 0, allTimeIn: 101, allTimeOut: 42 });
    store.addTraffic('t1', 5, 0);
    await store.flushTotals();
    const reopened = createSettingsStore({ dataDir: dir, clock, localDate: utcDate });
    await reopened.load();
    expect(reopened.totals().t1).toEqual({
      todayIn: 5,
      todayOut: 0,
      allTimeIn: 106,
      allTimeOut: 42,
    });
  });

  it('persists only the PersistedSessionState fields', async () => {
    const store = createSettingsStore({ dataDir: dir, clock });
    await store.load();
    const withExtra = {
      relay: 'r:443',
      clientId: 'c1',
      reconnectToken: 'rt',
      opener: 'server' as const,
      tunnelIds: ['t1'],
      token: 'eyJhbGciOi.x.y',
    };
    await store.sessionState.save(withExtra);
    const raw = readFileSync(join(dir, 'session-state.json'), 'utf8');
    expect(raw).not.toContain('eyJ');
    expect(await store.sessionState.load()).toEqual({
      relay: 'r:443',
      clientId: 'c1',
      reconnectToken: 'rt',
      opener: 'server',
      tunnelIds: ['t1'],
    });
  });
});

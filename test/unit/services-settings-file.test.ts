// settings.json read like window input: a tunnel or relay profile whose host (or any other
// field) fails the editor's checks is refused whole with a notice naming it, the rest loads,
// the original file is kept aside, and nothing hostile is left for the launcher to open.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSettingsFile } from '../../src-main/services/settings-file';
import { DEFAULT_SETTINGS, createSettingsStore } from '../../src-main/services/settings-store';
import { buildOpenCommand } from '../../src-main/services/tunnel-launcher';
import type { RelayProfile } from '../../src-main/shared/ipc-contract';
import type { TunnelConfig } from '../../src-main/shared/model';

let dir: string;
const clock = { now: () => Date.parse('2026-03-01T10:00:00Z') };
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cb-settings-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const good: TunnelConfig = {
  id: 't-good',
  name: 'Good RDP',
  kind: 'rdp',
  localHost: '127.0.0.1',
  localPort: 13389,
  remoteHost: '10.0.0.4',
  remotePort: 3389,
  enabled: true,
};
const relay: RelayProfile = {
  id: 'corp',
  name: 'Corp',
  host: 'relay.corp.example',
  port: 443,
  caFile: null,
  pinSha256: null,
  serverName: null,
  insecure: false,
  opener: 'auto',
  builtin: false,
};

const HOSTILE_LOCAL_HOSTS = [
  'fe80::1%x;open -a Calculator',
  'fe80::1%x"',
  'fe80::1%x&calc',
  '127.0.0.1 & calc',
  '$(touch /tmp/pwned)',
  ' 127.0.0.1',
];

async function load(file: unknown) {
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(file));
  const store = createSettingsStore({ dataDir: dir, clock });
  return { store, loaded: await store.load() };
}

describe('settings.json validated like window input', () => {
  it('refuses a tunnel with a hostile local host, keeps the others, and says which and why', async () => {
    for (const localHost of HOSTILE_LOCAL_HOSTS) {
      rmSync(dir, { recursive: true, force: true });
      dir = mkdtempSync(join(tmpdir(), 'cb-settings-file-'));
      const evil: TunnelConfig = {
        ...good,
        id: 't-evil',
        name: 'Evil',
        localHost,
        localPort: 2222,
        kind: 'ssh',
      };
      const file = { ...DEFAULT_SETTINGS, relay, tunnels: [good, evil] };
      const { store, loaded } = await load(file);

      expect(loaded.settings.tunnels, localHost).toEqual([good]);
      expect(loaded.settings.relay).toEqual(relay);
      expect(loaded.notices).toHaveLength(1);
      expect(loaded.notices[0]?.kind).toBe('settings_reset');
      expect(loaded.notices[0]?.params).toMatchObject({ reason: 'refused', count: 1 });
      expect(loaded.notices[0]?.params?.['entries']).toBe('"Evil" (localHost)');
      // Nothing of the refused tunnel is left to open, in memory or in the file in place.
      expect(store.get().tunnels.some((t) => t.localHost === localHost)).toBe(false);
      expect(readFileSync(join(dir, 'settings.json'), 'utf8')).not.toContain('t-evil');
      const aside = readdirSync(dir).filter((f) => f.startsWith('settings.corrupt-'));
      expect(aside).toHaveLength(1);
      expect(JSON.parse(readFileSync(join(dir, aside[0]!), 'utf8'))).toEqual(file);
      for (const platform of ['win32', 'darwin', 'linux'] as const)
        expect(buildOpenCommand(evil, platform)).toBeNull();

      // The next start loads the cleaned file without another notice.
      const again = await createSettingsStore({ dataDir: dir, clock }).load();
      expect(again.notices).toEqual([]);
      expect(again.settings.tunnels).toEqual([good]);
    }
  });

  it('refuses a relay profile with a hostile host, server name or pin, and loads no part of it', async () => {
    for (const bad of [
      { host: 'relay.example"; calc' },
      { host: 'fe80::1%x;id' },
      { serverName: 'a b' },
      { pinSha256: 'not-a-pin' },
      { port: 70_000 },
      { name: '   ' },
    ]) {
      const parsed = parseSettingsFile({
        ...DEFAULT_SETTINGS,
        relay: { ...relay, ...bad },
        tunnels: [good],
      });
      expect(parsed?.settings.relay, JSON.stringify(bad)).toBeNull();
      expect(parsed?.settings.tunnels).toEqual([good]);
      expect(parsed?.refused).toEqual([
        { kind: 'relay', label: expect.any(String) as string, fields: Object.keys(bad) },
      ]);
    }
    const { loaded } = await load({ ...DEFAULT_SETTINGS, relay: { ...relay, host: 'x;y' } });
    expect(loaded.settings.relay).toBeNull();
    expect(loaded.notices[0]?.params?.['entries']).toBe('"Corp" (host)');
  });

  it('refuses every field the editor refuses: remote host, ports, name, a port another tunnel took', () => {
    const cases: [Partial<TunnelConfig>, string[]][] = [
      [{ remoteHost: 'db;rm -rf' }, ['remoteHost']],
      [{ remotePort: 0 }, ['remotePort']],
      [{ localPort: 65_536 }, ['localPort']],
      [{ name: '' }, ['name']],
      [{ name: 'x'.repeat(101) }, ['name']],
      [{ name: ' padded ' }, ['name']],
      [{ localPort: good.localPort }, ['localPort']],
    ];
    for (const [change, fields] of cases) {
      const second = { ...good, id: 't-second', localPort: 14000, ...change };
      const parsed = parseSettingsFile({ ...DEFAULT_SETTINGS, tunnels: [good, second] });
      expect(parsed?.settings.tunnels, JSON.stringify(change)).toEqual([good]);
      expect(parsed?.refused.map((r) => r.fields)).toEqual([fields]);
    }
    // A valid zone id is an interface name, and loads.
    const zoned = { ...good, localHost: 'fe80::1%eth0' };
    expect(parseSettingsFile({ ...DEFAULT_SETTINGS, tunnels: [zoned] })?.refused).toEqual([]);
  });

  it('still treats the wrong shape as a damaged file (wrong types, duplicate ids)', () => {
    expect(
      parseSettingsFile({ ...DEFAULT_SETTINGS, tunnels: [{ ...good, localPort: '1' }] }),
    ).toBeNull();
    expect(parseSettingsFile({ ...DEFAULT_SETTINGS, tunnels: [good, good] })).toBeNull();
    expect(parseSettingsFile({ ...DEFAULT_SETTINGS, relay: { ...relay, extra: 1 } })).toBeNull();
    expect(parseSettingsFile([])).toBeNull();
  });
});

// A settings.json edited by hand (or by anything that can write the data dir) with hostile
// hosts, read by the real services at start: the relay profile and the tunnel are refused with
// a notice, the rest loads, and no command line is ever built from the refused values.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import { createMemorySecretStore } from '../../src-main/services/secret-store';
import type { LaunchCommand } from '../../src-main/services/tunnel-launcher';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const tunnel = (id: string, name: string, localHost: string, localPort: number) => ({
  id,
  name,
  kind: 'ssh',
  localHost,
  localPort,
  remoteHost: '10.0.0.22',
  remotePort: 22,
  enabled: false,
});

describe('settings.json with hostile hosts', () => {
  it('is refused entry by entry at start, and nothing hostile reaches the launcher', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cb-hostile-settings-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    writeFileSync(
      join(dataDir, 'settings.json'),
      JSON.stringify({
        relay: {
          id: 'corp',
          name: 'Corp',
          host: 'relay.example"; open -a Calculator; "',
          port: 443,
          caFile: null,
          pinSha256: null,
          serverName: null,
          insecure: false,
          opener: 'auto',
          builtin: false,
        },
        tunnels: [
          tunnel('t-ok', 'Box', '127.0.0.1', 40_122),
          tunnel('t-evil', 'Evil', 'fe80::1%x;open -a Calculator', 40_123),
          tunnel('t-amp', 'Amp', 'fe80::1%x&calc', 40_124),
        ],
        autoConnect: true,
        launchAtLogin: false,
        notifications: { connectionLost: true, connectionRestored: true, tokenExpiry: true },
        language: 'en',
      }),
    );
    const launched: LaunchCommand[] = [];
    for (const platform of ['win32', 'darwin', 'linux'] as const) {
      const app: AppServices = createAppServices({
        dataDir,
        platform,
        secretStore: createMemorySecretStore(),
        startBuiltinRelay: null,
        launch: (command) => {
          launched.push(command);
          return Promise.resolve();
        },
      });
      cleanups.push(() => app.close());
      await app.start();
      const snapshot = app.controller.snapshot();
      expect(snapshot.settings.relay).toBeNull();
      expect(snapshot.settings.tunnels.map((t) => t.id)).toEqual(['t-ok']);
      for (const id of ['t-evil', 't-amp']) {
        const opened = await app.router.handle('cloudbridge:tunnel.open', { id });
        expect(opened).toMatchObject({ ok: false, error: { code: 'invalid_tunnel_info' } });
      }
      expect((await app.router.handle('cloudbridge:tunnel.open', { id: 't-ok' })).ok).toBe(true);
      if (platform === 'win32') {
        // The first start names what it refused; later starts read the cleaned file.
        const notice = snapshot.notices.find((n) => n.kind === 'settings_reset');
        const entries = String(notice?.params?.['entries']);
        expect(entries).toContain('"Corp" (host)');
        expect(entries).toContain('"Evil" (localHost)');
        expect(entries).toContain('"Amp" (localHost)');
      }
      await app.close();
    }
    expect(launched).toHaveLength(3);
    expect(JSON.stringify(launched)).not.toMatch(/Calculator|calc|%x/);
  });
});

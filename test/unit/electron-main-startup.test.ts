// main.ts's start-up and session end against the stand-in electron module: the window and
// the tray are up while start() still waits on a slow keychain, and say "Unlocking
// keychain…" (E5); the session ending writes the traffic totals at once, synchronously,
// and a Linux/macOS shutdown quits cleanly (E7).
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { electronStandIn } from '../harness/electron-stand-in';
import { createFakeUtilityProcess } from '../harness/fake-utility-process';
import { APP_URL } from '../../src-main/electron/app-protocol';
import { flushOnSessionEnd } from '../../src-main/electron/app-lifecycle';
import { DEFAULT_SETTINGS } from '../../src-main/services/settings-file';
import { TOTALS_FILE, createSettingsStore } from '../../src-main/services/settings-store';
import type { Result } from '../../src-main/shared/ipc-contract';
import type * as SecretStoreModule from '../../src-main/services/secret-store';

const keychain = vi.hoisted(() => {
  let release: (value: string | null) => void = () => undefined;
  const gate = new Promise<string | null>((resolve) => (release = resolve));
  return { gate, release: (v: string | null) => release(v), asked: 0 };
});

vi.mock('../../src-main/services/secret-store', async (importOriginal) => {
  const real = await importOriginal<typeof SecretStoreModule>();
  return {
    ...real,
    // A keychain that prompts: every read waits until the test "unlocks" it.
    createKeytarSecretStore: () => ({
      kind: 'keychain',
      get: () => {
        keychain.asked += 1;
        return keychain.gate;
      },
      set: () => Promise.resolve(),
      delete: () => Promise.resolve(),
    }),
  };
});

const userData = mkdtempSync(join(tmpdir(), 'cb-main-start-'));
afterAll(() => rmSync(userData, { recursive: true, force: true }));

class FakeWindow extends EventEmitter {
  static readonly made: FakeWindow[] = [];
  webContents = Object.assign(new EventEmitter(), {
    mainFrame: { url: APP_URL, parent: null, frameToken: 'f', processId: 1 },
    setWindowOpenHandler: vi.fn(),
    send: vi.fn(),
    session: { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn() },
  });
  loadURL = vi.fn(() => Promise.resolve());
  show = vi.fn();
  hide = vi.fn();
  focus = vi.fn();
  isMinimized = () => false;
  isDestroyed = () => false;
  constructor() {
    super();
    FakeWindow.made.push(this);
  }
}

class FakeTray extends EventEmitter {
  static readonly made: FakeTray[] = [];
  tooltip = '';
  setImage = vi.fn();
  setToolTip(t: string) {
    this.tooltip = t;
  }
  setContextMenu = vi.fn();
  setTitle = vi.fn();
  destroy = vi.fn();
  constructor() {
    super();
    FakeTray.made.push(this);
  }
}

describe('main.ts start-up with a slow keychain', () => {
  it('shows the window and the tray before the keychain answers, saying it is unlocking', async () => {
    // A configured relay: start() must ask the keychain for its token.
    mkdirSync(join(userData, 'userData'), { recursive: true });
    writeFileSync(
      join(userData, 'userData', 'settings.json'),
      JSON.stringify({
        ...DEFAULT_SETTINGS,
        relay: {
          id: 'r1',
          name: 'Relay',
          host: '127.0.0.1',
          port: 9,
          caFile: null,
          pinSha256: null,
          serverName: null,
          insecure: false,
          opener: 'auto',
          builtin: false,
        },
      }),
    );
    const handled = new Map<string, (e: unknown, p: unknown) => Promise<Result<unknown>>>();
    const app = Object.assign(new EventEmitter(), {
      requestSingleInstanceLock: () => true,
      whenReady: () => Promise.resolve(),
      getAppPath: () => '/opt/cloudbridge',
      getPath: (name: string) => join(userData, name),
      getVersion: () => '1.0.0',
      getLocale: () => 'en-US',
      isPackaged: true,
      quit: vi.fn(),
      exit: vi.fn(),
      getLoginItemSettings: () => ({ openAtLogin: false }),
      setLoginItemSettings: vi.fn(),
    });
    const utility = createFakeUtilityProcess();
    const powerMonitor = new EventEmitter();
    Object.assign(electronStandIn, {
      app,
      protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
      net: { isOnline: () => true, fetch: vi.fn() },
      ipcMain: Object.assign(new EventEmitter(), {
        handle: (c: string, fn: never) => handled.set(c, fn),
        removeHandler: (c: string) => handled.delete(c),
      }),
      BrowserWindow: FakeWindow,
      Tray: FakeTray,
      // The tray listens for its menu opening and closing (src-main/electron/tray.ts).
      Menu: {
        buildFromTemplate: (items: unknown[]) => Object.assign(new EventEmitter(), { items }),
      },
      nativeImage: { createFromPath: (p: string) => ({ path: p, setTemplateImage: vi.fn() }) },
      shell: { openExternal: vi.fn(), openPath: vi.fn(() => Promise.resolve('')) },
      dialog: { showSaveDialog: vi.fn(), showErrorBox: vi.fn(), showMessageBox: vi.fn() },
      powerMonitor,
      Notification: Object.assign(vi.fn(), { isSupported: () => false }),
      utilityProcess: utility,
    });

    await import('../../src-main/main');
    await vi.waitFor(() => expect(keychain.asked).toBeGreaterThan(0), { timeout: 15_000 });
    // The keychain has not answered, and the user already sees the app.
    expect(FakeWindow.made).toHaveLength(1);
    expect(FakeTray.made).toHaveLength(1);
    await vi.waitFor(() =>
      expect(FakeTray.made[0]!.tooltip).toBe('CloudBridge — Unlocking keychain…'),
    );
    const frame = FakeWindow.made[0]!.webContents;
    const ask = () =>
      handled.get('cloudbridge:app.snapshot')!(
        { sender: frame, senderFrame: frame.mainFrame },
        undefined,
      );
    expect(JSON.stringify(await ask())).toContain('"kind":"keychain_unlocking"');
    // The engine host child was started meanwhile, in a utility process.
    expect(utility.forked.map((f) => f.path)).toEqual([
      join('/opt/cloudbridge', 'dist', 'engine-host', 'host-child.js'),
    ]);

    // The keychain holds no token for this relay: the tray says what would make it work.
    keychain.release(null);
    await vi.waitFor(() => expect(FakeTray.made[0]!.tooltip).toBe('CloudBridge — Not signed in'));
    expect(JSON.stringify(await ask())).not.toContain('keychain_unlocking');

    // E7: the session end is listened for on the window (Windows) and the power monitor.
    const win = FakeWindow.made[0]!;
    expect(win.listenerCount('query-session-end')).toBe(1);
    expect(win.listenerCount('session-end')).toBe(1);
    powerMonitor.emit('shutdown');
    expect(app.quit).toHaveBeenCalled();
  });
});

describe('totals at the end of the session', () => {
  it('are on disk as soon as the session-end event returns, with no await in between', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-totals-'));
    try {
      const store = createSettingsStore({ dataDir: dir, clock: { now: () => Date.now() } });
      await store.load();
      electronStandIn.powerMonitor = new EventEmitter();
      electronStandIn.app = Object.assign(new EventEmitter(), { quit: vi.fn() });
      const win = new EventEmitter();
      flushOnSessionEnd({ window: win as never, flushSync: () => store.flushTotalsSync() });
      store.addTraffic('t1', 1234, 5678);
      win.emit('session-end');
      const path = join(dir, TOTALS_FILE);
      expect(existsSync(path)).toBe(true);
      expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({
        tunnels: { t1: { allTimeIn: 1234, allTimeOut: 5678 } },
      });
      store.addTraffic('t1', 1, 1);
      (electronStandIn.powerMonitor as EventEmitter).emit('shutdown');
      expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({
        tunnels: { t1: { allTimeIn: 1235 } },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

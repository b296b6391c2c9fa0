// The composition root against the stand-in electron module: at start it registers the app
// scheme, takes the single-instance lock, serves every contract channel over IPC, opens the
// hardened window on our origin, draws the tray, and Quit closes the services before exiting.
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { electronStandIn } from '../harness/electron-stand-in';
import { createFakeUtilityProcess } from '../harness/fake-utility-process';
import { APP_URL } from '../../src-main/electron/app-protocol';
import { REQUEST_CHANNELS, type Result } from '../../src-main/shared/ipc-contract';

const userData = mkdtempSync(join(tmpdir(), 'cb-main-'));
afterAll(() => rmSync(userData, { recursive: true, force: true }));

describe('main.ts composition root', () => {
  it('wires window, tray and IPC at ready, and quits only after the services closed', async () => {
    // No Secret Service in this process: should anything ask the keychain, it fails fast.
    process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${join(userData, 'no-bus')}`;
    const app = Object.assign(new EventEmitter(), {
      requestSingleInstanceLock: vi.fn(() => true),
      whenReady: () => Promise.resolve(),
      getAppPath: () => '/opt/cloudbridge',
      getPath: (name: string) => join(userData, name),
      getVersion: () => '9.9.9',
      getLocale: () => 'ru-RU',
      isPackaged: true,
      quit: vi.fn(),
      exit: vi.fn(),
      getLoginItemSettings: () => ({ openAtLogin: false }),
      setLoginItemSettings: vi.fn(),
    });
    const schemes: unknown[] = [];
    const handled = new Map<
      string,
      (event: unknown, payload: unknown) => Promise<Result<unknown>>
    >();
    const windows: FakeWindow[] = [];
    const trays: FakeTray[] = [];
    const contents = Object.assign(new EventEmitter(), {
      mainFrame: { url: APP_URL, parent: null, frameToken: 'f', processId: 1 },
      setWindowOpenHandler: vi.fn(),
      send: vi.fn(),
      session: { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn() },
    });
    class FakeWindow extends EventEmitter {
      webContents = contents;
      loadURL = vi.fn(() => Promise.resolve());
      constructor(readonly options: { webPreferences: Record<string, unknown> }) {
        super();
        windows.push(this);
      }
      show = vi.fn();
      hide = vi.fn();
      focus = vi.fn();
      isMinimized = () => false;
      isDestroyed = () => false;
    }
    class FakeTray extends EventEmitter {
      tooltip = '';
      menu: { items: { label?: string }[] } = { items: [] };
      constructor(readonly image: unknown) {
        super();
        trays.push(this);
      }
      setImage = vi.fn();
      setToolTip(t: string) {
        this.tooltip = t;
      }
      setContextMenu(m: { items: { label?: string }[] }) {
        this.menu = m;
      }
      destroy = vi.fn();
    }
    Object.assign(electronStandIn, {
      app,
      protocol: {
        registerSchemesAsPrivileged: (s: unknown[]) => schemes.push(...s),
        handle: vi.fn(),
      },
      net: { isOnline: () => true, fetch: vi.fn() },
      // electron-log also listens for renderer log messages; we never send any.
      ipcMain: Object.assign(new EventEmitter(), {
        handle: (c: string, fn: never) => handled.set(c, fn),
        removeHandler: (c: string) => handled.delete(c),
      }),
      BrowserWindow: FakeWindow,
      Tray: FakeTray,
      Menu: {
        buildFromTemplate: (items: unknown[]) => Object.assign(new EventEmitter(), { items }),
      },
      nativeImage: { createFromPath: (p: string) => ({ path: p, setTemplateImage: vi.fn() }) },
      shell: { openExternal: vi.fn(), openPath: vi.fn(() => Promise.resolve('')) },
      dialog: { showSaveDialog: vi.fn(), showErrorBox: vi.fn() },
      powerMonitor: new EventEmitter(),
      Notification: Object.assign(vi.fn(), { isSupported: () => false }),
      utilityProcess: createFakeUtilityProcess(),
    });

    await import('../../src-main/main');
    expect(schemes).toEqual([expect.objectContaining({ scheme: 'cloudbridge' })]);
    expect(app.requestSingleInstanceLock).toHaveBeenCalled();
    await vi.waitFor(() => expect(trays).toHaveLength(1), { timeout: 15_000 });

    // Only the contract is served: electron-log's own channel was taken down again.
    expect([...handled.keys()].sort()).toEqual([...REQUEST_CHANNELS].sort());
    expect((electronStandIn.ipcMain as EventEmitter).eventNames()).toEqual([]);
    const win = windows[0]!;
    expect(win.options.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      devTools: false,
    });
    expect(win.options.webPreferences.preload).toBe(
      join('/opt/cloudbridge', 'dist', 'preload', 'preload.js'),
    );
    expect(win.loadURL).toHaveBeenCalledWith(APP_URL);

    // The tray speaks the system language (ru), says nothing is set up yet and offers Quit.
    expect(trays[0]!.tooltip).toContain('Ещё не настроено');
    expect(trays[0]!.menu.items.map((i) => i.label)).toContain('Выход');

    // The tray is up before start() has finished (E5); wait for start to settle.
    await vi.waitFor(
      async () => {
        const s = await handled.get('cloudbridge:app.snapshot')!(
          { sender: contents, senderFrame: contents.mainFrame },
          undefined,
        );
        expect(JSON.stringify(s)).toContain('first_run');
      },
      { timeout: 15_000 },
    );
    // A request from our main frame is served: first run, nothing configured.
    const snapshot = await handled.get('cloudbridge:app.snapshot')!(
      { sender: contents, senderFrame: contents.mainFrame },
      undefined,
    );
    expect(snapshot.ok).toBe(true);
    if (snapshot.ok) {
      const value = snapshot.value as {
        notices: { kind: string }[];
        account: { keychainError: { code: string } | null };
      };
      expect(value.notices.map((n) => n.kind)).toEqual(['first_run']);
      // No relay yet, so the keychain was not asked.
      expect(value.account.keychainError).toBeNull();
    }
    const info = await handled.get('cloudbridge:app.info')!(
      { sender: contents, senderFrame: contents.mainFrame },
      undefined,
    );
    expect(info).toMatchObject({ ok: true, value: { version: '9.9.9' } });

    // Closing the window hides it; Quit waits for the services, then quits for real.
    const close = { preventDefault: vi.fn() };
    win.emit('close', close);
    expect(close.preventDefault).toHaveBeenCalled();
    expect(win.hide).toHaveBeenCalled();
    const quit = { preventDefault: vi.fn() };
    app.emit('before-quit', quit);
    expect(quit.preventDefault).toHaveBeenCalled();
    await vi.waitFor(() => expect(app.quit).toHaveBeenCalled(), { timeout: 10_000 });
    expect(trays[0]!.destroy).toHaveBeenCalled();
    const closeAfterQuit = { preventDefault: vi.fn() };
    win.emit('close', closeAfterQuit);
    expect(closeAfterQuit.preventDefault).not.toHaveBeenCalled();
  });
});

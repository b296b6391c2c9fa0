// The Electron glue against the stand-in electron module: IPC sender and payload checks,
// window options and the denial of navigation/new windows/permissions, close-hides, the
// preload's exposed surface, and Quit closing cleanly (the tray: electron-tray.test.ts).
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { electronStandIn } from '../harness/electron-stand-in';
import {
  APP_URL,
  CONTENT_SECURITY_POLICY,
  isAppUrl,
  resolveAppFile,
} from '../../src-main/electron/app-protocol';
import { installQuitHandling, watchWakeEvents } from '../../src-main/electron/app-lifecycle';
import { isTrustedSender, registerIpcHandlers, sendPush } from '../../src-main/electron/ipc-main';
import { createMainWindow, mainWindowOptions } from '../../src-main/electron/main-window';
import { isAllowedExternalUrl } from '../../src-main/services/external-url';
import { createIpcRouter } from '../../src-main/services/ipc-router';
import {
  EVENT_CHANNELS,
  REQUEST_CHANNELS,
  methodName,
  type Result,
} from '../../src-main/shared/ipc-contract';

type Handler = (event: unknown, payload: unknown) => Promise<Result<unknown>>;

function fakeWindow(url = APP_URL) {
  const mainFrame = { url, parent: null as unknown, frameToken: 'main-token', processId: 4 };
  const sent: [string, unknown][] = [];
  const webContents = { mainFrame, send: (c: string, p: unknown) => sent.push([c, p]) };
  let destroyed = false;
  const window = { webContents, isDestroyed: () => destroyed, destroy: () => (destroyed = true) };
  return { window, webContents, mainFrame, sent };
}

describe('ipc-main', () => {
  const handlers = new Map<string, Handler>();
  const calls: [string, unknown][] = [];
  const router = createIpcRouter({
    handle: (channel, request) => {
      calls.push([channel, request]);
      return Promise.resolve('done' as never);
    },
  });
  beforeEach(() => {
    handlers.clear();
    calls.length = 0;
    electronStandIn.ipcMain = {
      handle: (channel: string, fn: Handler) => handlers.set(channel, fn),
      removeHandler: (channel: string) => handlers.delete(channel),
      removeAllListeners: () => undefined,
    };
  });

  it('registers exactly the contract channels and removes them again', () => {
    const { window } = fakeWindow();
    const off = registerIpcHandlers({ router, getWindow: () => window as never });
    expect([...handlers.keys()].sort()).toEqual([...REQUEST_CHANNELS].sort());
    off();
    expect(handlers.size).toBe(0);
  });

  it('serves our main frame and refuses other senders, iframes, foreign origins and dead windows', async () => {
    const { window, webContents, mainFrame } = fakeWindow();
    const refused: string[] = [];
    registerIpcHandlers({
      router,
      getWindow: () => window as never,
      onRejectedSender: (c) => refused.push(c),
    });
    const handler = handlers.get('cloudbridge:tunnel.remove')!;
    expect(await handler({ sender: webContents, senderFrame: mainFrame }, { id: 't1' })).toEqual({
      ok: true,
      value: 'done',
    });
    expect(calls).toEqual([['cloudbridge:tunnel.remove', { id: 't1' }]]);

    const iframe = { url: APP_URL, parent: mainFrame, frameToken: 'child-token', processId: 4 };
    // The same frame re-wrapped in a new object is still our main frame.
    const rewrapped = { ...mainFrame };
    expect(await handler({ sender: webContents, senderFrame: rewrapped }, { id: 't2' })).toEqual({
      ok: true,
      value: 'done',
    });
    const otherTop = { url: APP_URL, parent: null, frameToken: 'other-token', processId: 4 };
    const otherContents = { mainFrame };
    const foreign = {
      url: 'https://evil.example/index.html',
      parent: null,
      frameToken: 'main-token',
      processId: 4,
    };
    for (const event of [
      { sender: webContents, senderFrame: iframe },
      { sender: otherContents, senderFrame: mainFrame },
      { sender: webContents, senderFrame: null },
      { sender: webContents, senderFrame: otherTop },
    ]) {
      const result = await handler(event, { id: 't1' });
      expect(result).toMatchObject({
        ok: false,
        error: { code: 'protocol_error', detail: 'untrusted sender' },
      });
    }
    expect(
      isTrustedSender({ sender: webContents, senderFrame: foreign } as never, window as never),
    ).toBe(false);
    (webContents as { mainFrame: unknown }).mainFrame = foreign;
    expect(
      await handler({ sender: webContents, senderFrame: foreign }, { id: 't1' }),
    ).toMatchObject({ ok: false });
    (webContents as { mainFrame: unknown }).mainFrame = mainFrame;
    window.destroy();
    expect(
      await handler({ sender: webContents, senderFrame: mainFrame }, { id: 't1' }),
    ).toMatchObject({ ok: false });
    expect(calls.map(([, p]) => p)).toEqual([{ id: 't1' }, { id: 't2' }]);
    expect(refused).toHaveLength(6);
  });

  it('refuses a malformed payload from a trusted sender before the controller', async () => {
    const { window, webContents, mainFrame } = fakeWindow();
    registerIpcHandlers({ router, getWindow: () => window as never });
    const result = await handlers.get('cloudbridge:tunnel.setEnabled')!(
      { sender: webContents, senderFrame: mainFrame },
      { id: 't1', enabled: 'no' },
    );
    expect(result).toMatchObject({ ok: false, error: { code: 'protocol_error' } });
    expect(calls).toEqual([]);
  });

  it('pushes only contract events to a live window', () => {
    const { window, sent } = fakeWindow();
    const payload = { records: [], omitted: 0, catchUp: false };
    expect(sendPush(window as never, { event: 'cloudbridge:logs.appended', payload })).toBe(true);
    expect(
      sendPush(window as never, { event: 'cloudbridge:shell.run', payload: [] } as never),
    ).toBe(false);
    window.destroy();
    expect(sendPush(window as never, { event: 'cloudbridge:logs.appended', payload })).toBe(false);
    expect(sent).toEqual([['cloudbridge:logs.appended', payload]]);
  });
});

describe('main window', () => {
  it('uses a sandboxed, isolated renderer without Node, webviews or packaged devtools', () => {
    const prefs = mainWindowOptions({
      preloadPath: '/app/preload.js',
      isPackaged: true,
    }).webPreferences!;
    expect(prefs).toMatchObject({
      preload: '/app/preload.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      devTools: false,
    });
    expect(
      mainWindowOptions({ preloadPath: 'p', isPackaged: false }).webPreferences?.devTools,
    ).toBe(true);
    expect(mainWindowOptions({ preloadPath: 'p', isPackaged: true }).show).toBe(false);
    expect(CONTENT_SECURITY_POLICY).toContain("connect-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
  });

  it('denies new windows, navigation away, webviews and permissions; opens allow-listed links externally; close hides', async () => {
    const opened: string[] = [];
    const contents = Object.assign(new EventEmitter(), {
      openHandler: undefined as undefined | ((d: { url: string }) => { action: string }),
      setWindowOpenHandler(fn: (d: { url: string }) => { action: string }) {
        this.openHandler = fn;
      },
      session: {
        requestHandler: undefined as
          undefined | ((wc: unknown, p: string, cb: (ok: boolean) => void) => void),
        checkHandler: undefined as undefined | (() => boolean),
        setPermissionRequestHandler(
          fn: (wc: unknown, p: string, cb: (ok: boolean) => void) => void,
        ) {
          this.requestHandler = fn;
        },
        setPermissionCheckHandler(fn: () => boolean) {
          this.checkHandler = fn;
        },
      },
    });
    const instances: FakeWindow[] = [];
    class FakeWindow extends EventEmitter {
      webContents = contents;
      shown = 0;
      hidden = 0;
      loaded: string[] = [];
      constructor(readonly options: unknown) {
        super();
        instances.push(this);
      }
      show() {
        this.shown += 1;
      }
      hide() {
        this.hidden += 1;
      }
      loadURL(url: string) {
        this.loaded.push(url);
        return Promise.resolve();
      }
    }
    electronStandIn.BrowserWindow = FakeWindow;
    let quitting = false;
    const visibility: boolean[] = [];
    createMainWindow({
      preloadPath: '/p.js',
      isPackaged: true,
      externalAllowList: ['github.com'],
      openExternal: (url) => {
        opened.push(url);
        return Promise.resolve();
      },
      isQuitting: () => quitting,
      onVisibilityChange: (v) => visibility.push(v),
    });
    const win = instances[0]!;
    expect(win.loaded).toEqual([APP_URL]);
    expect(win.shown).toBe(0);
    win.emit('ready-to-show');
    expect(win.shown).toBe(1);

    expect(contents.openHandler!({ url: 'https://github.com/cloudbridge' })).toEqual({
      action: 'deny',
    });
    expect(contents.openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(contents.openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    await Promise.resolve();
    expect(opened).toEqual(['https://github.com/cloudbridge']);

    const navigate = (event: string, url: string) => {
      const e = { preventDefault: vi.fn() };
      contents.emit(event, e, url);
      return e.preventDefault.mock.calls.length > 0;
    };
    expect(navigate('will-navigate', 'https://evil.example/')).toBe(true);
    expect(navigate('will-redirect', 'http://127.0.0.1:1/')).toBe(true);
    expect(navigate('will-navigate', 'cloudbridge://app/index.html#/logs')).toBe(false);
    expect(navigate('will-attach-webview', 'cloudbridge://app/')).toBe(true);

    const answers: boolean[] = [];
    contents.session.requestHandler!(contents, 'media', (ok) => answers.push(ok));
    contents.session.requestHandler!(contents, 'notifications', (ok) => answers.push(ok));
    expect(answers).toEqual([false, false]);
    expect(contents.session.checkHandler!()).toBe(false);

    const closeEvent = { preventDefault: vi.fn() };
    win.emit('close', closeEvent);
    expect(closeEvent.preventDefault).toHaveBeenCalled();
    expect(win.hidden).toBe(1);
    quitting = true;
    const quitClose = { preventDefault: vi.fn() };
    win.emit('close', quitClose);
    expect(quitClose.preventDefault).not.toHaveBeenCalled();
    win.emit('show');
    win.emit('hide');
    expect(visibility).toEqual([true, false]);
  });

  it('allows external links only over https to listed hosts', () => {
    expect(isAllowedExternalUrl('https://docs.github.com/x', ['github.com'])).toBe(true);
    expect(isAllowedExternalUrl('https://github.com.evil.example/', ['github.com'])).toBe(false);
    expect(isAllowedExternalUrl('http://github.com/', ['github.com'])).toBe(false);
    expect(isAllowedExternalUrl('https://user@github.com/', ['github.com'])).toBe(false);
  });

  it('serves only files inside the renderer folder from our own origin', () => {
    const root = '/opt/app/dist/renderer';
    expect(resolveAppFile('cloudbridge://app/', root)).toBe(join(root, 'index.html'));
    expect(resolveAppFile('cloudbridge://app/assets/main.js', root)).toBe(
      join(root, 'assets/main.js'),
    );
    // Dot segments are folded by the URL parser; an encoded slash survives it and is caught here.
    expect(resolveAppFile('cloudbridge://app/%2e%2e/%2e%2e/secret', root)).toBe(
      join(root, 'secret'),
    );
    expect(resolveAppFile('cloudbridge://app/..%2f..%2f..%2fetc%2fpasswd', root)).toBeNull();
    expect(resolveAppFile('cloudbridge://other/index.html', root)).toBeNull();
    expect(isAppUrl('https://app/index.html')).toBe(false);
  });
});

describe('preload', () => {
  it('exposes one named method per request channel and on() for contract events only', async () => {
    const exposed: Record<string, unknown> = {};
    const invoked: [string, unknown][] = [];
    const ipc = new EventEmitter();
    electronStandIn.contextBridge = {
      exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api),
    };
    electronStandIn.ipcRenderer = Object.assign(ipc, {
      invoke: (channel: string, payload: unknown) => {
        invoked.push([channel, payload]);
        return Promise.resolve({ ok: true, value: null });
      },
    });
    await import('../../src-main/preload/preload');
    expect(Object.keys(exposed)).toEqual(['cloudbridge']);
    const api = exposed.cloudbridge as Record<string, (...args: unknown[]) => unknown>;
    expect(Object.keys(api).sort()).toEqual(
      [...REQUEST_CHANNELS.map((c) => methodName(c)), 'on'].sort(),
    );
    expect(Object.isFrozen(api)).toBe(true);
    await api.tunnelSetEnabled!({ id: 't1', enabled: true });
    expect(invoked).toEqual([['cloudbridge:tunnel.setEnabled', { id: 't1', enabled: true }]]);

    const received: unknown[] = [];
    const off = api.on!(EVENT_CHANNELS[0], (p: unknown) => received.push(p)) as () => void;
    ipc.emit(
      'cloudbridge:app.changed',
      { sender: 'event object stays in the preload' },
      { seq: 1 },
    );
    off();
    ipc.emit('cloudbridge:app.changed', {}, { seq: 2 });
    expect(received).toEqual([{ seq: 1 }]);
    expect(() => api.on!('cloudbridge:secret.stuff', () => undefined)).toThrow(/unknown event/);
  });
});

describe('quit handling', () => {
  it('holds the first quit until shutdown finished, then quits for real', async () => {
    const app = Object.assign(new EventEmitter(), { quit: vi.fn() });
    electronStandIn.app = app;
    let release: () => void = () => undefined;
    const shutdown = vi.fn(() => new Promise<void>((r) => (release = r)));
    let quitting = false;
    installQuitHandling({ shutdown, onQuitting: () => (quitting = true) });
    const first = { preventDefault: vi.fn() };
    app.emit('before-quit', first);
    expect(first.preventDefault).toHaveBeenCalled();
    expect(quitting).toBe(true);
    const second = { preventDefault: vi.fn() };
    app.emit('before-quit', second);
    expect(shutdown).toHaveBeenCalledTimes(1);
    expect(app.quit).not.toHaveBeenCalled();
    release();
    await vi.waitFor(() => expect(app.quit).toHaveBeenCalledTimes(1));
    const last = { preventDefault: vi.fn() };
    app.emit('before-quit', last);
    expect(last.preventDefault).not.toHaveBeenCalled();
  });
});

describe('wake events', () => {
  it('reconnects on resume, unlock and the network coming back, and stops listening when disposed', () => {
    const power = new EventEmitter();
    let online = true;
    electronStandIn.powerMonitor = power;
    electronStandIn.net = { isOnline: () => online };
    const timers: (() => void)[] = [];
    const clock = {
      now: () => 0,
      setTimeout: (fn: () => void) => timers.push(fn),
      clearTimeout: () => undefined,
    };
    const tick = () => timers.splice(0).forEach((fn) => fn());
    const reasons: string[] = [];
    const dispose = watchWakeEvents({ clock, onWake: (r) => reasons.push(r) });
    power.emit('resume');
    power.emit('unlock-screen');
    tick(); // still online: nothing
    online = false;
    tick();
    online = true;
    tick();
    tick();
    expect(reasons).toEqual(['resume', 'unlock', 'network']);
    dispose();
    power.emit('resume');
    expect(reasons).toHaveLength(3);
    expect(power.listenerCount('resume')).toBe(0);
  });
});

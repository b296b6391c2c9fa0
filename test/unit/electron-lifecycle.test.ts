// Process-level Electron behaviour against the stand-in electron module: launch at login can
// be switched off again on Windows, a login start stays in the tray on every OS, the dock
// icon brings the window back, notifications live until clicked, Windows toasts carry the
// app's identity, stray errors are logged, and a refused tray action is reported.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { electronStandIn } from '../harness/electron-stand-in';
import { REPO_ROOT } from '../harness/bundle';
import {
  APP_USER_MODEL_ID,
  applyLaunchAtLogin,
  heldNotificationCount,
  reportUncaughtErrors,
  revealOnActivate,
  setWindowsAppIdentity,
  showNotification,
  startedAtLogin,
} from '../../src-main/electron/app-lifecycle';
import { ServiceError } from '../../src-main/services/errors';
import { createIpcRouter } from '../../src-main/services/ipc-router';
import { runTrayRequest, trayActionRequest } from '../../src-main/services/tray-actions';

class FakeNotification extends EventEmitter {
  static readonly shown: FakeNotification[] = [];
  static isSupported = (): boolean => true;
  constructor(readonly options: { title: string; body: string }) {
    super();
  }
  show(): void {
    FakeNotification.shown.push(this);
  }
}

function fakeApp(loginItem: { openAtLogin: boolean; wasOpenedAtLogin?: boolean }) {
  return Object.assign(new EventEmitter(), {
    getLoginItemSettings: vi.fn((options?: { args?: string[] }) =>
      // Windows semantics: an item registered with --hidden is found only when asked with it.
      ({ ...loginItem, openAtLogin: loginItem.openAtLogin && options?.args?.[0] === '--hidden' }),
    ),
    setLoginItemSettings: vi.fn(),
    setAppUserModelId: vi.fn(),
  });
}

beforeEach(() => {
  FakeNotification.shown.length = 0;
  electronStandIn.Notification = FakeNotification;
});

describe('launch at login', () => {
  it('turns a Windows login item off again: it is looked up with the args it was made with', async () => {
    const app = fakeApp({ openAtLogin: true });
    electronStandIn.app = app;
    await applyLaunchAtLogin(false, 'win32');
    expect(app.getLoginItemSettings).toHaveBeenCalledWith({ args: ['--hidden'] });
    expect(app.setLoginItemSettings).toHaveBeenCalledWith({
      openAtLogin: false,
      args: ['--hidden'],
    });
  });

  it('stays in the tray when the OS started it: --hidden on Windows/Linux, wasOpenedAtLogin on macOS', () => {
    electronStandIn.app = fakeApp({ openAtLogin: true, wasOpenedAtLogin: true });
    expect(startedAtLogin('darwin', ['/Applications/CloudBridge'])).toBe(true);
    expect(startedAtLogin('win32', ['CloudBridge.exe', '--hidden'])).toBe(true);
    expect(startedAtLogin('linux', ['cloudbridge'])).toBe(false);
    electronStandIn.app = fakeApp({ openAtLogin: true, wasOpenedAtLogin: false });
    expect(startedAtLogin('darwin', ['/Applications/CloudBridge'])).toBe(false);
  });
});

describe('window and notifications', () => {
  it('brings the window back when the dock icon is clicked', () => {
    const app = fakeApp({ openAtLogin: false });
    electronStandIn.app = app;
    const reveal = vi.fn();
    revealOnActivate(reveal);
    app.emit('activate');
    expect(reveal).toHaveBeenCalledOnce();
  });

  it('holds each notification until it is clicked or closed, and the click still arrives', () => {
    const clicked = vi.fn();
    const before = heldNotificationCount();
    showNotification({ title: 'CloudBridge', body: 'one' }, clicked);
    showNotification({ title: 'CloudBridge', body: 'two' });
    expect(heldNotificationCount()).toBe(before + 2);
    FakeNotification.shown[0]!.emit('click');
    expect(clicked).toHaveBeenCalledOnce();
    FakeNotification.shown[1]!.emit('close');
    expect(heldNotificationCount()).toBe(before);
  });

  it('gives Windows toasts the appId the installer registers', () => {
    const app = fakeApp({ openAtLogin: false });
    electronStandIn.app = app;
    setWindowsAppIdentity('darwin');
    expect(app.setAppUserModelId).not.toHaveBeenCalled();
    setWindowsAppIdentity('win32');
    expect(app.setAppUserModelId).toHaveBeenCalledWith(APP_USER_MODEL_ID);
    const builder = parse(readFileSync(join(REPO_ROOT, 'electron-builder.yml'), 'utf8')) as {
      appId: string;
    };
    expect(builder.appId).toBe(APP_USER_MODEL_ID);
  });
});

describe('errors nobody handled', () => {
  it('logs uncaught exceptions and unhandled rejections instead of dying', () => {
    const target = new EventEmitter();
    const logged: [string, unknown][] = [];
    reportUncaughtErrors((kind, error) => logged.push([kind, error]), target);
    const boom = new Error('boom');
    target.emit('uncaughtException', boom);
    target.emit('unhandledRejection', 'nope');
    expect(logged).toEqual([
      ['uncaught_exception', boom],
      ['unhandled_rejection', 'nope'],
    ]);
  });
});

describe('tray actions', () => {
  it('sends tray clicks through the router and hands a refusal back instead of dropping it', async () => {
    const seen: [string, unknown][] = [];
    const router = createIpcRouter({
      handle: (channel, payload) => {
        seen.push([channel, payload]);
        if (channel === 'cloudbridge:session.connect')
          return Promise.reject(new ServiceError('token_missing', 'Paste a token first.'));
        return Promise.resolve(undefined as never);
      },
    });
    const connect = trayActionRequest({ type: 'connect' })!;
    expect(await runTrayRequest(router, connect)).toMatchObject({
      code: 'token_missing',
      message: 'Paste a token first.',
    });
    const toggle = trayActionRequest({ type: 'toggleTunnel', tunnelId: 't-1', enabled: false })!;
    expect(await runTrayRequest(router, toggle)).toBeNull();
    expect(seen.at(-1)).toEqual(['cloudbridge:tunnel.setEnabled', { id: 't-1', enabled: false }]);
    expect(trayActionRequest({ type: 'openWindow' })).toBeNull();
    expect(trayActionRequest({ type: 'quit' })).toBeNull();
  });
});

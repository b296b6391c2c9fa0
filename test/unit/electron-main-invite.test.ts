// main.ts hands connection links from the OS to the services, against the stand-in electron
// module: the .cloudbridge file in the app's own command line, a second instance's command
// line (Windows, Linux), and macOS's open-url and open-file each become the pending invite the
// window's snapshot shows, and bring the window up.
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { electronStandIn } from '../harness/electron-stand-in';
import { createFakeUtilityProcess } from '../harness/fake-utility-process';
import { APP_URL } from '../../src-main/electron/app-protocol';
import { inviteFileText } from '../../src-main/protocol/invite-link';
import { issueCertificate } from '../../src-main/relay/certs';
import { issueInvite } from '../../src-main/relay/invite-issuer';
import type { AppSnapshot, Result } from '../../src-main/shared/ipc-contract';

const userData = mkdtempSync(join(tmpdir(), 'cb-main-invite-'));
afterAll(() => rmSync(userData, { recursive: true, force: true }));

describe('main.ts and connection links', () => {
  // A whole app start on a loaded 2-core machine: bounded, but above vitest's 5 s default.
  it(
    'hands the launch file, a second instance, open-url and open-file to the services',
    { timeout: 30_000 },
    async () => {
      process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${join(userData, 'no-bus')}`;
      const relay = await issueCertificate({ commonName: 'relay', ipAddresses: ['127.0.0.1'] });
      const link = async (subject: string) =>
        (
          await issueInvite({
            certPem: relay.cert,
            keyPem: relay.key,
            extraCaPem: null,
            host: '127.0.0.1',
            port: 8443,
            serverName: null,
            subject,
            tenant: null,
            ttlSec: 3600,
            token: null,
            nowSec: Math.floor(Date.now() / 1000),
          })
        ).link;
      const fileFor = async (subject: string) => {
        const path = join(userData, `${subject}.cloudbridge`);
        writeFileSync(path, inviteFileText(await link(subject)));
        return path;
      };

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
        isDefaultProtocolClient: () => true,
        setAsDefaultProtocolClient: vi.fn(),
      });
      const handled = new Map<string, (e: unknown, p: unknown) => Promise<Result<unknown>>>();
      const contents = Object.assign(new EventEmitter(), {
        mainFrame: { url: APP_URL, parent: null, frameToken: 'f', processId: 1 },
        setWindowOpenHandler: vi.fn(),
        send: vi.fn(),
        session: { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn() },
      });
      const windows: FakeWindow[] = [];
      class FakeWindow extends EventEmitter {
        webContents = contents;
        loadURL = vi.fn(() => Promise.resolve());
        show = vi.fn();
        hide = vi.fn();
        focus = vi.fn();
        isMinimized = () => false;
        isDestroyed = () => false;
        constructor() {
          super();
          windows.push(this);
        }
      }
      // The tray and its menus are not the point here: whatever they are asked to do is a no-op
      // on an event emitter, so this test follows the links whatever the tray grows.
      const inert = <T extends object>(target: T): T =>
        new Proxy(target, {
          get: (t, name, receiver) =>
            name in t ? Reflect.get(t, name, receiver) : () => undefined,
        });
      class FakeTray extends EventEmitter {
        constructor() {
          super();
          return inert(this);
        }
      }
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
        Menu: {
          buildFromTemplate: (items: unknown[]) =>
            inert(Object.assign(new EventEmitter(), { items })),
        },
        nativeImage: { createFromPath: (p: string) => ({ path: p, setTemplateImage: vi.fn() }) },
        shell: { openExternal: vi.fn(), openPath: vi.fn(() => Promise.resolve('')) },
        dialog: { showSaveDialog: vi.fn(), showErrorBox: vi.fn(), showMessageBox: vi.fn() },
        powerMonitor: new EventEmitter(),
        Notification: Object.assign(vi.fn(), { isSupported: () => false }),
        utilityProcess: createFakeUtilityProcess(),
      });

      // Started by opening a .cloudbridge file: the path is in the app's own command line.
      const launchFile = await fileFor('dave');
      const argv = process.argv;
      process.argv = [process.execPath, launchFile];
      try {
        await import('../../src-main/main');
      } finally {
        process.argv = argv;
      }
      const snapshot = async (): Promise<AppSnapshot> => {
        const reply = await handled.get('cloudbridge:app.snapshot')!(
          { sender: contents, senderFrame: contents.mainFrame },
          undefined,
        );
        if (!reply.ok) throw new Error(reply.error.message);
        return reply.value as AppSnapshot;
      };
      const pendingSubject = async () => (await snapshot()).invite.pending?.subject;
      await vi.waitFor(async () => expect(await pendingSubject()).toBe('dave'), {
        timeout: 15_000,
      });

      const win = windows[0]!;
      win.show.mockClear();
      app.emit(
        'second-instance',
        {},
        ['/opt/cloudbridge/cloudbridge', '--no-sandbox', await link('bob')],
        '/',
      );
      await vi.waitFor(async () => expect(await pendingSubject()).toBe('bob'));
      expect(win.show).toHaveBeenCalled();

      const urlEvent = { preventDefault: vi.fn() };
      app.emit('open-url', urlEvent, await link('carol'));
      await vi.waitFor(async () => expect(await pendingSubject()).toBe('carol'));
      expect(urlEvent.preventDefault).toHaveBeenCalled();

      app.emit('open-file', { preventDefault: vi.fn() }, await fileFor('erin'));
      await vi.waitFor(async () => expect(await pendingSubject()).toBe('erin'));

      // A tampered link handed over is refused with its code, and the pending one stays.
      app.emit('open-url', { preventDefault: vi.fn() }, `${await link('mallory')}x`);
      await vi.waitFor(async () =>
        expect((await snapshot()).invite.problem?.error.code).toBe('invite_invalid'),
      );
      expect(await pendingSubject()).toBe('erin');
    },
  );
});

// Electron entry: the composition root and nothing more. Builds the services (services/
// app-services.ts) with the real keychain and electron-log, then the window, tray, IPC and
// lifecycle glue from src-main/electron. No decisions are made here.

import { app, clipboard, dialog, shell, type BrowserWindow } from 'electron';
import { join } from 'node:path';
import { createAppServices, type AppServices } from './services/app-services';
import { createInviteInbox, inviteInputFromArgv } from './services/invite-handover';
import type { InviteInput } from './services/invite-links';
import { createKeytarSecretStore } from './services/secret-store';
import { runTrayRequest, trayActionRequest } from './services/tray-actions';
import { buildTrayModel, resolveLanguage } from './services/tray-model';
import type { AppSnapshot } from './shared/ipc-contract';
import { errorTextKey } from './shared/i18n/error-advice';
import { translatorFor, type Translator } from './shared/i18n/translator';
import type { TrayAction } from './shared/tray-types';
import { handleAppProtocol, registerAppScheme } from './electron/app-protocol';
import {
  acquireSingleInstance,
  applyLaunchAtLogin,
  firstStartHint,
  flushOnSessionEnd,
  installQuitHandling,
  receiveOpenRequests,
  registerLinkScheme,
  reportUncaughtErrors,
  revealOnActivate,
  setWindowsAppIdentity,
  showNotification,
  startedAtLogin,
  watchWakeEvents,
} from './electron/app-lifecycle';
import { registerIpcHandlers, sendPush } from './electron/ipc-main';
import { createElectronLogWriter } from './electron/log-setup';
import { createRelayChangeDialog } from './electron/relay-change-dialog';
import { createMainWindow, revealWindow } from './electron/main-window';
import { installTestHooks } from './electron/test-hooks';
import { createAppTray, type AppTray } from './electron/tray';
import { createUtilityTransport } from './electron/utility-transport';
import { systemClock } from './shared/clock';

/** Hosts the renderer may open in the system browser. */
const EXTERNAL_ALLOW_LIST = ['github.com'];

let window: BrowserWindow | null = null;
let tray: AppTray | null = null;
let services: AppServices | null = null;
let quitting = false;

registerAppScheme();
setWindowsAppIdentity(process.platform);

// Connection links from the OS, held until the services are up (services/invite-handover.ts).
const invites = createInviteInbox();
const handOver = (input: InviteInput | null): void => {
  revealWindow(window);
  if (input !== null) invites.push(input);
};

if (!acquireSingleInstance((argv, cwd) => handOver(inviteInputFromArgv(argv, cwd)))) {
  app.quit();
} else {
  receiveOpenRequests(handOver);
  const launchLink = inviteInputFromArgv(process.argv, process.cwd());
  if (launchLink !== null) invites.push(launchLink);
  installQuitHandling({
    onQuitting: () => {
      quitting = true;
    },
    shutdown: async () => {
      tray?.destroy();
      await services?.close();
    },
  });
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      dialog.showErrorBox(
        'CloudBridge could not start',
        error instanceof Error ? error.message : String(error),
      );
      app.exit(1);
    });
}

async function start(): Promise<void> {
  const appRoot = app.getAppPath();
  handleAppProtocol(join(appRoot, 'dist', 'renderer'));
  const logDirectory = app.getPath('logs');
  const svc = createAppServices({
    dataDir: app.getPath('userData'),
    secretStore: createKeytarSecretStore(),
    clock: systemClock,
    logDirectory,
    logWriter: createElectronLogWriter({ directory: logDirectory }),
    appInfo: { version: app.getVersion() },
    externalAllowList: EXTERNAL_ALLOW_LIST,
    openExternal: (url) => shell.openExternal(url),
    openPath: async (path) => {
      const problem = await shell.openPath(path);
      if (problem) throw new Error(problem);
    },
    chooseExportPath: async (defaultName) => {
      const result = await dialog.showSaveDialog({
        defaultPath: join(app.getPath('documents'), defaultName),
      });
      return result.canceled || result.filePath === undefined ? null : result.filePath;
    },
    chooseCaFile: async () => {
      const options = {
        properties: ['openFile' as const],
        filters: [{ name: 'PEM', extensions: ['pem', 'crt', 'cer'] }],
      };
      const result = window
        ? await dialog.showOpenDialog(window, options)
        : await dialog.showOpenDialog(options);
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
    readClipboardText: () => Promise.resolve(clipboard.readText()),
    writeClipboard: (text) => clipboard.writeText(text),
    confirmRelayChange: createRelayChangeDialog(
      () => window,
      () => (services ? appTranslator(services) : translatorFor('en')),
    ),
    systemLanguage: app.getLocale(),
    // The engine and the built-in relay run in a utility process (src-main/engine-host).
    engineHost: {
      start: (onOutput) =>
        createUtilityTransport(join(appRoot, 'dist', 'engine-host', 'host-child.js'), { onOutput }),
    },
  });
  services = svc;
  reportUncaughtErrors((kind, error) =>
    svc.logger.log('error', kind, {
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    }),
  );

  registerIpcHandlers({
    router: svc.router,
    getWindow: () => window,
    onRejectedSender: (channel, url) =>
      svc.logger.log('warn', 'ipc_sender_refused', { channel, url }),
  });
  svc.onEvent((push) => sendPush(window, push));
  svc.onNotification((n) => showNotification(n, () => revealWindow(window)));

  // Window and tray first (E5): start() may wait on a keychain prompt, and the window says so.
  window = createMainWindow({
    preloadPath: join(appRoot, 'dist', 'preload', 'preload.js'),
    isPackaged: app.isPackaged,
    iconPath: join(appRoot, 'assets', 'icon.png'),
    externalAllowList: EXTERNAL_ALLOW_LIST,
    isQuitting: () => quitting,
    onVisibilityChange: (visible) => svc.setWindowVisible(visible),
    showOnReady: !startedAtLogin(process.platform, process.argv),
  });
  revealOnActivate(() => revealWindow(window));
  flushOnSessionEnd({
    window,
    flushSync: () => svc.settings.flushTotalsSync(),
    onError: (error) => svc.logger.log('warn', 'totals_flush_failed', { error: String(error) }),
  });

  const trayModel = (snapshot: AppSnapshot) =>
    buildTrayModel(snapshot, {
      language: resolveLanguage(snapshot.settings.language, app.getLocale()),
      nowMs: systemClock.now(),
      platform: process.platform,
    });
  const dispatch = (action: TrayAction) => {
    void runTrayAction(svc, action);
  };
  tray = createAppTray({
    assetsDir: join(appRoot, 'assets'),
    platform: process.platform,
    dispatch,
    initial: trayModel(svc.controller.snapshot()),
    now: () => systemClock.now(),
  });

  svc.controller.onChange((snapshot) => tray?.update(trayModel(snapshot)));
  installTestHooks({
    hasTray: () => tray !== null,
    engineHostPid: () => svc.engineHost?.status().pid ?? null,
  });

  await svc.start();
  registerLinkScheme(process.platform, app.isPackaged);
  invites.attach((input) => void svc.controller.receiveInvite(input));

  const applyLoginItem = (enabled: boolean) =>
    applyLaunchAtLogin(enabled).catch((error: unknown) =>
      svc.logger.log('warn', 'launch_at_login_failed', { enabled, error: String(error) }),
    );
  let launchAtLogin = svc.controller.snapshot().settings.launchAtLogin;
  void applyLoginItem(launchAtLogin);
  svc.controller.onChange((snapshot) => {
    if (snapshot.settings.launchAtLogin !== launchAtLogin) {
      launchAtLogin = snapshot.settings.launchAtLogin;
      void applyLoginItem(launchAtLogin);
    }
  });
  // "Next try in N s" counts down between state changes: the tooltip and title follow at once,
  // the menu only while it is closed (electron/tray.ts).
  setInterval(() => {
    const snapshot = svc.controller.snapshot();
    if (snapshot.engine.state === 'reconnecting') tray?.update(trayModel(snapshot));
  }, 1_000).unref();

  watchWakeEvents({ clock: systemClock, onWake: (reason) => svc.controller.reconnectNow(reason) });
  if (svc.controller.snapshot().notices.some((n) => n.kind === 'first_run')) {
    showNotification(firstStartHint(process.platform, appTranslator(svc)), () =>
      revealWindow(window),
    );
  }
}

async function runTrayAction(svc: AppServices, action: TrayAction): Promise<void> {
  if (action.type === 'openWindow') return revealWindow(window);
  if (action.type === 'showView') {
    revealWindow(window);
    sendPush(window, {
      event: 'cloudbridge:window.show',
      payload: { view: action.view, tunnelId: action.tunnelId },
    });
    return;
  }
  if (action.type === 'quit') return app.quit();
  const request = trayActionRequest(action);
  if (request === null) return;
  const error = await runTrayRequest(svc.router, request);
  if (error === null) return;
  // A refusal from the tray has no form to show it in: it becomes a notification.
  svc.logger.log('warn', 'tray_action_failed', { action: action.type, code: error.code });
  const t = appTranslator(svc);
  showNotification({ title: t('app.title'), body: t(errorTextKey(error.code)) }, () =>
    revealWindow(window),
  );
}

/** The app's language as the settings and the OS resolve it now. */
function appTranslator(svc: AppServices): Translator {
  const { language } = svc.controller.snapshot().settings;
  return translatorFor(resolveLanguage(language, app.getLocale()));
}

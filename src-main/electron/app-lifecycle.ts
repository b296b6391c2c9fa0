// Process-level behaviour of the desktop app: one instance (a second start focuses the first
// and hands over its command line), connection links from the OS, Quit that closes tunnels
// cleanly before exiting, resume/unlock/network-back -> reconnect now, system notifications,
// launch at login. Decisions live in the services.

import { Notification, app, net, powerMonitor, type BrowserWindow } from 'electron';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AppNotification } from '../services/app-controller';
import type { InviteInput } from '../services/invite-links';
import { nodeStoreFs } from '../services/atomic-json';
import { setLinuxAutostart } from '../services/linux-autostart';
import type { Clock } from '../shared/clock';
import type { Translator } from '../shared/i18n/translator';

/**
 * False when another instance runs: this one must quit. The first one is told to show up, with
 * the second one's command line and working directory: on Windows and Linux that is how a
 * connection link or a .cloudbridge file opened from the OS reaches the running app.
 */
export function acquireSingleInstance(
  onSecondInstance: (argv: readonly string[], workingDirectory: string) => void,
): boolean {
  if (!app.requestSingleInstanceLock()) return false;
  app.on('second-instance', (_event, argv, workingDirectory) =>
    onSecondInstance(argv, workingDirectory),
  );
  return true;
}

/** The URL scheme of connection links (docs/protocol.md#connection-links, electron-builder.yml). */
export const LINK_SCHEME = 'cloudbridge';

/**
 * macOS hands links and files over as events, not arguments (also for the launch that opens
 * the app, before `ready`): `open-url` and `open-file`. Registered at once, before ready.
 */
export function receiveOpenRequests(onInput: (input: InviteInput) => void): void {
  app.on('open-url', (event, url) => {
    event.preventDefault();
    onInput({ kind: 'link', text: url });
  });
  app.on('open-file', (event, path) => {
    event.preventDefault();
    onInput({ kind: 'file', path });
  });
}

/**
 * Windows: electron-builder's NSIS installer registers the file type but not the URL scheme,
 * so the packaged app registers itself for it (HKCU; the uninstaller removes it). macOS takes
 * the scheme from Info.plist and Linux from the .desktop file, both written by electron-builder.
 */
export function registerLinkScheme(platform: NodeJS.Platform, isPackaged: boolean): void {
  if (platform === 'win32' && isPackaged && !app.isDefaultProtocolClient(LINK_SCHEME))
    app.setAsDefaultProtocolClient(LINK_SCHEME);
}

/** The arguments a login item starts the app with (Windows and Linux pass them on). */
export const LOGIN_ITEM_ARGS: readonly string[] = ['--hidden'];

/**
 * Started by the OS at login: stay in the tray. Windows and Linux see the login item's
 * `--hidden`; macOS passes no arguments to login items and says so in wasOpenedAtLogin.
 */
export function startedAtLogin(platform: NodeJS.Platform, argv: readonly string[]): boolean {
  if (argv.includes('--hidden')) return true;
  return platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin;
}

/** macOS: a click on the dock icon with no window visible brings the window back. */
export function revealOnActivate(reveal: () => void): void {
  app.on('activate', () => reveal());
}

/**
 * The app's identity for Windows notifications: without it, toasts of an installed app carry
 * no name and their clicks do not reach us. Same id as electron-builder.yml's appId.
 */
export const APP_USER_MODEL_ID = 'dev.cloudbridge.desktop';

export function setWindowsAppIdentity(platform: NodeJS.Platform): void {
  if (platform === 'win32') app.setAppUserModelId(APP_USER_MODEL_ID);
}

/**
 * Main-process errors nobody caught: logged, never fatal. The engine and the relay run in
 * the engine host, so what is left here is glue; a crash would take the tray down with it.
 */
export function reportUncaughtErrors(
  log: (kind: 'uncaught_exception' | 'unhandled_rejection', error: unknown) => void,
  target: Pick<NodeJS.EventEmitter, 'on'> = process,
): void {
  target.on('uncaughtException', (error: unknown) => log('uncaught_exception', error));
  target.on('unhandledRejection', (reason: unknown) => log('unhandled_rejection', reason));
}

const QUIT_TIMEOUT_MS = 5_000;

/**
 * The first quit request is held until `shutdown` finished (tunnels closed, totals flushed),
 * bounded by QUIT_TIMEOUT_MS so a stuck socket never keeps the app alive.
 */
export function installQuitHandling(options: {
  shutdown: () => Promise<void>;
  onQuitting: () => void;
}): void {
  let state: 'running' | 'closing' | 'closed' = 'running';
  app.on('before-quit', (event) => {
    options.onQuitting();
    if (state === 'closed') return;
    event.preventDefault();
    if (state === 'closing') return;
    state = 'closing';
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, QUIT_TIMEOUT_MS).unref());
    void Promise.race([options.shutdown().catch(() => undefined), timeout]).then(() => {
      state = 'closed';
      app.quit();
    });
  });
  // The window only hides on close; the app lives in the tray until Quit.
  app.on('window-all-closed', () => undefined);
}

/**
 * The OS ending the session (E7): Windows sends the window `query-session-end` and
 * `session-end` and never `before-quit`, so whatever is not written then is lost; Linux and
 * macOS send powerMonitor `shutdown`. Each writes at once, synchronously; `shutdown` then
 * quits so the tunnels close cleanly too.
 */
export function flushOnSessionEnd(options: {
  window: Pick<BrowserWindow, 'on'>;
  flushSync: () => void;
  onError?: (error: unknown) => void;
}): void {
  const flush = () => {
    try {
      options.flushSync();
    } catch (error) {
      options.onError?.(error);
    }
  };
  options.window.on('query-session-end', flush);
  options.window.on('session-end', flush);
  powerMonitor.on('shutdown', () => {
    flush();
    app.quit();
  });
}

/**
 * Resume, unlock and the network coming back skip the reconnect backoff
 * (docs/protocol.md#reconnect: "a user action or a network/resume event starts again"). Electron's
 * main process has no online event, so connectivity is polled with net.isOnline().
 */
export function watchWakeEvents(options: {
  onWake: (reason: string) => void;
  clock: Clock;
  pollMs?: number;
}): () => void {
  const onResume = () => options.onWake('resume');
  const onUnlock = () => options.onWake('unlock');
  powerMonitor.on('resume', onResume);
  powerMonitor.on('unlock-screen', onUnlock);
  const pollMs = options.pollMs ?? 5_000;
  let online = net.isOnline();
  let timer: unknown = null;
  const poll = () => {
    const now = net.isOnline();
    if (now && !online) options.onWake('network');
    online = now;
    timer = options.clock.setTimeout(poll, pollMs);
  };
  timer = options.clock.setTimeout(poll, pollMs);
  return () => {
    powerMonitor.removeListener('resume', onResume);
    powerMonitor.removeListener('unlock-screen', onUnlock);
    if (timer !== null) options.clock.clearTimeout(timer);
  };
}

/**
 * Notifications on screen. Electron drops a Notification's click handler once the object is
 * garbage-collected, so each one is held here until it is clicked, closed or fails.
 */
const shownNotifications = new Set<Notification>();

export function showNotification(
  notification: Pick<AppNotification, 'title' | 'body'>,
  onClick?: () => void,
): void {
  if (!Notification.isSupported()) return;
  const shown = new Notification({
    title: notification.title,
    body: notification.body,
    silent: false,
  });
  shownNotifications.add(shown);
  const release = (): void => {
    shownNotifications.delete(shown);
  };
  shown.on('click', () => {
    release();
    onClick?.();
  });
  shown.on('close', release);
  shown.on('failed', release);
  shown.show();
}

/** How many notifications are held for their click (for tests). */
export function heldNotificationCount(): number {
  return shownNotifications.size;
}

/** First start: tell the user the app keeps running in the tray / menu bar. */
export function firstStartHint(
  platform: NodeJS.Platform,
  t: Translator,
): Pick<AppNotification, 'title' | 'body'> {
  return {
    title: t('notification.firstStart.title'),
    body: t('notification.firstStart.body', { platform }),
  };
}

/** Registers or removes the app as a login item; rejects when the OS refuses (Linux file I/O). */
export async function applyLaunchAtLogin(
  enabled: boolean,
  platform: NodeJS.Platform = process.platform,
): Promise<void> {
  const args = [...LOGIN_ITEM_ARGS];
  if (platform === 'linux') {
    // No login-item API on Linux: an XDG autostart entry. From an AppImage, start the
    // AppImage file itself (process.execPath is inside its temporary mount).
    await setLinuxAutostart(enabled, {
      configHome: process.env['XDG_CONFIG_HOME'] || join(homedir(), '.config'),
      execPath: process.env['APPIMAGE'] || process.execPath,
      args,
      fs: nodeStoreFs,
    });
    return;
  }
  // Windows matches a login item by path and arguments: asked without the arguments it was
  // registered with, it reports "not registered" and the item could never be removed.
  if (app.getLoginItemSettings({ args }).openAtLogin !== enabled)
    app.setLoginItemSettings({ openAtLogin: enabled, args });
}

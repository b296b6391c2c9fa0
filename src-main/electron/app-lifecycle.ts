// Process-level behaviour of the desktop app: one instance (a second start focuses the
// first), Quit that closes tunnels cleanly before exiting, resume/unlock/network-back ->
// reconnect now, system notifications, launch at login. Decisions live in the services.

import { Notification, app, net, powerMonitor } from 'electron';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AppNotification } from '../services/app-controller';
import { nodeStoreFs } from '../services/atomic-json';
import { setLinuxAutostart } from '../services/linux-autostart';
import type { Clock } from '../shared/clock';

/** False when another instance runs: this one must quit. The first one is told to show up. */
export function acquireSingleInstance(onSecondInstance: () => void): boolean {
  if (!app.requestSingleInstanceLock()) return false;
  app.on('second-instance', () => onSecondInstance());
  return true;
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
 * Resume, unlock and the network coming back skip the reconnect backoff (PROTOCOL.md §4:
 * "a user action or a network/resume event starts again"). Electron's main process has no
 * online event, so connectivity is polled with net.isOnline().
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
  if (onClick) shown.on('click', onClick);
  shown.show();
}

/** First start: tell the user the app keeps running in the tray / menu bar. */
export function firstStartHint(platform: NodeJS.Platform): Pick<AppNotification, 'title' | 'body'> {
  const where =
    platform === 'darwin'
      ? 'menu bar'
      : platform === 'win32'
        ? 'notification area (system tray)'
        : 'system tray';
  return {
    title: 'CloudBridge is running',
    body: `CloudBridge lives in the ${where}. Closing the window keeps your tunnels up; use Quit in the tray menu to stop.`,
  };
}

/** Registers or removes the app as a login item; rejects when the OS refuses (Linux file I/O). */
export async function applyLaunchAtLogin(enabled: boolean): Promise<void> {
  const args = ['--hidden'];
  if (process.platform === 'linux') {
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
  if (app.getLoginItemSettings().openAtLogin !== enabled)
    app.setLoginItemSettings({ openAtLogin: enabled, args });
}

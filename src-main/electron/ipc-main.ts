// The only raw ipcMain user: one handler per REQUEST_CHANNELS entry, forwarded to the IPC
// router after checking the sender is our window's main frame from our origin; and the
// only sender of pushes to the window (EVENT_CHANNELS only). Nothing is thrown across IPC.

import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import type { Push } from '../services/app-controller';
import { errorInfo, fail } from '../services/errors';
import type { IpcRouter } from '../services/ipc-router';
import { EVENT_CHANNELS, REQUEST_CHANNELS, type Result } from '../shared/ipc-contract';
import { isAppUrl } from './app-protocol';

export type SenderEvent = Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>;

/** Our window, its top frame (not an iframe), showing our own origin. */
export function isTrustedSender(
  event: SenderEvent,
  window: BrowserWindow | null,
  isOurUrl: (url: string) => boolean = isAppUrl,
): boolean {
  if (window === null || window.isDestroyed()) return false;
  const contents = window.webContents;
  if (event.sender !== contents) return false;
  const frame = event.senderFrame;
  const main = contents.mainFrame;
  if (frame === null || frame.parent !== null) return false;
  // Electron hands out one WebFrameMain per frame; the token check covers a re-wrapped object.
  const sameFrame =
    frame === main ||
    (typeof frame.frameToken === 'string' &&
      frame.frameToken === main.frameToken &&
      frame.processId === main.processId);
  return sameFrame && isOurUrl(frame.url);
}

export interface IpcMainOptions {
  readonly router: IpcRouter;
  readonly getWindow: () => BrowserWindow | null;
  readonly isOurUrl?: (url: string) => boolean;
  readonly onRejectedSender?: (channel: string, url: string | null) => void;
}

function refused(): Result<never> {
  return fail(errorInfo('protocol_error', 'Request refused.', Date.now(), 'untrusted sender'));
}

/**
 * Channels libraries register on their own: electron-log/main listens for renderer log
 * messages on import. Our renderer never logs through it, so the contract stays the only
 * IPC surface.
 */
export const FOREIGN_CHANNELS = ['__ELECTRON_LOG__'] as const;

/** Registers every request channel; returns a function that removes them again. */
export function registerIpcHandlers(options: IpcMainOptions): () => void {
  for (const channel of FOREIGN_CHANNELS) {
    ipcMain.removeHandler(channel);
    ipcMain.removeAllListeners(channel);
  }
  for (const channel of REQUEST_CHANNELS) {
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, payload: unknown) => {
      if (!isTrustedSender(event, options.getWindow(), options.isOurUrl)) {
        options.onRejectedSender?.(channel, event.senderFrame?.url ?? null);
        return refused();
      }
      return options.router.handle(channel, payload);
    });
  }
  return () => {
    for (const channel of REQUEST_CHANNELS) ipcMain.removeHandler(channel);
  };
}

const EVENT_SET: ReadonlySet<string> = new Set(EVENT_CHANNELS);

/** Sends a push to the window if it is alive; only contract events go out. */
export function sendPush(window: BrowserWindow | null, push: Push): boolean {
  if (window === null || window.isDestroyed() || !EVENT_SET.has(push.event)) return false;
  window.webContents.send(push.event, push.payload);
  return true;
}

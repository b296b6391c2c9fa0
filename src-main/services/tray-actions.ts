// What a tray menu click asks the services for: the same requests the window makes, through
// the same router, so a tray action is checked and answered like any other. A refusal is
// handed back to the caller to show, never dropped. The window, the clipboard and quit stay
// with the Electron layer.

import type { ErrorInfo } from '../shared/model';
import type { RequestChannel } from '../shared/ipc-contract';
import type { TrayAction } from '../shared/tray-types';
import type { IpcRouter } from './ipc-router';

export type TrayRequest = { readonly channel: RequestChannel; readonly payload: unknown };

/** The request behind a tray action; null for the actions the Electron layer does itself. */
export function trayActionRequest(action: TrayAction): TrayRequest | null {
  switch (action.type) {
    case 'connect':
      return { channel: 'cloudbridge:session.connect', payload: undefined };
    case 'disconnect':
      return { channel: 'cloudbridge:session.disconnect', payload: undefined };
    case 'retryNow':
      return { channel: 'cloudbridge:session.retryNow', payload: undefined };
    case 'toggleTunnel':
      return {
        channel: 'cloudbridge:tunnel.setEnabled',
        payload: { id: action.tunnelId, enabled: action.enabled },
      };
    case 'retryTunnel':
      return { channel: 'cloudbridge:tunnel.retry', payload: { id: action.tunnelId } };
    case 'turnAllTunnelsOff':
      return { channel: 'cloudbridge:tunnel.setAllEnabled', payload: { enabled: false } };
    case 'openTunnel':
      return { channel: 'cloudbridge:tunnel.open', payload: { id: action.tunnelId } };
    case 'startShare':
      return { channel: 'cloudbridge:share.start', payload: action.draft };
    case 'stopShare':
      return { channel: 'cloudbridge:share.stop', payload: undefined };
    case 'viewLogs':
      return { channel: 'cloudbridge:logs.openFolder', payload: undefined };
    case 'copyText':
    case 'openWindow':
    case 'showView':
    case 'quit':
      return null;
  }
}

/** Runs a tray action's request; resolves with its error when the services refused it. */
export async function runTrayRequest(
  router: IpcRouter,
  request: TrayRequest,
): Promise<ErrorInfo | null> {
  const result = await router.handle(request.channel, request.payload);
  return result.ok ? null : result.error;
}

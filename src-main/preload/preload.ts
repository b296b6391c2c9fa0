// The preload bridge: exposes `window.cloudbridge` with one named method per request channel
// (never a generic invoke) and `on(event, fn) => unsubscribe` for the contract's events
// only. Bundled to one file so it runs under `sandbox: true`; exposes nothing else.

import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  EVENT_CHANNELS,
  REQUEST_CHANNELS,
  methodName,
  type BridgeApi,
  type EventChannel,
  type Events,
  type Result,
} from '../shared/ipc-contract';

export interface RendererIpc {
  invoke(channel: string, payload: unknown): Promise<unknown>;
  on(channel: string, listener: (event: IpcRendererEvent, payload: unknown) => void): unknown;
  removeListener(
    channel: string,
    listener: (event: IpcRendererEvent, payload: unknown) => void,
  ): unknown;
}

const EVENT_SET: ReadonlySet<string> = new Set(EVENT_CHANNELS);

export function buildBridgeApi(ipc: RendererIpc): BridgeApi {
  const api: Record<string, unknown> = {};
  for (const channel of REQUEST_CHANNELS) {
    // Only the request goes over; the sender's event object never reaches the page.
    api[methodName(channel)] = (request: unknown) =>
      ipc.invoke(channel, request) as Promise<Result<unknown>>;
  }
  api.on = <E extends EventChannel>(
    event: E,
    listener: (payload: Events[E]) => void,
  ): (() => void) => {
    if (!EVENT_SET.has(event)) throw new Error(`unknown event ${String(event)}`);
    const wrapped = (_event: IpcRendererEvent, payload: unknown) => listener(payload as Events[E]);
    ipc.on(event, wrapped);
    return () => {
      ipc.removeListener(event, wrapped);
    };
  };
  return Object.freeze(api) as unknown as BridgeApi;
}

contextBridge.exposeInMainWorld('cloudbridge', buildBridgeApi(ipcRenderer));

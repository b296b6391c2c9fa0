// The only reader of window.cloudbridge, the preload's named-method API (ipc-contract.ts
// BridgeApi). Everything else receives the bridge as a value, so tests pass a fake one.
import type { BridgeApi } from '../src-main/shared/ipc-contract';

declare global {
  interface Window {
    readonly cloudbridge?: BridgeApi;
  }
}

/** The preload's API, or null when the page runs without it (a plain browser, a broken preload). */
export function getBridge(): BridgeApi | null {
  const candidate: unknown = typeof window === 'undefined' ? undefined : window.cloudbridge;
  if (typeof candidate !== 'object' || candidate === null) return null;
  if (typeof (candidate as { on?: unknown }).on !== 'function') return null;
  return candidate as BridgeApi;
}

// Helpers for driving the real desktop services like the window does: a BridgeApi over the
// IPC router and the controller's pushes (structured-cloned, as IPC would), so the renderer's
// own store can be fed by main's real answers; a relay profile for a test relay; polling.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  REQUEST_CHANNELS,
  methodName,
  type BridgeApi,
  type EventChannel,
  type Events,
  type RelayProfile,
} from '../../src-main/shared/ipc-contract';
import type { AppServices } from '../../src-main/services/app-services';
import type { TestRelay } from '../harness/relay';

/** The preload's API as main would serve it: every method is router.handle, pushes go to `on`. */
export function bridgeOver(app: AppServices): BridgeApi {
  const api: Record<string, unknown> = {};
  for (const channel of REQUEST_CHANNELS)
    api[methodName(channel)] = async (request: unknown) =>
      structuredClone(await app.router.handle(channel, request));
  api['on'] = <E extends EventChannel>(event: E, listener: (payload: Events[E]) => void) =>
    app.onEvent((push) => {
      if (push.event === event) listener(structuredClone(push.payload) as Events[E]);
    });
  return api as BridgeApi;
}

/** A non-built-in profile for a test relay; its CA is written into `dir`. */
export function profileFor(relay: TestRelay, dir: string, id = 'corp'): RelayProfile {
  const caFile = join(dir, `${id}-ca.pem`);
  writeFileSync(caFile, relay.caPem);
  return {
    id,
    name: `Relay ${id}`,
    host: '127.0.0.1',
    port: relay.port,
    caFile,
    pinSha256: null,
    serverName: 'localhost',
    insecure: false,
    opener: 'auto',
    builtin: false,
  };
}

export async function waitFor<T>(
  read: () => T | null | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

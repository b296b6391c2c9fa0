// Reconnect state for the headless CLI (`--state-file`, docs/protocol.md#persisted-client-state):
// the engine's PersistedSessionState as a JSON file, written atomically with mode 0600. Never holds
// the JWT: the engine does not put it in this state, and only the declared fields are written.

import { parseSessionState, pickSessionState } from '../engine/session-state';
import type { SessionStatePersistence } from '../engine/types';
import { nodeStoreFs, writeJsonAtomic } from '../services/atomic-json';

export function createFileStatePersistence(path: string): SessionStatePersistence {
  return {
    async load() {
      try {
        return parseSessionState(JSON.parse(await nodeStoreFs.readFile(path)));
      } catch {
        return null;
      }
    },
    save: (state) => writeJsonAtomic(nodeStoreFs, path, pickSessionState(state)),
  };
}

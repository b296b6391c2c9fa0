// The engine's PersistedSessionState as a JSON file the host child owns: written atomically
// (temp, fsync, rename) with mode 0600, read back through the same field check the CLI and
// the settings store use. Never holds the token: only the declared fields are written.

import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { parseSessionState, pickSessionState } from '../engine/session-state';
import type { SessionStatePersistence } from '../engine/types';

async function writeAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fsp.mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const handle = await fsp.open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(temp, path);
  } catch (error) {
    await fsp.unlink(temp).catch(() => undefined);
    throw error;
  }
}

export function createSessionStateFile(path: string): SessionStatePersistence {
  let chain: Promise<unknown> = Promise.resolve();
  return {
    async load() {
      try {
        return parseSessionState(JSON.parse(await fsp.readFile(path, 'utf8')));
      } catch {
        return null;
      }
    },
    save(state) {
      // One write at a time, so an older state never lands after a newer one.
      const text = `${JSON.stringify(pickSessionState(state), null, 2)}\n`;
      const next = chain.then(() => writeAtomic(path, text));
      chain = next.catch(() => undefined);
      return next;
    },
  };
}

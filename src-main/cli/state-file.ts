// Reconnect state for the headless CLI (`--state-file`, seed v1 §6.2): the engine's
// PersistedSessionState as a JSON file, written atomically (temp file + rename, mode 0600).
// Never holds the JWT: the engine does not put it in this state, and this file adds nothing.

import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';

import type { PersistedSessionState, SessionStatePersistence } from '../engine/types';

function isStringOrNull(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

/** Accepts only a well-formed state; anything else reads as "no state" (start fresh). */
export function parseSessionState(text: string): PersistedSessionState | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const obj = value as Record<string, unknown>;
  const opener = obj['opener'];
  const tunnelIds = obj['tunnelIds'];
  if (
    typeof obj['relay'] !== 'string' ||
    !isStringOrNull(obj['clientId']) ||
    !isStringOrNull(obj['reconnectToken']) ||
    !(opener === null || opener === 'client' || opener === 'server') ||
    !Array.isArray(tunnelIds) ||
    !tunnelIds.every((id) => typeof id === 'string')
  ) {
    return null;
  }
  return {
    relay: obj['relay'],
    clientId: obj['clientId'],
    reconnectToken: obj['reconnectToken'],
    opener,
    tunnelIds,
  };
}

export function createFileStatePersistence(path: string): SessionStatePersistence {
  return {
    async load() {
      try {
        return parseSessionState(await readFile(path, 'utf8'));
      } catch {
        return null;
      }
    },
    async save(state) {
      const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
      const data: PersistedSessionState = {
        relay: state.relay,
        clientId: state.clientId,
        reconnectToken: state.reconnectToken,
        opener: state.opener,
        tunnelIds: [...state.tunnelIds],
      };
      try {
        await writeFile(temp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
        await rename(temp, path);
      } finally {
        await rm(temp, { force: true });
      }
    },
  };
}

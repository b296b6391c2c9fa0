// Validation of PersistedSessionState (docs/protocol.md#persisted-client-state) for whoever stores
// it: the desktop settings store and the CLI's --state-file. Keeps only the declared fields, so
// nothing else (and never a token) is written or read back.

import type { PersistedSessionState } from './types';

function isStringOrNull(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

/** Copies exactly the declared fields. */
export function pickSessionState(state: PersistedSessionState): PersistedSessionState {
  return {
    relay: state.relay,
    clientId: state.clientId,
    reconnectToken: state.reconnectToken,
    opener: state.opener,
    tunnelIds: [...state.tunnelIds],
  };
}

/** A well-formed state, or null for anything else (the engine then starts fresh). */
export function parseSessionState(value: unknown): PersistedSessionState | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const obj = value as Record<string, unknown>;
  const { relay, clientId, reconnectToken, opener, tunnelIds } = obj;
  if (
    typeof relay !== 'string' ||
    !isStringOrNull(clientId) ||
    !isStringOrNull(reconnectToken) ||
    !(opener === null || opener === 'client' || opener === 'server') ||
    !Array.isArray(tunnelIds) ||
    !tunnelIds.every((id) => typeof id === 'string')
  ) {
    return null;
  }
  return pickSessionState({ relay, clientId, reconnectToken, opener, tunnelIds });
}

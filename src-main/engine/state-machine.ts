// The session state machine of docs/protocol.md#state-machine as a pure transition table with
// typed events. Owns which moves are legal; timers, sockets and retries live in engine.ts.

import type { ConnectionState } from '../shared/model';

export type SessionEvent =
  /** User asks to connect (or restarts after giving up). */
  | { readonly type: 'connect' }
  /** auth_response ok. */
  | { readonly type: 'auth_ok' }
  /** Every enabled tunnel got an answer (success or a tunnel-level error). */
  | { readonly type: 'tunnels_registered' }
  /** Socket error, close, heartbeat timeout, or a retryable relay error. */
  | { readonly type: 'connection_lost' }
  /** A reconnect attempt authenticated and re-registered the tunnels. */
  | { readonly type: 'reconnected' }
  /** Fatal relay error (invalid_token, tenant_not_found): stop retrying. */
  | { readonly type: 'fatal_error' }
  /** Reconnect attempts exhausted (docs/protocol.md#reconnect). */
  | { readonly type: 'gave_up' }
  | { readonly type: 'user_disconnect' };

export type SessionEventType = SessionEvent['type'];

type Table = Readonly<Record<ConnectionState, Partial<Record<SessionEventType, ConnectionState>>>>;

/**
 * §5 plus the moves it implies: a first connect that cannot reach the relay retries like a
 * lost connection, and a reconnect attempt runs auth and registration while staying
 * Reconnecting (the UI keeps showing "attempt n of 10").
 */
export const TRANSITIONS: Table = {
  disconnected: { connect: 'authenticating' },
  authenticating: {
    auth_ok: 'registered',
    fatal_error: 'disconnected',
    connection_lost: 'reconnecting',
    user_disconnect: 'disconnected',
  },
  registered: {
    tunnels_registered: 'active',
    fatal_error: 'disconnected',
    connection_lost: 'reconnecting',
    user_disconnect: 'disconnected',
  },
  active: {
    connection_lost: 'reconnecting',
    fatal_error: 'disconnected',
    user_disconnect: 'disconnected',
  },
  reconnecting: {
    reconnected: 'active',
    connection_lost: 'reconnecting',
    fatal_error: 'disconnected',
    gave_up: 'disconnected',
    user_disconnect: 'disconnected',
  },
};

/** The next state, or null when the event is not legal in `state` (callers ignore it). */
export function transition(state: ConnectionState, event: SessionEvent): ConnectionState | null {
  return TRANSITIONS[state][event.type] ?? null;
}

// The session state machine of docs/protocol.md#state-machine as a table: every legal move, and
// illegal moves ignored.
import { describe, expect, it } from 'vitest';
import { transition, type SessionEvent } from '../../src-main/engine/state-machine';
import { CONNECTION_STATES, type ConnectionState } from '../../src-main/shared/model';

const ev = (type: SessionEvent['type']): SessionEvent => ({ type });

describe('session state machine', () => {
  it.each<[ConnectionState, SessionEvent['type'], ConnectionState]>([
    ['disconnected', 'connect', 'authenticating'],
    ['authenticating', 'auth_ok', 'registered'],
    ['authenticating', 'fatal_error', 'disconnected'],
    ['authenticating', 'connection_lost', 'reconnecting'],
    ['registered', 'tunnels_registered', 'active'],
    ['active', 'connection_lost', 'reconnecting'],
    ['reconnecting', 'reconnected', 'active'],
    ['reconnecting', 'connection_lost', 'reconnecting'],
    ['reconnecting', 'gave_up', 'disconnected'],
    ['reconnecting', 'fatal_error', 'disconnected'],
    ['active', 'user_disconnect', 'disconnected'],
    ['reconnecting', 'user_disconnect', 'disconnected'],
  ])('%s --%s--> %s', (from, event, to) => {
    expect(transition(from, ev(event))).toBe(to);
  });

  it('ignores moves §5 does not allow', () => {
    expect(transition('disconnected', ev('auth_ok'))).toBeNull();
    expect(transition('disconnected', ev('connection_lost'))).toBeNull();
    expect(transition('active', ev('connect'))).toBeNull();
    expect(transition('active', ev('reconnected'))).toBeNull();
    expect(transition('authenticating', ev('tunnels_registered'))).toBeNull();
    expect(transition('registered', ev('gave_up'))).toBeNull();
  });

  it('reaches Disconnected from every state on user disconnect except Disconnected itself', () => {
    for (const state of CONNECTION_STATES) {
      expect(transition(state, ev('user_disconnect'))).toBe(
        state === 'disconnected' ? null : 'disconnected',
      );
    }
  });
});

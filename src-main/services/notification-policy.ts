// When the app tells the user something through a system notification: a connection lost for
// good, one restored after a loss long enough to matter, a token about to expire. Pure: the
// previous and next snapshots (and what it remembers) in, notifications out; no timers, no I/O.

import type { AccountInfo, NotificationSettings } from '../shared/ipc-contract';
import type { EngineSnapshot } from '../shared/model';
import type { AppNotification } from './controller-types';

/** What the policy remembers between snapshots. */
export interface PolicyMemory {
  /** When an Active session was lost (ms), while it is being retried. */
  readonly lostAt: number | null;
  /** The user asked to disconnect: the coming Disconnected is not a loss. */
  readonly userDisconnect: boolean;
}

export const INITIAL_POLICY_MEMORY: PolicyMemory = { lostAt: null, userDisconnect: false };

export interface PolicyContext {
  readonly now: number;
  readonly prefs: NotificationSettings;
  /** A loss shorter than this is a brief drop: no "restored" notification. */
  readonly restoredAfterMs: number;
}

export interface PolicyDecision {
  readonly memory: PolicyMemory;
  readonly notifications: readonly AppNotification[];
}

export function decideNotifications(
  memory: PolicyMemory,
  prev: EngineSnapshot,
  next: EngineSnapshot,
  ctx: PolicyContext,
): PolicyDecision {
  const notifications: AppNotification[] = [];
  let { lostAt, userDisconnect } = memory;
  const wasUp = prev.state === 'active' || prev.state === 'reconnecting';
  if (prev.state === 'active' && next.state === 'reconnecting') lostAt = ctx.now;
  if (next.state === 'disconnected' && wasUp && !userDisconnect) {
    // Lost for good: backoff exhausted or the relay refused us (docs/protocol.md#reconnect).
    lostAt = null;
    if (ctx.prefs.connectionLost) {
      notifications.push({
        kind: 'connection_lost',
        title: 'CloudBridge disconnected',
        body: next.lastError ? next.lastError.message : 'The connection to the relay was lost.',
      });
    }
  }
  if (next.state === 'active' && prev.state !== 'active') {
    if (
      lostAt !== null &&
      ctx.now - lostAt >= ctx.restoredAfterMs &&
      ctx.prefs.connectionRestored
    ) {
      notifications.push({
        kind: 'connection_restored',
        title: 'CloudBridge reconnected',
        body: 'Your tunnels are available again.',
      });
    }
    lostAt = null;
  }
  if (next.state === 'disconnected') userDisconnect = false;
  return { memory: { lostAt, userDisconnect }, notifications };
}

/** The user disconnected (or signed out while connected): what follows is not a loss. */
export function userDisconnected(wasConnected: boolean): PolicyMemory {
  return { lostAt: null, userDisconnect: wasConnected };
}

export function userConnected(memory: PolicyMemory): PolicyMemory {
  return { ...memory, userDisconnect: false };
}

/** The token-expiry warning for this account, or null when there is none to give. */
export function tokenExpiryWarning(
  account: AccountInfo,
  prefs: NotificationSettings,
): { readonly message: string; readonly notification: AppNotification | null } | null {
  if (!account.signedIn || !account.expiresSoon || account.expiresAt === null) return null;
  const message = `Your relay token expires at ${account.expiresAt}. Paste a new one before then.`;
  return {
    message,
    notification: prefs.tokenExpiry
      ? { kind: 'token_expiring', title: 'CloudBridge token expires soon', body: message }
      : null,
  };
}

// When the app tells the user something through a system notification (a connection lost for
// good, one restored after a loss long enough to matter, a token about to expire) and how it
// is worded: decisions are codes with values, worded at the end from the shared catalogue in
// the app's language. Pure: snapshots and memory in, notifications out; no timers, no I/O.

import type { AccountInfo, NotificationSettings } from '../shared/ipc-contract';
import type { Translator } from '../shared/i18n/translator';
import { errorTextKey } from '../shared/i18n/error-advice';
import { ERROR_CODES, type EngineSnapshot, type ErrorCode } from '../shared/model';
import type { AppNotification, NotificationMessage } from './controller-types';

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
  readonly notifications: readonly NotificationMessage[];
}

export function decideNotifications(
  memory: PolicyMemory,
  prev: EngineSnapshot,
  next: EngineSnapshot,
  ctx: PolicyContext,
): PolicyDecision {
  const notifications: NotificationMessage[] = [];
  let { lostAt, userDisconnect } = memory;
  const wasUp = prev.state === 'active' || prev.state === 'reconnecting';
  if (prev.state === 'active' && next.state === 'reconnecting') lostAt = ctx.now;
  if (next.state === 'disconnected' && wasUp && !userDisconnect) {
    // Lost for good: backoff exhausted or the relay refused us (docs/protocol.md#reconnect).
    lostAt = null;
    if (ctx.prefs.connectionLost) {
      notifications.push(
        next.lastError
          ? { kind: 'connection_lost', params: { code: next.lastError.code } }
          : { kind: 'connection_lost' },
      );
    }
  }
  if (next.state === 'active' && prev.state !== 'active') {
    if (
      lostAt !== null &&
      ctx.now - lostAt >= ctx.restoredAfterMs &&
      ctx.prefs.connectionRestored
    ) {
      notifications.push({ kind: 'connection_restored' });
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

/**
 * The token-expiry warning for this account, or null when there is none to give: the values
 * of its notice and, if the user wants one, its notification.
 */
export function tokenExpiryWarning(
  account: AccountInfo,
  prefs: NotificationSettings,
): {
  readonly params: { readonly expires: number };
  readonly notification: NotificationMessage | null;
} | null {
  if (!account.signedIn || !account.expiresSoon || account.expiresAt === null) return null;
  const expires = Date.parse(account.expiresAt);
  if (!Number.isFinite(expires)) return null;
  const params = { expires };
  return {
    params,
    notification: prefs.tokenExpiry ? { kind: 'token_expiring', params } : null,
  };
}

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** A notification in words, from the shared catalogue in the translator's language. */
export function notificationText(message: NotificationMessage, t: Translator): AppNotification {
  const { kind, params } = message;
  switch (kind) {
    case 'connection_lost': {
      const code = params?.['code'];
      return {
        kind,
        title: t('notification.connectionLost.title'),
        body:
          typeof code === 'string' && KNOWN_CODES.has(code)
            ? t(errorTextKey(code as ErrorCode))
            : t('notification.connectionLost.body'),
      };
    }
    case 'connection_restored':
      return {
        kind,
        title: t('notification.connectionRestored.title'),
        body: t('notification.connectionRestored.body'),
      };
    case 'token_expiring':
      return {
        kind,
        title: t('notification.tokenExpiring.title'),
        body: t('notification.tokenExpiring.body', params),
      };
    case 'engine_restarted':
      return {
        kind,
        title: t('notification.engineRestarted.title'),
        body: t('noticeBody.engine_restarted', params),
      };
  }
}

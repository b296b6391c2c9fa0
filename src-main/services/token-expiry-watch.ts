// Warns once per token that it expires within 24 hours: a notice in the snapshot and, if the
// user wants it, a system notification; checked at start, after a new token, and hourly.
// Owns what it has warned about and its timer; what it says is notification-policy.ts's,
// worded from the shared catalogue.

import type { AccountInfo, NotificationSettings, Notice } from '../shared/ipc-contract';
import type { Clock } from '../shared/clock';
import type { NotificationMessage } from './controller-types';
import { tokenExpiryWarning } from './notification-policy';

export const TOKEN_CHECK_MS = 60 * 60 * 1000;

export interface TokenExpiryWatchOptions {
  readonly clock: Clock;
  readonly account: () => AccountInfo;
  readonly prefs: () => NotificationSettings;
  /** Shows the warning: the notice replaces any earlier one of its kind. */
  readonly warn: (notice: Notice, notification: NotificationMessage | null) => void;
}

export interface TokenExpiryWatch {
  check(): void;
  /** A new token: it gets its own warning when its time comes. */
  forget(): void;
  start(): void;
  close(): void;
}

export function createTokenExpiryWatch(options: TokenExpiryWatchOptions): TokenExpiryWatch {
  const { clock } = options;
  let warnedFor: string | null = null;
  let timer: unknown = null;
  let closed = false;

  function check(): void {
    const account = options.account();
    const warning = tokenExpiryWarning(account, options.prefs());
    if (warning === null || warnedFor === account.expiresAt) return;
    warnedFor = account.expiresAt;
    const at = new Date(clock.now()).toISOString();
    options.warn({ kind: 'token_expiring', params: warning.params, at }, warning.notification);
  }

  function schedule(): void {
    timer = clock.setTimeout(() => {
      check();
      if (!closed) schedule();
    }, TOKEN_CHECK_MS);
  }

  return {
    check,
    forget() {
      warnedFor = null;
    },
    start() {
      if (timer === null && !closed) schedule();
    },
    close() {
      closed = true;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    },
  };
}

// Pure mapping from the app snapshot to the tray: icon state, tooltip, macOS title and menu
// items, worded from the shared catalogue (the window's words for states and errors, never the
// engine's English). No electron here; electron/tray.ts renders the result.

import type { AppSnapshot, ResolvedLanguage } from '../shared/ipc-contract';
import type { ErrorCode } from '../shared/model';
import { errorActionKey, errorTextKey } from '../shared/i18n/error-advice';
import { translatorFor, type Translator } from '../shared/i18n/translator';
import type { TrayIconState, TrayMenuItem, TrayModel } from '../shared/tray-types';
import { disabledItem, isTunnelInTrouble, textLines, tunnelRows } from './tray-rows';
import { shareRows } from './tray-share-row';

/** 'system' resolves through the OS locale the caller passes. */
export { resolveLanguage } from '../shared/ipc-contract';

export interface TrayModelOptions {
  readonly language: ResolvedLanguage;
  /** The injected clock's now, for the reconnect countdown and the token's expiry. */
  readonly nowMs: number;
  /** Decides which tunnel kinds have an app to open them with (services/tunnel-launcher.ts). */
  readonly platform: NodeJS.Platform;
}

/** Windows cuts a notification-area tooltip at 127 characters (NOTIFYICONDATA.szTip). */
const MAX_TOOLTIP_CHARS = 127;

/** Errors whose fix is a new token or a confirmation on the Account view. */
const TOKEN_ERRORS: ReadonlySet<ErrorCode> = new Set([
  'invalid_token',
  'token_expired',
  'token_missing',
  'token_malformed',
]);

function iconFor(snapshot: AppSnapshot): TrayIconState {
  const { state, lastError, tunnels } = snapshot.engine;
  if (state === 'active') return tunnels.some(isTunnelInTrouble) ? 'error' : 'active';
  if (state === 'authenticating' || state === 'registered' || state === 'reconnecting')
    return 'connecting';
  return lastError !== null ? 'error' : 'disconnected';
}

function isKeychainUnlocking(snapshot: AppSnapshot): boolean {
  return snapshot.notices.some((n) => n.kind === 'keychain_unlocking');
}

function statusLine(t: Translator, snapshot: AppSnapshot): string {
  const { engine } = snapshot;
  // Start-up waits on the keychain (it may prompt): the tray says so instead of "Disconnected".
  if (isKeychainUnlocking(snapshot)) return t('notice.keychain_unlocking');
  let status: string;
  switch (engine.state) {
    case 'active': {
      const enabled = engine.tunnels.filter((x) => x.enabled);
      // A tunnel whose connections fail is not ready, though it listens.
      const ready = enabled.filter((x) => x.status === 'listening' && !isTunnelInTrouble(x)).length;
      status = t('tray.active', { ready, total: enabled.length });
      break;
    }
    case 'authenticating':
      status = t('tray.connecting');
      break;
    case 'registered':
      status = t('tray.startingTunnels');
      break;
    case 'reconnecting':
      status = t('tray.reconnecting', {
        attempt: engine.session.reconnectAttempt,
        max: engine.session.maxReconnectAttempts,
      });
      break;
    default:
      if (engine.lastError !== null)
        return t('tray.error', { reason: t(errorTextKey(engine.lastError.code)) });
      if (snapshot.settings.relay === null) return t('tray.notSetUp');
      if (!snapshot.account.signedIn) return t('tray.signedOut');
      return t('state.disconnected');
  }
  return engine.session.insecure ? t('tray.insecure', { status }) : status;
}

/** Whole seconds to the next reconnect attempt, or null when none is scheduled. */
function secondsToRetry(snapshot: AppSnapshot, nowMs: number): number | null {
  const { state, session } = snapshot.engine;
  if (state !== 'reconnecting' || session.nextRetryAt === null) return null;
  return Math.max(0, Math.ceil((Date.parse(session.nextRetryAt) - nowMs) / 1000));
}

function hasUsableToken(snapshot: AppSnapshot, nowMs: number): boolean {
  const { signedIn, expiresAt } = snapshot.account;
  return signedIn && (expiresAt === null || Date.parse(expiresAt) > nowMs);
}

/**
 * Connect or Disconnect, or, where Connect could only fail, the entry that fixes what is
 * missing: "Set up relay…", "Sign in…", "Confirm the new relay…". Never a silent grey Connect.
 */
function sessionEntries(t: Translator, snapshot: AppSnapshot, nowMs: number): TrayMenuItem[] {
  const { engine } = snapshot;
  if (engine.state !== 'disconnected')
    return [{ kind: 'action', label: t('status.disconnect'), action: { type: 'disconnect' } }];
  if (isKeychainUnlocking(snapshot))
    return [disabledItem(t, t('status.connect'), t('tray.reason.keychain'))];
  if (snapshot.settings.relay === null)
    return [
      {
        kind: 'action',
        label: t('tray.setUpRelay'),
        action: { type: 'showView', view: 'status', tunnelId: null },
      },
    ];
  const signIn: TrayMenuItem = {
    kind: 'action',
    label: t('tray.signIn'),
    action: { type: 'showView', view: 'account', tunnelId: null },
  };
  if (!hasUsableToken(snapshot, nowMs)) return [signIn];
  const connect: TrayMenuItem = {
    kind: 'action',
    label: t('status.connect'),
    action: { type: 'connect' },
  };
  // The last error may predate a fix made in the window: Connect stays next to the way out.
  const code = engine.lastError?.code;
  if (code === 'token_relay_changed')
    return [
      {
        kind: 'action',
        label: t('tray.confirmRelay'),
        action: { type: 'showView', view: 'account', tunnelId: null },
      },
      connect,
    ];
  if (code !== undefined && TOKEN_ERRORS.has(code)) return [signIn, connect];
  return [connect];
}

export function buildTrayModel(snapshot: AppSnapshot, options: TrayModelOptions): TrayModel {
  const t = translatorFor(options.language);
  const { engine } = snapshot;
  const status = statusLine(t, snapshot);
  const items: TrayMenuItem[] = textLines(status);
  // What to do about the session's error, in the window's words (shared/i18n/error-advice.ts).
  if (engine.state === 'disconnected' && engine.lastError !== null)
    items.push(...textLines(t(errorActionKey(engine.lastError.code))));
  const seconds = secondsToRetry(snapshot, options.nowMs);
  if (engine.state === 'reconnecting') {
    if (seconds !== null) items.push({ kind: 'label', label: t('tray.nextTry', { seconds }) });
    items.push({ kind: 'action', label: t('status.retryNow'), action: { type: 'retryNow' } });
  }
  items.push({ kind: 'separator' });
  items.push(...tunnelRows(t, engine.tunnels, engine.state, options.platform));
  items.push({ kind: 'separator' });
  items.push(...shareRows(t, snapshot));
  items.push(...sessionEntries(t, snapshot, options.nowMs));
  items.push({ kind: 'separator' });
  items.push({ kind: 'action', label: t('tray.open'), action: { type: 'openWindow' } });
  items.push({ kind: 'action', label: t('tray.logs'), action: { type: 'viewLogs' } });
  items.push({ kind: 'separator' });
  items.push({ kind: 'action', label: t('tray.quit'), action: { type: 'quit' } });

  // The countdown lives in the tooltip and the title, which may change under an open menu.
  const live =
    seconds === null
      ? status
      : t('tray.statusWithNext', { status, next: t('tray.nextTry', { seconds }) });
  const tooltip = t('tray.tooltip', { status: live });
  return {
    icon: iconFor(snapshot),
    tooltip:
      tooltip.length > MAX_TOOLTIP_CHARS ? `${tooltip.slice(0, MAX_TOOLTIP_CHARS - 1)}…` : tooltip,
    title: seconds === null ? '' : t('tray.titleNextTry', { seconds }),
    items,
  };
}

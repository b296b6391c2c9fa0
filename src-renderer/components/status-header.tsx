// The one state header on Status: the state, the plain reason and how long ago it happened,
// what to do, the countdown to the next try with Retry now and when CloudBridge stops, and
// Connect or Disconnect, a Connect that cannot be pressed yet saying why with the fix one
// click away. Trouble that heals itself is amber; trouble that stopped the app, red.
// Display and callbacks only.
import type { ConnectionState, ErrorInfo, SessionInfo } from '../../src-main/shared/model';
import type { ConnectBlocker } from '../format/checklist';
import { formatDuration } from '../format/format';
import type { Locale, Translate } from '../i18n/i18n';
import { errorActionKey, errorTextKey } from '../i18n/error-advice';
import { ErrorTechnical } from './error-panel';
import { StateBadge } from './state-badge';

export interface StatusHeaderProps {
  readonly state: ConnectionState;
  readonly session: SessionInfo | null;
  readonly lastError: ErrorInfo | null;
  /** host:port of the relay in use or configured; '' for none. */
  readonly relay: string;
  readonly now: number;
  readonly t: Translate;
  readonly locale: Locale;
  readonly isBridged: boolean;
  readonly isBusy: boolean;
  readonly blocker: ConnectBlocker;
  /** A connection link waits above: accepting it is what Connect needs. */
  readonly hasPendingLink: boolean;
  readonly onConnect: () => void;
  readonly onDisconnect: () => void;
  readonly onRetryNow: () => void;
  readonly onFix: (blocker: 'relay' | 'signIn') => void;
}

export type HeaderTone = 'ok' | 'info' | 'warning' | 'danger' | 'neutral';

export function headerTone(state: ConnectionState, lastError: ErrorInfo | null): HeaderTone {
  if (state === 'active') return 'ok';
  if (state === 'reconnecting') return 'warning';
  if (state === 'authenticating' || state === 'registered') return lastError ? 'warning' : 'info';
  return lastError ? 'danger' : 'neutral';
}

function lineKey(state: ConnectionState) {
  switch (state) {
    case 'active':
      return 'status.connectedTo' as const;
    case 'authenticating':
      return 'status.connectingTo' as const;
    case 'registered':
      return 'status.startingTunnels' as const;
    case 'reconnecting':
      return 'state.reconnecting' as const;
    case 'disconnected':
      return 'status.notConnected' as const;
  }
}

export function StatusHeader(props: StatusHeaderProps) {
  const { state, session, lastError, now, t, locale } = props;
  const tone = headerTone(state, lastError);
  const shownError = state === 'active' ? null : lastError;
  const errorAt = shownError ? Date.parse(shownError.at) : NaN;
  const nextRetryMs = session?.nextRetryAt ? Date.parse(session.nextRetryAt) : NaN;
  const action = shownError ? t(errorActionKey(shownError.code)) : '';
  const blockerId = 'status-connect-blocked';
  const canDisconnect = state !== 'disconnected';

  return (
    <div className={`status-header status-tone-${tone}`} data-testid="status-header">
      <div className="status-header-main">
        <StateBadge state={state} label={t(`state.${state}`)} />
        {shownError ? (
          <div className="status-reason" data-testid="last-error">
            <p className="status-reason-text">
              <span>{t(errorTextKey(shownError.code))}</span>
              {shownError.detailKey ? (
                <span> {t(shownError.detailKey, shownError.params)}</span>
              ) : null}
              {Number.isFinite(errorAt) ? ' ' : null}
              {Number.isFinite(errorAt) ? (
                <time className="status-age" dateTime={shownError.at} data-testid="error-age">
                  {t('status.ago', { time: formatDuration(Math.max(0, now - errorAt), locale) })}
                </time>
              ) : null}
            </p>
            {action ? (
              <p className="status-action">
                <strong>{t('status.whatToDo')}:</strong> {action}
              </p>
            ) : null}
            <ErrorTechnical error={shownError} t={t} />
          </div>
        ) : (
          <p className="status-line" data-testid="status-line">
            {t(lineKey(state), { relay: props.relay })}
          </p>
        )}
        {state === 'reconnecting' && session ? (
          <div className="reconnect" data-testid="reconnect">
            <p>
              <span className="reconnect-countdown" aria-live="off" data-testid="countdown">
                {Number.isFinite(nextRetryMs) && nextRetryMs > now
                  ? t('status.nextTry', { time: formatDuration(nextRetryMs - now, locale) })
                  : t('status.tryingNow')}
              </span>{' '}
              <span className="reconnect-attempt" data-testid="attempt">
                {t('status.attemptOf', {
                  n: session.reconnectAttempt,
                  max: session.maxReconnectAttempts,
                })}
              </span>
            </p>
            <button
              type="button"
              className="button button-small"
              disabled={!props.isBridged}
              onClick={props.onRetryNow}
            >
              {t('status.retryNow')}
            </button>
            <p className="reconnect-limit" data-testid="give-up">
              {t('status.giveUp', { max: session.maxReconnectAttempts })}
            </p>
          </div>
        ) : null}
      </div>
      <div className="status-header-actions">
        {canDisconnect ? (
          <button
            type="button"
            className="button"
            disabled={!props.isBridged}
            onClick={props.onDisconnect}
          >
            {t('status.disconnect')}
          </button>
        ) : (
          <button
            type="button"
            className="button button-primary"
            disabled={!props.isBridged || props.blocker !== null || props.isBusy}
            aria-describedby={props.blocker ? blockerId : undefined}
            onClick={props.onConnect}
          >
            {t('status.connect')}
          </button>
        )}
        {!canDisconnect && props.blocker === 'relay' && props.hasPendingLink ? (
          <p className="status-blocked" id={blockerId} data-testid="connect-blocked">
            {t('status.connectNeedsLink')}
          </p>
        ) : !canDisconnect && props.blocker ? (
          <p className="status-blocked" id={blockerId} data-testid="connect-blocked">
            {t(props.blocker === 'relay' ? 'status.connectNeedsRelay' : 'status.connectNeedsToken')}{' '}
            <button
              type="button"
              className="button-link"
              onClick={() => props.blocker && props.onFix(props.blocker)}
            >
              {t(props.blocker === 'relay' ? 'status.setUpRelay' : 'status.signIn')}
            </button>
          </p>
        ) : null}
      </div>
    </div>
  );
}

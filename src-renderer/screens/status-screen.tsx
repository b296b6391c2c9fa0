// Status: the connection state, relay and identity, the reconnect countdown with Retry now,
// the last error with what to do, a loud insecure-relay warning, the first-run offer and a
// connection link waiting for an answer.
// What it shows comes from main's pushes only; a request's reply never writes the store.
import type { Notice, NoticeKind } from '../../src-main/shared/ipc-contract';
import { useAppState, useBridge, useI18n, useNow } from '../app-context';
import { Banner } from '../components/banner';
import { DetailsList } from '../components/details-list';
import { ErrorPanel } from '../components/error-panel';
import { InvitePanel, InviteProblemPanel } from '../components/invite-panel';
import { StateBadge } from '../components/state-badge';
import { formatDateTime, formatDuration, formatRelativeTime } from '../format/format';
import {
  selectConnectionState,
  selectIsFirstRun,
  selectInvite,
  selectIsInsecure,
  selectLastError,
  selectNotices,
  selectSession,
  selectSettings,
  selectTunnels,
} from '../store/selectors';
import { useAction } from './use-action';

/** Countdown refresh: often enough that seconds never skip. */
const COUNTDOWN_TICK_MS = 250;
/** "Connected since ... (2 hours ago)" needs no more than this. */
const RELATIVE_TICK_MS = 30_000;

type GeneralNotice = Notice & {
  readonly kind: Exclude<NoticeKind, 'first_run' | 'insecure_relay'>;
};

/** Notices shown as they come; first_run and insecure_relay have panels of their own. */
function isGeneralNotice(notice: Notice): notice is GeneralNotice {
  return notice.kind !== 'first_run' && notice.kind !== 'insecure_relay';
}

export interface StatusScreenProps {
  readonly onOpenSettings: () => void;
}

export function StatusScreen({ onOpenSettings }: StatusScreenProps) {
  const { t, locale } = useI18n();
  const bridge = useBridge();
  const state = useAppState(selectConnectionState);
  const session = useAppState(selectSession);
  const lastError = useAppState(selectLastError);
  const settings = useAppState(selectSettings);
  const tunnels = useAppState(selectTunnels);
  const isFirstRun = useAppState(selectIsFirstRun);
  const isInsecure = useAppState(selectIsInsecure);
  const notices = useAppState(selectNotices);
  const invite = useAppState(selectInvite);
  const isReconnecting = state === 'reconnecting';
  const now = useNow(
    isReconnecting ? COUNTDOWN_TICK_MS : RELATIVE_TICK_MS,
    isReconnecting || session?.connectedSince != null,
  );
  const [action, run] = useAction();

  const relay =
    session?.relay || (settings?.relay ? `${settings.relay.host}:${settings.relay.port}` : '');
  const nextRetryMs = session?.nextRetryAt ? Date.parse(session.nextRetryAt) : NaN;
  const activeTunnels = tunnels.filter((tunnel) => tunnel.status === 'listening').length;
  const enabledTunnels = tunnels.filter((tunnel) => tunnel.enabled).length;
  const isDirect = tunnels.some((tunnel) => tunnel.enabled && tunnel.dataMode === 'direct');
  const canDisconnect = state !== 'disconnected';

  return (
    <section className="screen" aria-labelledby="status-heading">
      <header className="screen-header">
        <h2 id="status-heading">{t('status.heading')}</h2>
        <StateBadge state={state} label={t(`state.${state}`)} />
      </header>

      {invite.pending ? (
        <InvitePanel
          invite={invite.pending}
          t={t}
          locale={locale}
          isBusy={!bridge || action.isBusy}
          onAccept={() => {
            const id = invite.pending?.id;
            if (id !== undefined) void run(() => bridge?.inviteAccept({ id }));
          }}
          onDismiss={() => {
            const id = invite.pending?.id;
            if (id !== undefined) void run(() => bridge?.inviteDismiss({ id }));
          }}
        />
      ) : null}
      {invite.problem ? (
        <InviteProblemPanel
          problem={invite.problem}
          t={t}
          onDismiss={() => {
            const id = invite.problem?.id;
            if (id !== undefined) void run(() => bridge?.inviteDismiss({ id }));
          }}
        />
      ) : null}

      {isInsecure ? (
        <Banner tone="danger" title={t('status.insecureTitle')} testId="insecure-warning">
          <p>{t('status.insecureBody')}</p>
        </Banner>
      ) : null}

      {notices.filter(isGeneralNotice).map((notice) => (
        <Banner
          key={`${notice.kind}-${notice.at}`}
          tone="warning"
          title={t(`notice.${notice.kind}`)}
          testId={`notice-${notice.kind}`}
          dismissLabel={t('notice.dismiss')}
          onDismiss={
            bridge ? () => void run(() => bridge.noticeDismiss({ kind: notice.kind })) : undefined
          }
        >
          <p>{t(`noticeBody.${notice.kind}`, notice.params)}</p>
        </Banner>
      ))}

      {isFirstRun ? (
        <Banner tone="info" title={t('status.firstRunTitle')} testId="first-run">
          <p>{t('status.firstRunBody')}</p>
          <div className="actions">
            <button
              type="button"
              className="button button-primary"
              disabled={!bridge || action.isBusy}
              onClick={() => void run(() => bridge?.relayUseBuiltin())}
            >
              {t('status.useBuiltin')}
            </button>
            <button type="button" className="button" onClick={onOpenSettings}>
              {t('status.openSettings')}
            </button>
          </div>
        </Banner>
      ) : null}

      {isReconnecting && session ? (
        <div className="reconnect" data-testid="reconnect">
          <p className="reconnect-attempt">
            {t('status.attempt', {
              n: session.reconnectAttempt,
              max: session.maxReconnectAttempts,
            })}
          </p>
          <p className="reconnect-countdown" aria-live="off" data-testid="countdown">
            {Number.isFinite(nextRetryMs) && nextRetryMs > now
              ? t('status.nextTry', { time: formatDuration(nextRetryMs - now, locale) })
              : t('status.tryingNow')}
          </p>
          <button
            type="button"
            className="button button-primary"
            disabled={!bridge}
            onClick={() => void run(() => bridge?.sessionRetryNow())}
          >
            {t('status.retryNow')}
          </button>
        </div>
      ) : null}

      <DetailsList
        items={[
          { label: t('status.relay'), value: relay || t('status.noRelay'), testId: 'relay' },
          { label: t('status.clientId'), value: session?.clientId ?? '—', testId: 'client-id' },
          { label: t('status.tenant'), value: session?.tenantId ?? '—', testId: 'tenant' },
          {
            label: t('status.connectedSince'),
            value: session?.connectedSince ? (
              <time
                dateTime={session.connectedSince}
                title={formatDateTime(session.connectedSince, locale)}
              >
                {formatDateTime(session.connectedSince, locale)} (
                {formatRelativeTime(Date.parse(session.connectedSince), now, locale)})
              </time>
            ) : (
              '—'
            ),
            testId: 'connected-since',
          },
          {
            label: t('nav.tunnels'),
            value: t('status.tunnelsActive', { n: activeTunnels, total: enabledTunnels }),
          },
          ...(session?.relayVersion
            ? [{ label: t('status.relayVersion'), value: session.relayVersion }]
            : []),
        ]}
      />

      {isDirect ? (
        <Banner tone="warning" title={t('tunnels.direct')}>
          <p>{t('status.directMode')}</p>
        </Banner>
      ) : null}

      {lastError ? (
        <ErrorPanel error={lastError} t={t} title={t('status.lastError')} testId="last-error" />
      ) : null}
      {action.error ? <ErrorPanel error={action.error} t={t} /> : null}

      <div className="actions">
        {canDisconnect ? (
          <button
            type="button"
            className="button"
            disabled={!bridge}
            onClick={() => void run(() => bridge?.sessionDisconnect())}
          >
            {t('status.disconnect')}
          </button>
        ) : (
          <button
            type="button"
            className="button button-primary"
            disabled={!bridge || !settings?.relay || action.isBusy}
            onClick={() => void run(() => bridge?.sessionConnect())}
          >
            {t('status.connect')}
          </button>
        )}
      </div>
    </section>
  );
}

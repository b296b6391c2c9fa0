// Status: a connection link waiting for an answer, a loud insecure-relay warning and notices;
// one state header (state, plain reason and its age, the countdown with Retry now, Connect
// that says why it waits); the first-run checklist until a tunnel has worked; the session's
// details and the tunnels with their rates. What it shows comes from main's pushes only; a
// request's reply never writes the store.
import { useState } from 'react';
import type { Notice, NoticeKind, WindowView } from '../../src-main/shared/ipc-contract';
import type { TunnelKind } from '../../src-main/shared/model';
import { preferredLocalPort, presetFor } from '../../src-main/shared/tunnel-presets';
import { useAppState, useBridge, useI18n, useNow } from '../app-context';
import { Banner } from '../components/banner';
import { Checklist } from '../components/checklist';
import { ConnectHint } from '../components/connect-hint';
import { DetailsList } from '../components/details-list';
import { ErrorPanel } from '../components/error-panel';
import { InvitePanel, InviteProblemPanel } from '../components/invite-panel';
import { StatusHeader } from '../components/status-header';
import { TunnelMiniList } from '../components/tunnel-mini-list';
import { checklistOf, connectBlocker } from '../format/checklist';
import { formatDateTime, formatRelativeTime } from '../format/format';
import { selectInvite, selectNotices, selectSnapshot } from '../store/selectors';
import '../styles/status.css';
import { useAction } from './use-action';

/** Countdown refresh: often enough that seconds never skip. */
const COUNTDOWN_TICK_MS = 250;
/** "14 s ago" for a reason shown in the header. */
const AGE_TICK_MS = 1_000;
/** "Connected since ... (2 hours ago)" needs no more than this. */
const RELATIVE_TICK_MS = 30_000;

type GeneralNotice = Notice & {
  readonly kind: Exclude<NoticeKind, 'first_run' | 'insecure_relay'>;
};

/** Notices shown as they come; first_run and insecure_relay have panels of their own. */
function isGeneralNotice(notice: Notice): notice is GeneralNotice {
  return notice.kind !== 'first_run' && notice.kind !== 'insecure_relay';
}

/** Where a step of Status sends the person: a view, with what to open there. */
export interface NavigateTo {
  readonly view: WindowView;
  readonly addKind?: TunnelKind;
  readonly tunnelId?: string;
}

export interface StatusScreenProps {
  readonly onNavigate?: (to: NavigateTo) => void;
  /** Older callers: Settings only. */
  readonly onOpenSettings?: () => void;
}

export function StatusScreen({ onNavigate, onOpenSettings }: StatusScreenProps) {
  const { t, locale } = useI18n();
  const bridge = useBridge();
  const snapshot = useAppState(selectSnapshot);
  const notices = useAppState(selectNotices);
  const invite = useAppState(selectInvite);
  const [action, run] = useAction();
  const [hintId, setHintId] = useState<string | null>(null);
  const engine = snapshot?.engine ?? null;
  const state = engine?.state ?? 'disconnected';
  const session = engine?.session ?? null;
  const lastError = state === 'active' ? null : (engine?.lastError ?? null);
  const isReconnecting = state === 'reconnecting';
  const now = useNow(
    isReconnecting ? COUNTDOWN_TICK_MS : lastError ? AGE_TICK_MS : RELATIVE_TICK_MS,
    isReconnecting || lastError !== null || session?.connectedSince != null,
  );
  if (!snapshot || !engine) return null;

  const navigate = (to: NavigateTo) => {
    if (onNavigate) onNavigate(to);
    else if (to.view === 'settings') onOpenSettings?.();
  };
  const { settings, account } = snapshot;
  const tunnels = engine.tunnels;
  const relay =
    session?.relay || (settings.relay ? `${settings.relay.host}:${settings.relay.port}` : '');
  const isInsecure = session?.insecure === true || settings.relay?.insecure === true;
  const checklist = checklistOf(snapshot);
  const enabled = tunnels.filter((x) => x.enabled);
  const ready = tunnels.filter((x) => x.status === 'listening').length;
  const isDirect = enabled.some((x) => x.dataMode === 'direct');
  const isUp = state === 'active';
  const hinted = hintId === null ? null : (tunnels.find((x) => x.id === hintId) ?? null);

  const addTunnel = async (kind: Exclude<TunnelKind, 'other'>, remoteHost: string) => {
    if (!bridge) return;
    const remotePort = presetFor(kind).remotePort ?? 0;
    const localHost = '127.0.0.1';
    const free = await bridge.tunnelSuggestPort({
      port: preferredLocalPort(remotePort),
      localHost,
    });
    const result = await run(() =>
      bridge.tunnelSave({
        name: t(`preset.${kind}`),
        kind,
        localHost,
        localPort: free.ok ? free.value.port : preferredLocalPort(remotePort),
        remoteHost,
        remotePort,
        enabled: true,
      }),
    );
    if (result?.ok) setHintId(result.value.id);
  };

  const sinceLabel = isUp ? t('status.connectedSince') : t('status.disconnectedSince');
  const since = isUp ? (session?.connectedSince ?? null) : (lastError?.at ?? null);

  return (
    <section className="screen status-screen" aria-labelledby="status-heading">
      <header className="screen-header">
        <h2 id="status-heading">{t('status.heading')}</h2>
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

      <StatusHeader
        state={state}
        session={session}
        lastError={lastError}
        relay={relay}
        now={now}
        t={t}
        locale={locale}
        isBridged={bridge !== null}
        isBusy={action.isBusy}
        blocker={connectBlocker(snapshot)}
        hasPendingLink={invite.pending !== null}
        onConnect={() => void run(() => bridge?.sessionConnect())}
        onDisconnect={() => void run(() => bridge?.sessionDisconnect())}
        onRetryNow={() => void run(() => bridge?.sessionRetryNow())}
        onFix={(blocker) => navigate({ view: blocker === 'relay' ? 'settings' : 'account' })}
      />

      {action.error ? <ErrorPanel error={action.error} t={t} /> : null}

      {hinted ? (
        <ConnectHint
          tunnel={hinted}
          t={t}
          isBridged={bridge !== null}
          onCopy={async () =>
            (await run(() => bridge?.tunnelCopyAddress({ id: hinted.id })))?.ok ?? false
          }
          onOpen={() => void run(() => bridge?.tunnelOpen({ id: hinted.id }))}
          onClose={() => setHintId(null)}
        />
      ) : null}

      {!checklist.isComplete ? (
        <Checklist
          checklist={checklist}
          t={t}
          relay={relay}
          subject={account.subject}
          isBridged={bridge !== null}
          isBusy={action.isBusy}
          hasPendingLink={invite.pending !== null}
          onUseBuiltin={() => void run(() => bridge?.relayUseBuiltin())}
          onSetUpRelay={() => navigate({ view: 'settings' })}
          onSignIn={() => navigate({ view: 'account' })}
          onAddTunnel={(kind, host) => void addTunnel(kind, host)}
          onOtherTunnel={() => navigate({ view: 'tunnels', addKind: 'other' })}
          onShowTunnels={() => navigate({ view: 'tunnels' })}
        />
      ) : null}

      <DetailsList
        items={[
          { label: t('status.relay'), value: relay || t('status.noRelay'), testId: 'relay' },
          { label: t('status.clientId'), value: session?.clientId ?? '—', testId: 'client-id' },
          { label: t('status.tenant'), value: session?.tenantId ?? '—', testId: 'tenant' },
          ...(isUp || since !== null
            ? [
                {
                  label: sinceLabel,
                  value: since ? (
                    <time dateTime={since} title={formatDateTime(since, locale)}>
                      {formatDateTime(since, locale)} (
                      {formatRelativeTime(Date.parse(since), now, locale)})
                    </time>
                  ) : (
                    '—'
                  ),
                  testId: isUp ? 'connected-since' : 'disconnected-since',
                },
              ]
            : []),
          {
            label: t('nav.tunnels'),
            value:
              tunnels.length === 0
                ? t('status.tunnelsNone')
                : isUp
                  ? t('status.tunnelsActive', { n: ready, total: enabled.length })
                  : t('status.tunnelsWaiting', { n: enabled.length }),
            testId: 'tunnels-summary',
          },
          ...(session?.relayVersion
            ? [{ label: t('status.relayVersion'), value: session.relayVersion }]
            : []),
        ]}
      />

      {tunnels.length > 0 ? (
        <TunnelMiniList
          tunnels={tunnels}
          t={t}
          locale={locale}
          onShow={(id) => navigate({ view: 'tunnels', tunnelId: id })}
        />
      ) : null}

      {isDirect ? (
        <Banner tone="warning" title={t('tunnels.direct')}>
          <p>{t('status.directMode')}</p>
        </Banner>
      ) : null}
    </section>
  );
}

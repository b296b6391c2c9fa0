// Share this computer: publish its Remote Desktop and/or SSH under a name through the relay
// (docs/protocol.md "Published servers"), see it online and who is connected (identity, since
// when, bytes), change it, stop sharing. What it shows comes from main's pushes only; the
// share keeps running with the window closed, as tunnels do.
import { useState } from 'react';
import type { ShareDraft } from '../../src-main/shared/share-model';
import { SHARE_SERVICES, suggestShareName } from '../../src-main/shared/share-model';
import { livePublish, shareStatus } from '../../src-main/shared/share-view';
import { useAppState, useBridge, useI18n, useNow } from '../app-context';
import { ErrorPanel } from '../components/error-panel';
import { ShareConnections } from '../components/share-connections';
import { ShareForm } from '../components/share-form';
import { ShareSummary } from '../components/share-summary';
import {
  selectAccount,
  selectEngine,
  selectInfo,
  selectSettings,
  selectShare,
} from '../store/selectors';
import '../styles/share.css';
import type { NavigateTo } from './status-screen';
import { useAction } from './use-action';

/** "Since" moves on while someone is connected. */
const SINCE_TICK_MS = 15_000;

export interface ShareScreenProps {
  readonly onNavigate?: (to: NavigateTo) => void;
}

export function ShareScreen({ onNavigate }: ShareScreenProps) {
  const { t, locale } = useI18n();
  const bridge = useBridge();
  const share = useAppState(selectShare);
  const engine = useAppState(selectEngine);
  const settings = useAppState(selectSettings);
  const account = useAppState(selectAccount);
  const info = useAppState(selectInfo);
  const [isEditing, setEditing] = useState(false);
  const [action, run] = useAction();
  // The screen shows once main's first snapshot is in; before that nothing is shared.
  const status = engine === null ? 'off' : shareStatus(share, engine);
  const publish = engine === null ? null : livePublish(share, engine);
  const isSharing = share?.enabled === true;
  const connections = isSharing ? (publish?.connections ?? []) : [];
  const now = useNow(SINCE_TICK_MS, connections.length > 0);

  const hasRelay = (settings?.relay ?? null) !== null;
  const isSignedIn = account?.signedIn ?? false;
  const blocker = !hasRelay
    ? t('share.needsRelay')
    : !isSignedIn
      ? t('share.needsToken')
      : bridge === null
        ? t('app.noBridge')
        : null;
  const initial: ShareDraft = share
    ? { name: share.name, services: share.services, allowSubs: share.allowSubs }
    : {
        name: suggestShareName(info?.hostName ?? ''),
        services: [...SHARE_SERVICES],
        allowSubs: null,
      };

  const submit = async (draft: ShareDraft) => {
    const result = await run(() =>
      isSharing ? bridge?.shareUpdate(draft) : bridge?.shareStart(draft),
    );
    if (result?.ok) setEditing(false);
  };
  const showForm = !isSharing || isEditing;

  return (
    <section className="screen share-screen" aria-labelledby="share-heading">
      <header className="screen-header">
        <h2 id="share-heading">{t('share.heading')}</h2>
      </header>
      {!isSharing ? <p className="share-intro">{t('share.intro')}</p> : null}
      {!isSharing && blocker !== null && onNavigate && (!hasRelay || !isSignedIn) ? (
        <div className="actions">
          <button
            type="button"
            className="button"
            onClick={() => onNavigate({ view: hasRelay ? 'account' : 'status' })}
          >
            {hasRelay ? t('status.signIn') : t('status.setUpRelay')}
          </button>
        </div>
      ) : null}
      {isSharing && share ? (
        <ShareSummary
          share={share}
          status={status}
          error={publish?.error ?? null}
          t={t}
          isBusy={action.isBusy}
          isBridged={bridge !== null}
          onStop={() => void run(() => bridge?.shareStop())}
          onChange={() => setEditing(true)}
        />
      ) : null}
      {action.error && Object.keys(action.fields).length === 0 ? (
        <ErrorPanel error={action.error} t={t} />
      ) : null}
      {showForm ? (
        <ShareForm
          key={isEditing ? 'edit' : 'new'}
          initial={initial}
          t={t}
          isSharing={isSharing}
          isBusy={action.isBusy}
          blocker={isSharing ? (bridge === null ? t('app.noBridge') : null) : blocker}
          fields={action.fields}
          onSubmit={(draft) => void submit(draft)}
          {...(isEditing ? { onCancel: () => setEditing(false) } : {})}
        />
      ) : null}
      {isSharing ? (
        <ShareConnections
          connections={connections}
          totalConnections={publish?.totalConnections ?? 0}
          t={t}
          locale={locale}
          now={now}
        />
      ) : null}
    </section>
  );
}

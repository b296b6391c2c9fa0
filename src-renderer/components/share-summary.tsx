// The share while it is on: what it says in one line (online, waiting for the relay, refused),
// what is shared, with whom, how it is protected, why the relay refused it in the reader's
// language, and Stop sharing / Change…. Display and callbacks only.
import type { ErrorInfo } from '../../src-main/shared/model';
import type { ShareSettings } from '../../src-main/shared/share-model';
import type { ShareStatus } from '../../src-main/shared/share-view';
import type { Translate } from '../i18n/i18n';
import { errorActionKey, errorTextKey } from '../i18n/error-advice';
import { Banner } from './banner';
import { DetailsList } from './details-list';
import { ErrorTechnical } from './error-panel';

export interface ShareSummaryProps {
  readonly share: ShareSettings;
  readonly status: ShareStatus;
  readonly error: ErrorInfo | null;
  readonly t: Translate;
  readonly isBusy: boolean;
  readonly isBridged: boolean;
  readonly onStop: () => void;
  readonly onChange: () => void;
}

const BADGE_CLASS: Readonly<Record<ShareStatus, string>> = {
  online: 'badge badge-active',
  starting: 'badge badge-authenticating',
  waiting: 'badge badge-authenticating',
  offline: 'badge badge-reconnecting',
  error: 'badge badge-share-error',
  off: 'badge',
};

export function ShareBadge({ status, t }: { status: ShareStatus; t: Translate }) {
  return (
    <span className={BADGE_CLASS[status]} role="status" data-testid="share-status">
      <span className="badge-dot" aria-hidden="true" />
      {t('share.status', { status })}
    </span>
  );
}

/** The relay's refusal: its reason in words when the app can say it, else the code's. */
function ShareError({ error, t }: { error: ErrorInfo; t: Translate }) {
  const action = error.detailKey ? '' : t(errorActionKey(error.code));
  return (
    <Banner tone="danger" title={t('share.errorTitle')} testId="share-error">
      <p>{error.detailKey ? t(error.detailKey, error.params) : t(errorTextKey(error.code))}</p>
      {action ? (
        <p className="error-action">
          <strong>{t('status.whatToDo')}:</strong> {action}
        </p>
      ) : null}
      <ErrorTechnical error={error} t={t} />
    </Banner>
  );
}

export function ShareSummary(props: ShareSummaryProps) {
  const { share, status, error, t } = props;
  return (
    <section className="panel share-summary" aria-labelledby="share-summary-name">
      <div className="panel-head">
        <h3 id="share-summary-name" className="share-name" translate="no">
          {share.name}
        </h3>
        <ShareBadge status={status} t={t} />
      </div>
      <p data-testid="share-line">{t('share.statusLine', { status, name: share.name })}</p>
      {error !== null && status === 'error' ? <ShareError error={error} t={t} /> : null}
      <DetailsList
        items={[
          {
            label: t('share.summaryServices'),
            value: share.services.map((s) => t(`share.service.${s}`)).join(', '),
            testId: 'share-services',
          },
          {
            label: t('share.summaryWho'),
            value: share.allowSubs === null ? t('share.everyone') : share.allowSubs.join(', '),
            testId: 'share-who',
          },
          { label: t('share.summaryEncryption'), value: t('share.endToEnd') },
        ]}
      />
      <div className="actions">
        <button
          type="button"
          className="button button-danger"
          disabled={!props.isBridged || props.isBusy}
          onClick={props.onStop}
        >
          {props.isBusy ? t('share.stopping') : t('share.stop')}
        </button>
        <button
          type="button"
          className="button"
          disabled={!props.isBridged || props.isBusy}
          onClick={props.onChange}
        >
          {t('share.change')}
        </button>
      </div>
    </section>
  );
}

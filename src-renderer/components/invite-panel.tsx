// The connection link waiting for an answer (docs/protocol.md#connection-links): what accepting
// sets (relay, its key, the certificate, who you sign in as, until when, whether a token comes
// with it, which relay it replaces) with Accept and Not now; and a refused link with its reason.
// Display only: the caller sends the answers, by the invite's id.
import type { InviteProblem, PendingInvite } from '../../src-main/shared/invite-view';
import type { Translate } from '../i18n/i18n';
import { formatDateTime } from '../format/format';
import { Banner } from './banner';
import { DetailsList } from './details-list';
import { ErrorPanel } from './error-panel';

export interface InvitePanelProps {
  readonly invite: PendingInvite;
  readonly t: Translate;
  readonly locale: 'en' | 'ru';
  readonly isBusy: boolean;
  readonly onAccept: () => void;
  readonly onDismiss: () => void;
}

function address(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function InvitePanel({ invite, t, locale, isBusy, onAccept, onDismiss }: InvitePanelProps) {
  const { replaces } = invite;
  return (
    <Banner
      tone={replaces?.sameProfile ? 'warning' : 'info'}
      title={t('invite.title')}
      testId="invite"
    >
      <p>{t('invite.body')}</p>
      <DetailsList
        items={[
          {
            label: t('invite.relay'),
            value: <span translate="no">{address(invite.host, invite.port)}</span>,
            testId: 'invite-relay',
          },
          ...(invite.serverName !== null
            ? [{ label: t('invite.serverName'), value: invite.serverName }]
            : []),
          {
            label: t('invite.key'),
            value: (
              <code translate="no" className="pin">
                {invite.pinSha256}
              </code>
            ),
            testId: 'invite-key',
          },
          {
            label: t('invite.ca'),
            value: invite.hasCa ? t('invite.caIncluded') : t('invite.caSystem'),
          },
          { label: t('invite.identity'), value: invite.subject, testId: 'invite-identity' },
          ...(invite.tenant !== null
            ? [{ label: t('invite.organisation'), value: invite.tenant }]
            : []),
          {
            label: t('invite.expires'),
            value: formatDateTime(invite.expiresAt, locale),
            testId: 'invite-expires',
          },
          {
            label: t('invite.token'),
            value: !invite.hasToken
              ? t('invite.tokenMissing')
              : invite.tokenExpiresAt === null
                ? t('invite.tokenIncludedNoExpiry')
                : t('invite.tokenIncluded', {
                    when: formatDateTime(invite.tokenExpiresAt, locale),
                  }),
            testId: 'invite-token',
          },
        ]}
      />
      {replaces?.sameProfile ? <p data-testid="invite-new-key">{t('invite.newKey')}</p> : null}
      {replaces !== null && !replaces.sameProfile ? (
        <p data-testid="invite-replaces">
          {t('invite.replaces', {
            name: replaces.name,
            address: address(replaces.host, replaces.port),
          })}
        </p>
      ) : null}
      <div className="actions">
        <button
          type="button"
          className="button button-primary"
          disabled={isBusy}
          onClick={onAccept}
        >
          {t('invite.accept')}
        </button>
        <button type="button" className="button" disabled={isBusy} onClick={onDismiss}>
          {t('invite.notNow')}
        </button>
      </div>
    </Banner>
  );
}

export interface InviteProblemPanelProps {
  readonly problem: InviteProblem;
  readonly t: Translate;
  readonly onDismiss: () => void;
}

/** A link the app refused: what was wrong and what to do, until closed. */
export function InviteProblemPanel({ problem, t, onDismiss }: InviteProblemPanelProps) {
  return (
    <div className="invite-problem">
      <ErrorPanel
        error={problem.error}
        t={t}
        title={t('invite.problemTitle')}
        testId="invite-problem"
      />
      <div className="actions">
        <button type="button" className="button" onClick={onDismiss}>
          {t('notice.dismiss')}
        </button>
      </div>
    </div>
  );
}

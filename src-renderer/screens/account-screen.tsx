// Account: paste a token (it goes to main once and never comes back), see its decoded claims
// and expiry, a warning when it expires within 24 h, sign out, and keychain problems.
import { useState } from 'react';
import { useAppState, useBridge, useI18n, useNow } from '../app-context';
import { Banner } from '../components/banner';
import { DetailsList } from '../components/details-list';
import { ErrorPanel } from '../components/error-panel';
import { TextField } from '../components/text-field';
import { formatDateTime, formatRelativeTime } from '../format/format';
import { selectAccount, selectLastError } from '../store/selectors';
import { useAction } from './use-action';

const EXPIRY_TICK_MS = 30_000;

export function AccountScreen() {
  const { t, locale } = useI18n();
  const bridge = useBridge();
  const account = useAppState(selectAccount);
  const lastError = useAppState(selectLastError);
  const [token, setToken] = useState('');
  const [isReplacing, setReplacing] = useState(false);
  const [action, run] = useAction();
  const now = useNow(EXPIRY_TICK_MS);

  const expiresMs = account?.expiresAt ? Date.parse(account.expiresAt) : NaN;
  const isExpired = Number.isFinite(expiresMs) && expiresMs <= now;
  const isSignedIn = account?.signedIn ?? false;
  const showForm = !isSignedIn || isReplacing;

  const save = async () => {
    const result = await run(() => bridge?.tokenSave({ token: token.trim() }));
    if (result?.ok) {
      // The token leaves the renderer's memory as soon as main has it.
      setToken('');
      setReplacing(false);
    }
  };

  return (
    <section className="screen" aria-labelledby="account-heading">
      <header className="screen-header">
        <h2 id="account-heading">{t('account.heading')}</h2>
      </header>

      {account?.keychainError ? (
        <ErrorPanel
          error={account.keychainError}
          t={t}
          title={t('account.keychainTitle')}
          testId="keychain-error"
        />
      ) : null}

      {isSignedIn && lastError?.code === 'token_relay_changed' ? (
        // Main asks the user in a dialog of its own; the page only starts the question.
        <Banner tone="warning" title={t('error.token_relay_changed')} testId="relay-changed">
          <div className="actions">
            <button
              type="button"
              className="button"
              disabled={!bridge || action.isBusy}
              onClick={() => void run(() => bridge?.tokenConfirmRelay())}
            >
              {t('account.confirmRelay')}
            </button>
          </div>
        </Banner>
      ) : null}

      {isSignedIn && account ? (
        <>
          {isExpired ? (
            <Banner tone="danger" title={t('account.expired')} testId="token-expired" />
          ) : account.expiresSoon && account.expiresAt ? (
            <Banner
              tone="warning"
              title={t('account.expiresSoon', { when: formatRelativeTime(expiresMs, now, locale) })}
              testId="token-expiring"
            />
          ) : null}
          <DetailsList
            items={[
              { label: t('account.subject'), value: account.subject ?? '—', testId: 'subject' },
              {
                label: t('account.tenant'),
                value: account.tenant ?? '—',
                testId: 'account-tenant',
              },
              {
                label: t('account.expires'),
                value: account.expiresAt ? (
                  <time dateTime={account.expiresAt}>
                    {formatDateTime(account.expiresAt, locale)} (
                    {formatRelativeTime(expiresMs, now, locale)})
                  </time>
                ) : (
                  t('account.noExpiry')
                ),
                testId: 'expires',
              },
            ]}
          />
          <div className="actions">
            {!isReplacing ? (
              <button type="button" className="button" onClick={() => setReplacing(true)}>
                {t('account.replace')}
              </button>
            ) : null}
            <button
              type="button"
              className="button button-danger"
              disabled={!bridge || action.isBusy}
              onClick={() => void run(() => bridge?.tokenSignOut())}
            >
              {t('account.signOut')}
            </button>
          </div>
        </>
      ) : (
        <p>{t('account.signedOut')}</p>
      )}

      {showForm ? (
        <form
          className="panel"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <TextField
            id="account-token"
            label={t('account.tokenLabel')}
            help={t('account.tokenHelp')}
            value={token}
            multiline
            error={
              action.fields['token']
                ? t(action.fields['token'].key, action.fields['token'].params)
                : null
            }
            onChange={setToken}
          />
          <div className="actions">
            <button
              type="submit"
              className="button button-primary"
              disabled={!bridge || action.isBusy || token.trim() === ''}
            >
              {action.isBusy ? t('account.saving') : t('account.save')}
            </button>
          </div>
        </form>
      ) : null}

      {action.error ? (
        <ErrorPanel error={action.error} t={t} testId="account-action-error" />
      ) : null}
    </section>
  );
}

// Account: sign in with a token, by Paste (main reads its own clipboard and saves the token, so
// the window never holds it) or by pasting into a masked field that shows only the token's
// first and last characters; then its claims and its expiry (relative and absolute, in the
// user's language), a warning when it expires within 24 h, Connect now after saving, replace,
// sign out, and keychain problems. The token goes to main once and never comes back.
import { useState } from 'react';
import { useAppState, useBridge, useI18n, useNow } from '../app-context';
import { Banner } from '../components/banner';
import { DetailsList } from '../components/details-list';
import { ErrorPanel } from '../components/error-panel';
import { TextField } from '../components/text-field';
import { formatRelativeTime } from '../format/format';
import {
  selectAccount,
  selectConnectionState,
  selectLastError,
  selectSettings,
} from '../store/selectors';
import { useAction } from './use-action';

const EXPIRY_TICK_MS = 30_000;
/** The preview shows this much of each end, and only of a token long enough to keep it short. */
const PREVIEW_START = 6;
const PREVIEW_END = 4;
const PREVIEW_MIN_LENGTH = 16;

export interface AccountScreenProps {
  /** Signing in needs a relay first: the way to set one up. */
  readonly onOpenSettings?: () => void;
}

export function AccountScreen({ onOpenSettings }: AccountScreenProps = {}) {
  const { t, locale } = useI18n();
  const bridge = useBridge();
  const account = useAppState(selectAccount);
  const lastError = useAppState(selectLastError);
  const state = useAppState(selectConnectionState);
  const settings = useAppState(selectSettings);
  const [token, setToken] = useState('');
  const [isReplacing, setReplacing] = useState(false);
  const [isJustSaved, setJustSaved] = useState(false);
  const [action, run] = useAction();
  const [connectAction, runConnect] = useAction();
  const now = useNow(EXPIRY_TICK_MS);

  const expiresMs = account?.expiresAt ? Date.parse(account.expiresAt) : NaN;
  const isExpired = Number.isFinite(expiresMs) && expiresMs <= now;
  const isSignedIn = account?.signedIn ?? false;
  const showForm = !isSignedIn || isReplacing;
  const hasRelay = (settings?.relay ?? null) !== null;
  const trimmed = token.trim();

  const saved = (ok: boolean | undefined) => {
    if (!ok) return;
    // The token leaves the renderer's memory as soon as main has it.
    setToken('');
    setReplacing(false);
    setJustSaved(true);
  };
  const save = async () => {
    const result = await run(() => bridge?.tokenSave({ token: trimmed }));
    saved(result?.ok);
  };
  const paste = async () => {
    const result = await run(() => bridge?.tokenPaste());
    saved(result?.ok);
  };

  return (
    <section className="screen screen-account" aria-labelledby="account-heading">
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

      {isSignedIn && isJustSaved ? (
        <Banner tone="info" title={t('account.savedTitle')} testId="token-saved">
          {state === 'disconnected' ? (
            <div className="actions">
              <button
                type="button"
                className="button button-primary"
                disabled={!bridge || connectAction.isBusy}
                onClick={() => void runConnect(() => bridge?.sessionConnect())}
              >
                {t('account.connectNow')}
              </button>
            </div>
          ) : (
            <p>{t(`state.${state}`)}</p>
          )}
        </Banner>
      ) : null}
      {connectAction.error ? <ErrorPanel error={connectAction.error} t={t} /> : null}

      {isSignedIn && account ? (
        <div className="panel" data-testid="account-identity">
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
                    {t('account.expiresValue', {
                      relative: formatRelativeTime(expiresMs, now, locale),
                      expires: expiresMs,
                    })}
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
              onClick={() => {
                setJustSaved(false);
                void run(() => bridge?.tokenSignOut());
              }}
            >
              {t('account.signOut')}
            </button>
          </div>
        </div>
      ) : (
        <p>{t('account.signedOut')}</p>
      )}

      {showForm && !hasRelay ? (
        <Banner tone="info" title={t('account.noRelayYet')} testId="account-no-relay">
          {onOpenSettings ? (
            <div className="actions">
              <button type="button" className="button" onClick={onOpenSettings}>
                {t('status.openSettings')}
              </button>
            </div>
          ) : null}
        </Banner>
      ) : null}

      {showForm ? (
        <form
          className="panel token-form"
          aria-labelledby="account-token-label"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <p className="field-help" id="account-token-label">
            {t('account.tokenHelp')}
          </p>
          <div className="actions">
            <button
              type="button"
              className="button button-primary"
              disabled={!bridge || action.isBusy}
              onClick={() => void paste()}
            >
              {t('account.paste')}
            </button>
            <span className="muted">{t('account.or')}</span>
          </div>
          <TextField
            id="account-token"
            type="password"
            label={t('account.tokenLabel')}
            value={token}
            error={
              action.fields['token']
                ? t(action.fields['token'].key, action.fields['token'].params)
                : null
            }
            onChange={setToken}
            action={
              <button
                type="submit"
                className="button"
                disabled={!bridge || action.isBusy || trimmed === ''}
              >
                {action.isBusy ? t('account.saving') : t('account.save')}
              </button>
            }
          />
          {trimmed.length >= PREVIEW_MIN_LENGTH ? (
            <p className="token-preview" data-testid="token-preview" aria-live="polite">
              <code translate="no">
                {trimmed.slice(0, PREVIEW_START)}…{trimmed.slice(-PREVIEW_END)}
              </code>{' '}
              <span className="muted">{t('account.preview', { length: trimmed.length })}</span>
            </p>
          ) : null}
        </form>
      ) : null}

      {action.error ? (
        <ErrorPanel error={action.error} t={t} testId="account-action-error" />
      ) : null}
    </section>
  );
}

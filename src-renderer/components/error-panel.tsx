// An error in plain words: what happened (from its stable code), the detail main could put in
// the user's language (detailKey + params), the one thing to do about it
// (i18n/error-advice.ts), and, folded away, the engine's own English words for support.
// Display only.
import type { ErrorInfo } from '../../src-main/shared/model';
import type { Translate } from '../i18n/i18n';
import { errorActionKey, errorTextKey } from '../i18n/error-advice';
import { Banner } from './banner';

export interface ErrorPanelProps {
  readonly error: ErrorInfo;
  readonly t: Translate;
  readonly title?: string;
  readonly testId?: string;
}

export function ErrorPanel({ error, t, title, testId }: ErrorPanelProps) {
  const action = t(errorActionKey(error.code));
  return (
    <Banner tone="danger" title={title ?? t(errorTextKey(error.code))} testId={testId}>
      {title ? <p>{t(errorTextKey(error.code))}</p> : null}
      {error.detailKey ? <p className="error-detail">{t(error.detailKey, error.params)}</p> : null}
      {action ? (
        <p className="error-action">
          <strong>{t('status.whatToDo')}:</strong> {action}
        </p>
      ) : null}
      <ErrorTechnical error={error} t={t} />
    </Banner>
  );
}

/**
 * Folded away: the code and what the engine or the OS said, untranslated (the log's words, for
 * a support request).
 */
export function ErrorTechnical({ error, t }: { error: ErrorInfo; t: Translate }) {
  const technical = error.detail || error.message;
  return (
    <details className="error-code" data-testid="error-technical">
      <summary>{t('status.technical')}</summary>
      <p translate="no">
        <code>{error.code}</code>
        {technical ? (
          <>
            {' '}
            <span className="error-detail" lang="en">
              {technical}
            </span>
          </>
        ) : null}
      </p>
    </details>
  );
}

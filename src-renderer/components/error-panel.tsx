// An error in plain words: what happened (from its stable code), the detail the engine gave,
// and the one thing to do about it (i18n/error-advice.ts). Display only.
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
      {/* The engine's own words (a port holder, a relay's reason) complete the plain text. */}
      {error.detail || error.message ? (
        <p className="error-detail">{error.detail || error.message}</p>
      ) : null}
      {action ? (
        <p className="error-action">
          <strong>{t('status.whatToDo')}:</strong> {action}
        </p>
      ) : null}
      <p className="error-code">
        <code>{error.code}</code>
      </p>
    </Banner>
  );
}

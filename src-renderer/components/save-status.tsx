// How every setting says whether it was saved: "Saving…" while main works, "Saved." once main
// answered, or the error in plain words. One look for the relay and for the switches.
// Display only.
import type { ErrorInfo } from '../../src-main/shared/model';
import type { Translate } from '../i18n/i18n';
import { ErrorPanel } from './error-panel';
import { Icon } from './icon';

export interface SaveStatusProps {
  readonly isBusy: boolean;
  readonly isSaved: boolean;
  readonly error: ErrorInfo | null;
  readonly t: Translate;
  readonly testId?: string;
}

export function SaveStatus({ isBusy, isSaved, error, t, testId }: SaveStatusProps) {
  if (error)
    return <ErrorPanel error={error} t={t} testId={testId ? `${testId}-error` : undefined} />;
  return (
    <span className="save-status" role="status" data-testid={testId}>
      {isBusy ? (
        t('form.saving')
      ) : isSaved ? (
        <>
          <Icon name="check" className="status-ok" />
          {t('settings.saved')}
        </>
      ) : null}
    </span>
  );
}

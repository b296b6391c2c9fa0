// "Test connection"'s answer: one line per step (reach, TLS, pin, sign-in) with a mark and its
// words in the user's language, the reason of a failure from its error code with main's own
// words folded away, and a closing line saying nothing was saved. A relay key the test saw can
// be pinned from here. Display and callbacks only.
import type { RelayTestReport, RelayTestStep } from '../../src-main/shared/relay-test';
import type { Translate } from '../i18n/i18n';
import { errorTextKey } from '../i18n/error-advice';
import { Icon, type IconName } from './icon';

export interface RelayTestResultProps {
  readonly report: RelayTestReport;
  readonly t: Translate;
  /** Offered when the relay's key is known and differs from the pin (or there is none). */
  readonly onUsePin?: (pin: string) => void;
}

const MARKS: Readonly<Record<RelayTestStep['outcome'], IconName>> = {
  ok: 'check',
  failed: 'cross',
  skipped: 'dash',
};

function sentence(step: RelayTestStep, t: Translate): string {
  const reason = step.error ? t(errorTextKey(step.error.code)) : '';
  return t(`relayTest.${step.code}`, { ...step.params, reason });
}

export function RelayTestResult({ report, t, onUsePin }: RelayTestResultProps) {
  return (
    <section className="test-result" aria-labelledby="relay-test-heading" data-testid="relay-test">
      <h4 id="relay-test-heading" className="section-title">
        {t('relayTest.heading')}
      </h4>
      <ol className="test-steps">
        {report.steps.map((step) => {
          const pin = step.params?.['pin'];
          const canPin =
            onUsePin !== undefined &&
            typeof pin === 'string' &&
            pin !== '—' &&
            (step.code === 'pin_none' || step.code === 'pin_mismatch');
          return (
            <li
              key={step.step}
              className={`test-step test-${step.outcome}`}
              data-testid={`relay-test-${step.step}`}
            >
              <span className="test-mark">
                <Icon name={MARKS[step.outcome]} />
                <span className="visually-hidden">{t(`relayTest.outcome.${step.outcome}`)}:</span>
              </span>
              <span className="test-name">{t(`relayTest.step.${step.step}`)}</span>
              <span className="test-text">
                {sentence(step, t)}
                {canPin ? (
                  <>
                    {' '}
                    <button type="button" className="button-link" onClick={() => onUsePin(pin)}>
                      {t('relayTest.usePin')}
                    </button>
                  </>
                ) : null}
                {step.error && (step.error.detail || step.error.message) ? (
                  <details className="error-code">
                    <summary>{t('status.technical')}</summary>
                    <p translate="no">
                      <code>{step.error.code}</code>{' '}
                      <span lang="en">{step.error.detail || step.error.message}</span>
                    </p>
                  </details>
                ) : null}
              </span>
            </li>
          );
        })}
      </ol>
      <p className={report.ok ? 'status-ok' : 'status-failed'}>
        {t(report.ok ? 'relayTest.passed' : 'relayTest.failed')}
      </p>
    </section>
  );
}

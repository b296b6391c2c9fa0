// The first-run checklist on Status: Relay -> Sign in -> First tunnel, each marked done or to
// do, each with the one step that does it right there, and a step that must wait saying what
// it waits for. Shown until a tunnel has worked (format/checklist.ts). Display and callbacks.
import type { TunnelKind } from '../../src-main/shared/model';
import type { Checklist as ChecklistModel, ChecklistStep } from '../format/checklist';
import type { Translate } from '../i18n/i18n';
import { Glyph } from './glyph';
import { QuickTunnel } from './quick-tunnel';

export interface ChecklistProps {
  readonly checklist: ChecklistModel;
  readonly t: Translate;
  /** host:port of the relay set up, or ''. */
  readonly relay: string;
  readonly subject: string | null;
  readonly isBridged: boolean;
  readonly isBusy: boolean;
  /** A connection link waits above: it is the way to the relay. */
  readonly hasPendingLink: boolean;
  readonly onUseBuiltin: () => void;
  readonly onSetUpRelay: () => void;
  readonly onSignIn: () => void;
  readonly onAddTunnel: (kind: Exclude<TunnelKind, 'other'>, remoteHost: string) => void;
  readonly onOtherTunnel: () => void;
  readonly onShowTunnels: () => void;
}

export function Checklist(props: ChecklistProps) {
  const { checklist, t } = props;
  const done = checklist.steps.filter((s) => s.state === 'done').length;
  return (
    <section className="checklist" aria-labelledby="checklist-title" data-testid="checklist">
      <header className="checklist-head">
        <h3 id="checklist-title">{t('checklist.title')}</h3>
        <span className="checklist-progress">
          {t('checklist.progress', { done, total: checklist.steps.length })}
        </span>
      </header>
      <ol className="checklist-steps">
        {checklist.steps.map((step, index) => (
          <li
            key={step.id}
            className={`checklist-step checklist-step-${step.state}`}
            aria-current={step.state === 'current' ? 'step' : undefined}
            data-testid={`step-${step.id}`}
          >
            <span className="checklist-mark" aria-hidden="true">
              {step.state === 'done' ? <Glyph name="done" /> : index + 1}
            </span>
            <div className="checklist-body">
              <h4 className="checklist-step-title">
                {t(`checklist.${step.id}`)}
                <span className="visually-hidden">
                  {' '}
                  ({step.state === 'done' ? t('checklist.done') : t('checklist.todo')})
                </span>
              </h4>
              <StepBody step={step} {...props} />
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}

function StepBody(props: ChecklistProps & { readonly step: ChecklistStep }) {
  const { step, t, isBridged, isBusy } = props;
  const isDone = step.state === 'done';
  const isBlocked = step.state === 'blocked';
  const reasonId = `step-${step.id}-blocked`;
  switch (step.id) {
    case 'relay':
      if (isDone)
        return <p className="checklist-note">{t('checklist.relayDone', { relay: props.relay })}</p>;
      if (props.hasPendingLink) return <p className="checklist-note">{t('checklist.relayLink')}</p>;
      return (
        <>
          <p className="checklist-note">{t('checklist.relayTodo')}</p>
          <div className="actions">
            <button
              type="button"
              className="button button-primary"
              disabled={!isBridged || isBusy}
              onClick={props.onSetUpRelay}
            >
              {t('status.setUpRelay')}
            </button>
            <button
              type="button"
              className="button"
              disabled={!isBridged || isBusy}
              onClick={props.onUseBuiltin}
            >
              {t('status.useBuiltin')}
            </button>
          </div>
        </>
      );
    case 'signIn':
      return isDone ? (
        <p className="checklist-note">
          {props.subject
            ? t('checklist.signInDone', { subject: props.subject })
            : t('checklist.signInDoneAnonymous')}
        </p>
      ) : (
        <>
          <p className="checklist-note">{t('checklist.signInTodo')}</p>
          <div className="actions">
            <button
              type="button"
              className={isBlocked ? 'button' : 'button button-primary'}
              disabled={!isBridged || isBlocked}
              aria-describedby={isBlocked ? reasonId : undefined}
              onClick={props.onSignIn}
            >
              {t('status.signIn')}
            </button>
            {isBlocked ? (
              <span className="checklist-reason" id={reasonId}>
                {t('checklist.needsRelay')}
              </span>
            ) : null}
          </div>
        </>
      );
    case 'tunnel': {
      const first = props.checklist.firstTunnel;
      if (first !== null && !isDone)
        return (
          <>
            <p className="checklist-note">
              {first.status === 'error'
                ? t('checklist.tunnelFailed', { name: first.name })
                : first.status === 'registering'
                  ? t('checklist.tunnelStarting', { name: first.name })
                  : t('checklist.tunnelWaiting', { name: first.name })}
            </p>
            <div className="actions">
              <button type="button" className="button" onClick={props.onShowTunnels}>
                {t('status.tunnelsAll')}
              </button>
            </div>
          </>
        );
      if (isDone) return null;
      // Waiting on the relay: what it waits for, and nothing to press yet.
      if (isBlocked)
        return (
          <p className="checklist-note">
            {t('checklist.tunnelTodo')}{' '}
            <span className="checklist-reason" data-testid="step-tunnel-blocked">
              {t('checklist.needsRelay')}
            </span>
          </p>
        );
      return (
        <>
          <p className="checklist-note">{t('checklist.tunnelTodo')}</p>
          <QuickTunnel
            t={t}
            isBusy={isBusy}
            disabled={!isBridged}
            disabledReason={null}
            onAdd={props.onAddTunnel}
            onOther={props.onOtherTunnel}
          />
        </>
      );
    }
  }
}

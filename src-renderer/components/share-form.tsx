// The share's form: the name others find this computer by, which of its services to share
// (Remote Desktop, SSH) and who may connect (the whole organisation, or listed user ids),
// checked as it is typed by the rules main applies (shared/share-model.ts), with main's
// refusals on the same fields in the reader's language. Display and callbacks only.
import { useState } from 'react';
import type { FieldErrors, FieldProblem } from '../../src-main/shared/ipc-contract';
import {
  SHARE_SERVICES,
  parseSubs,
  validateShareDraft,
  type ShareDraft,
  type ShareField,
  type ShareService,
} from '../../src-main/shared/share-model';
import type { Translate } from '../i18n/i18n';
import { TextField } from './text-field';

export interface ShareFormProps {
  readonly initial: ShareDraft;
  readonly t: Translate;
  /** Sharing is on: the form changes it ("Save changes") rather than starting it. */
  readonly isSharing: boolean;
  readonly isBusy: boolean;
  /** Why it cannot be submitted now (no relay, no token); null when it can. */
  readonly blocker: string | null;
  /** Main's field problems from the last submit. */
  readonly fields: FieldErrors;
  readonly onSubmit: (draft: ShareDraft) => void;
  /** Absent while nothing is shared yet (there is nothing to go back to). */
  readonly onCancel?: () => void;
}

const ALL_FIELDS: readonly ShareField[] = ['name', 'services', 'allowSubs'];

export function ShareForm(props: ShareFormProps) {
  const { t, initial, isSharing, isBusy } = props;
  const [name, setName] = useState(initial.name);
  const [services, setServices] = useState<readonly ShareService[]>(initial.services);
  const [isListed, setListed] = useState(initial.allowSubs !== null);
  const [subsText, setSubsText] = useState((initial.allowSubs ?? []).join(', '));
  const [touched, setTouched] = useState<ReadonlySet<ShareField>>(new Set());
  const [edited, setEdited] = useState<ReadonlySet<ShareField>>(new Set());

  const draft: ShareDraft = {
    name: name.trim(),
    // In the order they are offered, whatever order they were ticked in.
    services: SHARE_SERVICES.filter((s) => services.includes(s)),
    allowSubs: isListed ? parseSubs(subsText) : null,
  };
  const errors = validateShareDraft(draft);

  const touch = (field: ShareField) => {
    setTouched((prev) => new Set(prev).add(field));
    setEdited((prev) => new Set(prev).add(field));
  };
  const say = (problem: FieldProblem | undefined) =>
    problem ? t(problem.key, problem.params) : null;
  const errorOf = (field: ShareField): string | null => {
    const fromMain = edited.has(field) ? undefined : props.fields[field];
    if (fromMain) return say(fromMain);
    return touched.has(field) ? say(errors[field]) : null;
  };
  const servicesError = errorOf('services');

  const submit = () => {
    setTouched(new Set(ALL_FIELDS));
    setEdited(new Set());
    if (Object.keys(errors).length > 0 || props.blocker !== null) return;
    props.onSubmit(draft);
  };

  return (
    <form
      className="panel share-form"
      aria-labelledby="share-form-title"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <h3 id="share-form-title" className="visually-hidden">
        {t('share.heading')}
      </h3>
      <TextField
        id="share-name"
        label={t('share.name')}
        value={name}
        help={t('share.nameHelp')}
        required
        error={errorOf('name')}
        onChange={(v) => {
          setName(v);
          setEdited((prev) => new Set(prev).add('name'));
        }}
        onBlur={() => setTouched((prev) => new Set(prev).add('name'))}
      />
      <fieldset
        className="share-choices"
        aria-describedby={servicesError ? 'share-services-error' : undefined}
      >
        <legend className="field-label">{t('share.services')}</legend>
        <div className="share-options">
          {SHARE_SERVICES.map((service) => {
            const checked = services.includes(service);
            return (
              <label
                key={service}
                className={checked ? 'share-option share-option-selected' : 'share-option'}
              >
                <input
                  type="checkbox"
                  className="share-check"
                  checked={checked}
                  aria-describedby={`share-service-${service}-hint`}
                  onChange={() => {
                    setServices((prev) =>
                      checked ? prev.filter((s) => s !== service) : [...prev, service],
                    );
                    touch('services');
                  }}
                />
                <span className="share-option-text">
                  <span className="share-option-title">{t(`share.service.${service}`)}</span>
                  <span className="share-option-hint" id={`share-service-${service}-hint`}>
                    {t(`share.service.${service}Hint`)}
                  </span>
                </span>
              </label>
            );
          })}
        </div>
        {servicesError ? (
          <p id="share-services-error" className="field-error" role="alert">
            {servicesError}
          </p>
        ) : null}
      </fieldset>
      <fieldset className="share-choices">
        <legend className="field-label">{t('share.who')}</legend>
        <label className="share-radio">
          <input
            type="radio"
            name="share-who"
            checked={!isListed}
            onChange={() => {
              setListed(false);
              touch('allowSubs');
            }}
          />
          {t('share.whoEveryone')}
        </label>
        <label className="share-radio">
          <input
            type="radio"
            name="share-who"
            checked={isListed}
            onChange={() => {
              setListed(true);
              setEdited((prev) => new Set(prev).add('allowSubs'));
            }}
          />
          {t('share.whoListed')}
        </label>
        {isListed ? (
          <TextField
            id="share-subs"
            label={t('share.subs')}
            value={subsText}
            help={t('share.subsHelp')}
            required
            error={errorOf('allowSubs')}
            onChange={(v) => {
              setSubsText(v);
              setEdited((prev) => new Set(prev).add('allowSubs'));
            }}
            onBlur={() => setTouched((prev) => new Set(prev).add('allowSubs'))}
          />
        ) : null}
      </fieldset>
      {props.blocker !== null ? (
        <p className="note" role="status">
          {props.blocker}
        </p>
      ) : null}
      <div className="actions">
        <button
          type="submit"
          className="button button-primary"
          disabled={isBusy || props.blocker !== null}
        >
          {isSharing
            ? t(isBusy ? 'share.saving' : 'share.save')
            : t(isBusy ? 'share.starting' : 'share.start')}
        </button>
        {props.onCancel ? (
          <button type="button" className="button" onClick={props.onCancel}>
            {t('share.cancel')}
          </button>
        ) : null}
      </div>
    </form>
  );
}

// The add/edit tunnel form: checks each field as it is typed (validation/tunnel-form.ts, the
// rules main applies) and shows main's Result.fields, message keys, on the same fields in
// the reader's language. It submits through a callback, never the bridge.
import { useMemo, useState } from 'react';
import type { FieldProblem, Result } from '../../src-main/shared/ipc-contract';
import type { TunnelConfig, TunnelKind } from '../../src-main/shared/model';
import { TUNNEL_KINDS } from '../../src-main/shared/model';
import { useI18n } from '../app-context';
import { ErrorPanel } from '../components/error-panel';
import { SelectField } from '../components/select-field';
import { Switch } from '../components/switch';
import { TextField } from '../components/text-field';
import {
  emptyTunnelForm,
  isDefaultRemotePort,
  toTunnelDraft,
  tunnelFormFrom,
  validateTunnelForm,
  type TunnelField,
  type TunnelFormValues,
} from '../validation/tunnel-form';
import { useAction } from './use-action';
import type { TunnelDraft } from '../../src-main/shared/ipc-contract';

export interface TunnelEditorProps {
  readonly editing: TunnelConfig | null;
  readonly tunnels: readonly TunnelConfig[];
  /** Undefined when there is no bridge to send the draft to. */
  readonly onSubmit: (draft: TunnelDraft) => Promise<Result<TunnelConfig>> | undefined;
  readonly onDone: () => void;
}

const FIELDS: readonly TunnelField[] = [
  'name',
  'localHost',
  'localPort',
  'remoteHost',
  'remotePort',
];

export function TunnelEditor({ editing, tunnels, onSubmit, onDone }: TunnelEditorProps) {
  const { t } = useI18n();
  const [values, setValues] = useState<TunnelFormValues>(() =>
    editing ? tunnelFormFrom(editing) : emptyTunnelForm(),
  );
  const [touched, setTouched] = useState<ReadonlySet<TunnelField>>(new Set());
  const [action, run] = useAction();
  // Main's field messages the person has since edited away.
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());
  const editingId = editing?.id ?? null;
  const errors = useMemo(
    () => validateTunnelForm(values, tunnels, editingId),
    [values, tunnels, editingId],
  );
  const idPrefix = `tunnel-${editingId ?? 'new'}`;

  const update = <K extends keyof TunnelFormValues>(key: K, value: TunnelFormValues[K]) => {
    setValues((prev) => {
      const next = { ...prev, [key]: value };
      // A kind change fills the usual remote port when the field is empty or still a default.
      if (key === 'kind' && isDefaultRemotePort(prev.remotePort)) {
        return { ...next, remotePort: emptyTunnelForm(value as TunnelKind).remotePort };
      }
      return next;
    });
    if (key in action.fields) setDismissed((prev) => new Set(prev).add(key));
    if ((FIELDS as readonly string[]).includes(key))
      setTouched((prev) => new Set(prev).add(key as TunnelField));
  };

  const say = (problem: FieldProblem | undefined): string | null =>
    problem ? t(problem.key, problem.params) : null;
  const fieldError = (field: TunnelField): string | null => {
    const server = dismissed.has(field) ? undefined : action.fields[field];
    if (server) return say(server);
    return touched.has(field) ? say(errors[field]) : null;
  };
  // The tunnel being edited was removed meanwhile (here or by main): no field can fix that.
  const goneError = say(errors.id ?? action.fields['id']);

  const submit = async () => {
    setTouched(new Set(FIELDS));
    if (Object.keys(errors).length > 0) return;
    setDismissed(new Set());
    const result = await run(() => onSubmit(toTunnelDraft(values, editingId)));
    if (result?.ok) onDone();
  };

  // The five text inputs differ only in their field and keyboard.
  const textField = (field: TunnelField, inputMode?: 'numeric') => (
    <TextField
      id={`${idPrefix}-${field}`}
      label={t(`form.${field}`)}
      value={values[field]}
      inputMode={inputMode}
      required
      error={fieldError(field)}
      onChange={(v) => update(field, v)}
      onBlur={() => setTouched((p) => new Set(p).add(field))}
    />
  );

  const hasVisibleErrors = FIELDS.some((f) => fieldError(f) !== null);

  return (
    <form
      className="panel tunnel-editor"
      aria-labelledby={`${idPrefix}-title`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h3 id={`${idPrefix}-title`}>{editing ? t('form.editTitle') : t('form.addTitle')}</h3>
      <div className="form-grid">
        {textField('name')}
        <SelectField<TunnelKind>
          id={`${idPrefix}-kind`}
          label={t('form.kind')}
          value={values.kind}
          options={TUNNEL_KINDS.map((kind) => ({ value: kind, label: t(`kind.${kind}`) }))}
          onChange={(v) => update('kind', v)}
        />
        {textField('localHost')}
        {textField('localPort', 'numeric')}
        {textField('remoteHost')}
        {textField('remotePort', 'numeric')}
      </div>
      <Switch
        id={`${idPrefix}-enabled`}
        checked={values.enabled}
        label={t('form.enabled')}
        showLabel
        onChange={(v) => update('enabled', v)}
      />
      {hasVisibleErrors ? (
        <p className="form-summary" role="status">
          {t('form.errors')}
        </p>
      ) : null}
      {goneError ? (
        <p className="form-summary" role="alert">
          {goneError}
        </p>
      ) : null}
      {action.error ? <ErrorPanel error={action.error} t={t} /> : null}
      <div className="actions">
        <button type="submit" className="button button-primary" disabled={action.isBusy}>
          {action.isBusy ? t('form.saving') : t('form.save')}
        </button>
        <button type="button" className="button" onClick={onDone}>
          {t('form.cancel')}
        </button>
      </div>
    </form>
  );
}

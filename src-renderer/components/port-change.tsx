// "Change local port..." on a tunnel's row: one field filled with the free port main found,
// saying it is free, with Save port and Cancel. The port typed is checked by the same rules as
// the editor's. Display and callbacks only; the caller asks main and saves.
import { useState } from 'react';
import type { FieldProblem } from '../../src-main/shared/ipc-contract';
import type { Translate } from '../i18n/i18n';
import { parsePort } from '../validation/tunnel-form';
import { TextField } from './text-field';

export interface PortChangeProps {
  readonly id: string;
  /** The free port main suggested; null while it looks. */
  readonly suggested: number | null;
  readonly t: Translate;
  readonly isBusy: boolean;
  /** A problem with the port from main's answer or the shared rules. */
  readonly problem: FieldProblem | null;
  readonly onSave: (port: number) => void;
  readonly onCancel: () => void;
}

export function PortChange({
  id,
  suggested,
  t,
  isBusy,
  problem,
  onSave,
  onCancel,
}: PortChangeProps) {
  // What the person typed; until then the field shows main's suggestion.
  const [typed, setTyped] = useState<string | null>(null);
  const [isSubmitted, setSubmitted] = useState(false);
  const isEdited = typed !== null || isSubmitted;
  const text = typed ?? (suggested === null ? '' : String(suggested));
  const port = parsePort(text);
  const shown: FieldProblem | null =
    problem ?? (isEdited && port === null ? { key: 'validation.port' } : null);
  return (
    <form
      className="port-change"
      aria-label={t('tunnels.changePort')}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (port !== null) onSave(port);
        else setSubmitted(true);
      }}
    >
      <TextField
        id={id}
        label={t('tunnels.newPort')}
        value={text}
        inputMode="numeric"
        required
        error={shown ? t(shown.key, shown.params) : null}
        help={
          !isEdited && suggested !== null
            ? t('tunnels.suggestedPort', { port: suggested })
            : undefined
        }
        onChange={setTyped}
      />
      <div className="actions">
        <button type="submit" className="button button-primary button-small" disabled={isBusy}>
          {isBusy ? t('form.saving') : t('tunnels.savePort')}
        </button>
        <button type="button" className="button button-small" onClick={onCancel}>
          {t('form.cancel')}
        </button>
      </div>
    </form>
  );
}

// A labelled text input with help text and an error tied to it by aria-describedby, and an
// optional control beside the input (a "Choose…" button). Display and callbacks only.
import type { ChangeEvent, ReactNode } from 'react';

export interface TextFieldProps {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly onBlur?: () => void;
  readonly error?: string | null;
  readonly help?: string;
  readonly type?: 'text' | 'password' | 'number' | 'search';
  readonly inputMode?: 'text' | 'numeric';
  readonly placeholder?: string;
  readonly autoComplete?: string;
  readonly required?: boolean;
  readonly multiline?: boolean;
  readonly disabled?: boolean;
  /** A control drawn beside the input, on the same line (e.g. a file picker's button). */
  readonly action?: ReactNode;
  /** Extra class for the field (e.g. a narrow port field). */
  readonly className?: string;
}

export function TextField(props: TextFieldProps) {
  const {
    id,
    label,
    value,
    onChange,
    onBlur,
    error,
    help,
    type = 'text',
    inputMode,
    placeholder,
    autoComplete = 'off',
  } = props;
  const describedBy =
    [help ? `${id}-help` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') ||
    undefined;
  const common = {
    id,
    value,
    onBlur,
    placeholder,
    disabled: props.disabled,
    required: props.required,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy,
    className: error ? 'input input-invalid' : 'input',
    spellCheck: false,
  };
  return (
    <div className={props.className ? `field ${props.className}` : 'field'}>
      <label htmlFor={id} className="field-label">
        {label}
      </label>
      {props.multiline ? (
        <textarea
          {...common}
          rows={4}
          onChange={(e: ChangeEvent<HTMLTextAreaElement>) => onChange(e.target.value)}
        />
      ) : props.action ? (
        <div className="input-row">
          <input
            {...common}
            type={type}
            inputMode={inputMode}
            autoComplete={autoComplete}
            onChange={(e: ChangeEvent<HTMLInputElement>) => onChange(e.target.value)}
          />
          {props.action}
        </div>
      ) : (
        <input
          {...common}
          type={type}
          inputMode={inputMode}
          autoComplete={autoComplete}
          onChange={(e: ChangeEvent<HTMLInputElement>) => onChange(e.target.value)}
        />
      )}
      {help ? (
        <p id={`${id}-help`} className="field-help">
          {help}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

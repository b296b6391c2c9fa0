// An on/off switch (role="switch"), keyboard operable as a button. Display and callback only.
export interface SwitchProps {
  readonly checked: boolean;
  readonly label: string;
  readonly onChange: (checked: boolean) => void;
  readonly disabled?: boolean;
  /** Shows the label next to the switch; otherwise it is only the accessible name. */
  readonly showLabel?: boolean;
  readonly id?: string;
}

export function Switch({
  checked,
  label,
  onChange,
  disabled = false,
  showLabel = false,
  id,
}: SwitchProps) {
  return (
    <span className="switch-wrap">
      <button
        id={id}
        type="button"
        role="switch"
        aria-checked={checked}
        aria-label={showLabel ? undefined : label}
        aria-labelledby={showLabel && id ? `${id}-label` : undefined}
        className="switch"
        disabled={disabled}
        onClick={() => onChange(!checked)}
      >
        <span className="switch-thumb" aria-hidden="true" />
      </button>
      {showLabel ? (
        // A <label> for the button, so clicking the words flips the switch too.
        <label className="switch-label" id={id ? `${id}-label` : undefined} htmlFor={id}>
          {label}
        </label>
      ) : null}
    </span>
  );
}

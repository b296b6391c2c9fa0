// The checklist's last step: a preset and the computer to reach ("localhost", the relay's own
// computer, to start with) and one button that adds the tunnel; Other goes on to the full
// editor, which asks for the port. Display and callbacks only: main picks the free local port.
import { useState } from 'react';
import type { TunnelKind } from '../../src-main/shared/model';
import { PRESET_REMOTE_HOST } from '../../src-main/shared/tunnel-presets';
import type { Translate } from '../i18n/i18n';
import { isValidHost, unbracketHost } from '../validation/tunnel-form';
import { PresetPicker } from './preset-picker';
import { TextField } from './text-field';

export interface QuickTunnelProps {
  readonly t: Translate;
  readonly isBusy: boolean;
  readonly disabled: boolean;
  /** Why the button cannot be pressed, when `disabled`. */
  readonly disabledReason: string | null;
  readonly onAdd: (kind: Exclude<TunnelKind, 'other'>, remoteHost: string) => void;
  readonly onOther: () => void;
}

export function QuickTunnel({
  t,
  isBusy,
  disabled,
  disabledReason,
  onAdd,
  onOther,
}: QuickTunnelProps) {
  const [kind, setKind] = useState<TunnelKind>('rdp');
  const [host, setHost] = useState(PRESET_REMOTE_HOST);
  const [isTouched, setTouched] = useState(false);
  const hostProblem =
    host.trim() === '' ? 'validation.required' : isValidHost(host) ? null : 'validation.host';
  const reasonId = 'quick-tunnel-blocked';
  return (
    <form
      className="quick-tunnel"
      aria-label={t('checklist.tunnel')}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (kind === 'other') return onOther();
        setTouched(true);
        if (hostProblem === null) onAdd(kind, unbracketHost(host));
      }}
    >
      <PresetPicker name="quick-tunnel-preset" value={kind} t={t} onChange={setKind} />
      {kind !== 'other' ? (
        <TextField
          id="quick-tunnel-host"
          label={t('checklist.computer')}
          value={host}
          help={host.trim() === PRESET_REMOTE_HOST ? t('checklist.computerHelp') : undefined}
          error={isTouched && hostProblem ? t(hostProblem) : null}
          onChange={setHost}
          onBlur={() => setTouched(true)}
        />
      ) : null}
      <div className="actions">
        <button
          type="submit"
          className="button button-primary"
          disabled={disabled || isBusy}
          aria-describedby={disabled && disabledReason ? reasonId : undefined}
        >
          {kind === 'other'
            ? t('checklist.otherPreset')
            : isBusy
              ? t('checklist.adding')
              : t('checklist.add')}
        </button>
        {disabled && disabledReason ? (
          <span className="checklist-reason" id={reasonId}>
            {disabledReason}
          </span>
        ) : null}
      </div>
    </form>
  );
}

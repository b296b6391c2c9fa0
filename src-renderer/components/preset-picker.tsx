// "What do you want to reach?": Remote Desktop, SSH, Web or Other as a group of radio cards
// (native radios, so arrow keys move between them). Display and callback only.
import type { TunnelKind } from '../../src-main/shared/model';
import { TUNNEL_PRESETS } from '../../src-main/shared/tunnel-presets';
import type { Translate } from '../i18n/i18n';

export interface PresetPickerProps {
  /** The radios' group name, unique in the page. */
  readonly name: string;
  readonly value: TunnelKind;
  readonly t: Translate;
  readonly onChange: (kind: TunnelKind) => void;
  readonly legend?: string;
}

export function PresetPicker({ name, value, t, onChange, legend }: PresetPickerProps) {
  return (
    <fieldset className="preset-picker">
      <legend className="preset-legend">{legend ?? t('preset.heading')}</legend>
      <div className="preset-options">
        {TUNNEL_PRESETS.map(({ kind }) => (
          <label
            key={kind}
            className={kind === value ? 'preset preset-selected' : 'preset'}
            data-testid={`preset-${kind}`}
          >
            <input
              type="radio"
              className="preset-radio"
              name={name}
              value={kind}
              checked={kind === value}
              aria-describedby={`${name}-${kind}-hint`}
              onChange={() => onChange(kind)}
            />
            <span className="preset-title">{t(`preset.${kind}`)}</span>
            <span className="preset-hint" id={`${name}-${kind}-hint`} aria-hidden="true">
              {t(`preset.${kind}Hint`)}
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

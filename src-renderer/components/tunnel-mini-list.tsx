// Status's short list of tunnels: each one's state in a word and, when ready, its rate; a name
// opens it on the Tunnels view. Display and callbacks only.
import type { TunnelSnapshot } from '../../src-main/shared/model';
import { formatRate } from '../format/format';
import { dialAddress, showsRates } from '../format/tunnel-view';
import type { Locale, Translate } from '../i18n/i18n';
import { InOut } from './in-out';

export interface TunnelMiniListProps {
  readonly tunnels: readonly TunnelSnapshot[];
  readonly t: Translate;
  readonly locale: Locale;
  readonly onShow: (id: string) => void;
}

export function TunnelMiniList({ tunnels, t, locale, onShow }: TunnelMiniListProps) {
  return (
    <ul className="mini-tunnels" aria-label={t('nav.tunnels')} data-testid="status-tunnels">
      {tunnels.map((tunnel) => (
        <li key={tunnel.id} className={`mini-tunnel mini-tunnel-${tunnel.status}`}>
          <span className="mini-dot" aria-hidden="true" />
          <button type="button" className="button-link mini-name" onClick={() => onShow(tunnel.id)}>
            {tunnel.name}
          </button>{' '}
          <code className="mini-address" translate="no">
            {dialAddress(tunnel)}
          </code>{' '}
          <span className="mini-state">{t(`tunnelStatus.${tunnel.status}`)}</span>{' '}
          <span className="mini-rate">
            {showsRates(tunnel) ? (
              <InOut
                down={formatRate(tunnel.rateInBps, locale)}
                up={formatRate(tunnel.rateOutBps, locale)}
              />
            ) : null}
          </span>
        </li>
      ))}
    </ul>
  );
}

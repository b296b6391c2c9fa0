// One tunnel as one compact line: its switch, name (the button that shows its details), route
// in monospace with a copy button, state with the reason under it, the last minute's rate
// as a sparkline with the figure, when it last moved bytes, and its "..." menu.
// Display and callbacks only.
import type { TunnelSnapshot } from '../../src-main/shared/model';
import type { Locale, Translate } from '../i18n/i18n';
import { formatDuration, formatRate } from '../format/format';
import {
  dialAddress,
  remoteAddress,
  showsRates,
  sinceActivity,
  stateReasonKey,
} from '../format/tunnel-view';
import type { TunnelHistory } from '../store/traffic-history';
import { CopyAddressButton } from './copy-address-button';
import { Glyph } from './glyph';
import { InOut } from './in-out';
import { RowMenu, type RowMenuItem } from './row-menu';
import { Sparkline } from './sparkline';
import { Switch } from './switch';

export interface TunnelRowProps {
  readonly tunnel: TunnelSnapshot;
  readonly history: TunnelHistory | undefined;
  readonly now: number;
  readonly t: Translate;
  readonly locale: Locale;
  readonly isBridged: boolean;
  readonly isExpanded: boolean;
  readonly detailsId: string;
  readonly menu: readonly RowMenuItem[];
  readonly onToggle: (enabled: boolean) => void;
  readonly onExpand: () => void;
  readonly onCopy: () => Promise<boolean>;
}

/** Stand-ins for the two addresses while the catalogue words the route (private-use code points). */
const LOCAL_MARK = '\uE000';
const REMOTE_MARK = '\uE001';

/** The route in the catalogue's order, each address kept whole (it may wrap between them). */
function routeParts(t: Translate, local: string, remote: string) {
  return t('tunnels.route', { local: LOCAL_MARK, remote: REMOTE_MARK })
    .split(new RegExp(`(${LOCAL_MARK}|${REMOTE_MARK})`))
    .map((part, i) =>
      part === LOCAL_MARK ? (
        <span key={i} className="route-address">
          {local}
        </span>
      ) : part === REMOTE_MARK ? (
        <span key={i} className="route-address route-remote">
          {remote}
        </span>
      ) : (
        part
      ),
    );
}

export function TunnelRow(props: TunnelRowProps) {
  const { tunnel, history, now, t, locale, isBridged } = props;
  const headingId = `tunnel-${tunnel.id}-name`;
  const address = dialAddress(tunnel);
  // An error is said in full under the row; the state column only names it.
  const reason = tunnel.status === 'error' ? null : stateReasonKey(tunnel);
  const idle = sinceActivity(history, now);
  const isLive = showsRates(tunnel);
  const rate = tunnel.rateInBps + tunnel.rateOutBps;
  let activity: string | null = null;
  if (isLive && idle !== null)
    activity = t('tunnels.lastActivity', { time: formatDuration(idle, locale) });
  else if (isLive && tunnel.bytesIn + tunnel.bytesOut === 0) activity = t('tunnels.noTraffic');

  return (
    <div className={`tunnel-row tunnel-row-${tunnel.status}`}>
      <Switch
        checked={tunnel.enabled}
        label={t('tunnels.toggle', { name: tunnel.name })}
        disabled={!isBridged}
        onChange={props.onToggle}
      />
      <div className="tunnel-ident">
        <h3 id={headingId} className="tunnel-name">
          <button
            type="button"
            className="tunnel-name-button"
            aria-expanded={props.isExpanded}
            aria-controls={props.detailsId}
            onClick={props.onExpand}
          >
            <Glyph
              name="chevron"
              className={props.isExpanded ? 'chevron chevron-open' : 'chevron'}
            />
            <span className="tunnel-name-text">{tunnel.name}</span>
          </button>
        </h3>
        <p className="tunnel-route">
          <code translate="no" className="route" data-testid="tunnel-route">
            {routeParts(t, address, remoteAddress(tunnel))}
          </code>
          <CopyAddressButton
            label={t('tunnels.copyAddress', { address })}
            copiedLabel={t('hint.copied')}
            disabled={!isBridged}
            onCopy={props.onCopy}
          />
        </p>
      </div>
      <div className="tunnel-state">
        <span
          className={`tunnel-status tunnel-status-${tunnel.status}`}
          data-testid="tunnel-status"
        >
          {t(`tunnelStatus.${tunnel.status}`)}
        </span>
        {reason ? (
          <span className="tunnel-reason" data-testid="tunnel-reason">
            {t(reason)}
          </span>
        ) : activity ? (
          <span className="tunnel-reason" data-testid="tunnel-activity">
            {activity}
          </span>
        ) : null}
      </div>
      <div className="tunnel-rate" data-testid="tunnel-rate">
        {isLive ? (
          <>
            <Sparkline
              samples={history?.samples ?? []}
              now={now}
              label={`${t('tunnels.rateChart')}: ${formatRate(rate, locale)}`}
            />
            <span className="tunnel-rate-figures" data-testid="rate">
              <InOut
                down={formatRate(tunnel.rateInBps, locale)}
                up={formatRate(tunnel.rateOutBps, locale)}
              />
            </span>
          </>
        ) : null}
      </div>
      <RowMenu
        label={t('tunnels.menu', { name: tunnel.name })}
        items={props.menu}
        disabled={!isBridged}
      />
    </div>
  );
}

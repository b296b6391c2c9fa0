// A tunnel's details under its row: bytes this session, today and all time (0 when none, never
// a dash), open, failed and total connections, its addresses, type and data path, whether a
// tunnel to a shared computer is end to end, and the buttons Open, Edit and Remove. Display
// and callbacks only.
import type { TunnelTotals } from '../../src-main/shared/ipc-contract';
import type { TunnelSnapshot } from '../../src-main/shared/model';
import type { Locale, Translate } from '../i18n/i18n';
import { formatBytes } from '../format/format';
import { canOpen, dialAddress, remoteAddress, ZERO_TOTALS } from '../format/tunnel-view';

export interface TunnelDetailProps {
  readonly id: string;
  readonly tunnel: TunnelSnapshot;
  readonly totals: TunnelTotals | undefined;
  readonly t: Translate;
  readonly locale: Locale;
  readonly isBridged: boolean;
  readonly onOpen: () => void;
  readonly onEdit: () => void;
  readonly onRemove: () => void;
}

export function TunnelDetail(props: TunnelDetailProps) {
  const { tunnel, t, locale } = props;
  const totals = props.totals ?? ZERO_TOTALS;
  const bytes = (n: number) => formatBytes(n, locale);
  const rows = [
    {
      key: 'in',
      label: '↓',
      session: tunnel.bytesIn,
      today: totals.todayIn,
      all: totals.allTimeIn,
    },
    {
      key: 'out',
      label: '↑',
      session: tunnel.bytesOut,
      today: totals.todayOut,
      all: totals.allTimeOut,
    },
  ];
  const dataPath =
    tunnel.dataMode === 'direct'
      ? t('tunnels.direct')
      : tunnel.dataMode === 'stream'
        ? t('tunnels.viaRelay')
        : null;
  return (
    <div className="tunnel-detail" id={props.id} data-testid="tunnel-detail">
      <table className="tunnel-traffic">
        <caption>{t('tunnels.trafficHeading')}</caption>
        <thead>
          <tr>
            <td />
            <th scope="col">{t('tunnels.session')}</th>
            <th scope="col">{t('tunnels.today')}</th>
            <th scope="col">{t('tunnels.allTime')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">
                <span aria-hidden="true">{row.label} </span>
                {row.key === 'in' ? t('tunnels.in') : t('tunnels.out')}
              </th>
              <td data-testid={`bytes-${row.key}`}>{bytes(row.session)}</td>
              <td data-testid={`today-${row.key}`}>{bytes(row.today)}</td>
              <td data-testid={`all-time-${row.key}`}>{bytes(row.all)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table className="tunnel-connections">
        <caption>{t('tunnels.connectionsHeading')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('tunnels.connOpen')}</th>
            <th scope="col">{t('tunnels.connFailed')}</th>
            <th scope="col">{t('tunnels.connTotal')}</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td data-testid="connections">{tunnel.openConnections}</td>
            <td data-testid="connections-failed">{tunnel.failedConnections}</td>
            <td data-testid="connections-total">{tunnel.totalConnections}</td>
          </tr>
        </tbody>
      </table>
      <dl className="tunnel-facts">
        <div>
          <dt>{t('tunnels.localAddress')}</dt>
          <dd>
            <code translate="no">{dialAddress(tunnel)}</code>
          </dd>
        </div>
        <div>
          <dt>{t('tunnels.remote')}</dt>
          <dd>
            <code translate="no">{remoteAddress(tunnel)}</code>
          </dd>
        </div>
        <div>
          <dt>{t('form.kind')}</dt>
          <dd>{t(`kind.${tunnel.kind}`)}</dd>
        </div>
        {dataPath ? (
          <div>
            <dt>{t('tunnels.dataPath')}</dt>
            <dd>{dataPath}</dd>
          </div>
        ) : null}
        {tunnel.endToEnd !== undefined ? (
          <div>
            <dt>{t('share.summaryEncryption')}</dt>
            <dd data-testid="tunnel-encryption">
              {t(tunnel.endToEnd ? 'serverPick.tunnelKeyed' : 'serverPick.tunnelKeyless')}
            </dd>
          </div>
        ) : null}
      </dl>
      <div className="actions">
        {canOpen(tunnel) ? (
          <button
            type="button"
            className="button button-primary"
            disabled={!props.isBridged}
            onClick={props.onOpen}
          >
            {t('tunnels.open')}
          </button>
        ) : null}
        <button type="button" className="button" disabled={!props.isBridged} onClick={props.onEdit}>
          {t('tunnels.edit')}
        </button>
        <button
          type="button"
          className="button"
          disabled={!props.isBridged}
          onClick={props.onRemove}
        >
          {t('tunnels.remove')}
        </button>
      </div>
    </div>
  );
}

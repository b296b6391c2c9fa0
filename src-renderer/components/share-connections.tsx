// Who is connected to this computer now: each connection's identity as the relay named it,
// the service, where from, since when (relative, the full time on hover) and its bytes.
// Display only.
import type { ServedConnection } from '../../src-main/shared/model';
import { serviceOfPort } from '../../src-main/shared/share-model';
import type { Translate } from '../i18n/i18n';
import {
  formatBytes,
  formatDateTime,
  formatRelativeTime,
  type FormatLocale,
} from '../format/format';

export interface ShareConnectionsProps {
  readonly connections: readonly ServedConnection[];
  readonly totalConnections: number;
  readonly t: Translate;
  readonly locale: FormatLocale;
  readonly now: number;
}

/** A published port as the person shared it: "Remote Desktop", "SSH", else "Port N". */
export function serviceName(t: Translate, port: number): string {
  const service = serviceOfPort(port);
  return service === null ? t('share.port', { port }) : t(`share.service.${service}`);
}

export function ShareConnections({
  connections,
  totalConnections,
  t,
  locale,
  now,
}: ShareConnectionsProps) {
  return (
    <section className="panel share-connections" aria-labelledby="share-connections-title">
      <h3 id="share-connections-title" className="section-title">
        {t('share.connections')}
      </h3>
      {connections.length === 0 ? (
        <p className="muted" data-testid="share-nobody">
          {t('share.noConnections')}
        </p>
      ) : (
        <div className="share-table-wrap">
          <table className="share-table" data-testid="share-connections">
            <thead>
              <tr>
                <th scope="col">{t('share.colWho')}</th>
                <th scope="col">{t('share.colService')}</th>
                <th scope="col">{t('share.colFrom')}</th>
                <th scope="col">{t('share.colSince')}</th>
                <th scope="col" className="num">
                  {t('share.colReceived')}
                </th>
                <th scope="col" className="num">
                  {t('share.colSent')}
                </th>
              </tr>
            </thead>
            <tbody>
              {connections.map((c) => (
                <tr key={c.id}>
                  <th scope="row" className="share-who" translate="no">
                    {c.sub}
                  </th>
                  <td>{serviceName(t, c.port)}</td>
                  <td className="address" translate="no">
                    {c.remote}
                  </td>
                  <td>
                    <time dateTime={c.since} title={formatDateTime(c.since, locale)}>
                      {formatRelativeTime(Date.parse(c.since), now, locale)}
                    </time>
                  </td>
                  <td className="num">{formatBytes(c.bytesIn, locale)}</td>
                  <td className="num">{formatBytes(c.bytesOut, locale)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {totalConnections > 0 ? (
        <p className="muted share-total">
          {t('share.totalConnections', { count: totalConnections })}
        </p>
      ) : null}
    </section>
  );
}

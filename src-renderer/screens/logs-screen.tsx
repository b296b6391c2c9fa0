// Logs: the live tail of structured records (docs/protocol.md#metrics-and-logs) with filters by
// level, tunnel and text, a pause that holds the view still while records keep arriving, a
// note when records logged while the window was hidden were left out, export and open folder.
import { useMemo, useState } from 'react';
import { LOG_LEVELS, type LogRecord } from '../../src-main/shared/model';
import { useAppState, useBridge, useI18n } from '../app-context';
import { ErrorPanel } from '../components/error-panel';
import { SelectField } from '../components/select-field';
import { TextField } from '../components/text-field';
import { formatLogTime } from '../format/format';
import { filterLogs, type LevelFilter, type LogFilter } from '../store/log-filter';
import { selectLogs, selectLogsOmitted, selectTunnels } from '../store/selectors';
import { useAction } from './use-action';

/** Rows drawn at once; the file keeps everything, the view shows the newest. */
const MAX_VISIBLE_ROWS = 500;

function detailsText(details: LogRecord['details']): string {
  return Object.entries(details)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}

export function LogsScreen() {
  const { t, locale } = useI18n();
  const bridge = useBridge();
  const logs = useAppState(selectLogs);
  const omitted = useAppState(selectLogsOmitted);
  const tunnels = useAppState(selectTunnels);
  const [filter, setFilter] = useState<LogFilter>({ level: 'all', tunnelId: '', text: '' });
  const [pausedAt, setPausedAt] = useState<readonly LogRecord[] | null>(null);
  const [exported, setExported] = useState<string | null>(null);
  const [action, run] = useAction();

  const source = pausedAt ?? logs;
  const waiting = pausedAt ? Math.max(0, logs.length - pausedAt.length) : 0;
  const visible = useMemo(
    () => filterLogs(source, filter, MAX_VISIBLE_ROWS).reverse(),
    [source, filter],
  );

  const exportFile = async (kind: 'logs' | 'diagnostics') => {
    setExported(null);
    const result = await run(() =>
      kind === 'logs' ? bridge?.logsExport() : bridge?.diagnosticsExport(),
    );
    // A null path means the person cancelled the save dialog: nothing to report.
    if (result?.ok && result.value.path) setExported(result.value.path);
  };

  return (
    <section className="screen" aria-labelledby="logs-heading">
      <header className="screen-header">
        <h2 id="logs-heading">{t('logs.heading')}</h2>
        <div className="actions">
          <button
            type="button"
            className="button"
            aria-pressed={pausedAt !== null}
            onClick={() => setPausedAt(pausedAt ? null : logs)}
          >
            {pausedAt ? t('logs.resume') : t('logs.pause')}
          </button>
          <button
            type="button"
            className="button"
            disabled={!bridge}
            onClick={() => void exportFile('logs')}
          >
            {t('logs.export')}
          </button>
          <button
            type="button"
            className="button"
            disabled={!bridge}
            onClick={() => void exportFile('diagnostics')}
          >
            {t('logs.diagnostics')}
          </button>
          <button
            type="button"
            className="button"
            disabled={!bridge}
            onClick={() => void run(() => bridge?.logsOpenFolder())}
          >
            {t('logs.openFolder')}
          </button>
        </div>
      </header>

      <div className="filters" role="search">
        <SelectField<LevelFilter>
          id="logs-level"
          label={t('logs.level')}
          value={filter.level}
          options={[
            { value: 'all', label: t('logs.allLevels') },
            ...LOG_LEVELS.map((level) => ({ value: level, label: t(`level.${level}`) })),
          ]}
          onChange={(level) => setFilter((f) => ({ ...f, level }))}
        />
        <SelectField<string>
          id="logs-tunnel"
          label={t('logs.tunnel')}
          value={filter.tunnelId}
          options={[
            { value: '', label: t('logs.allTunnels') },
            ...tunnels.map((tunnel) => ({ value: tunnel.id, label: tunnel.name })),
          ]}
          onChange={(tunnelId) => setFilter((f) => ({ ...f, tunnelId }))}
        />
        <TextField
          id="logs-search"
          type="search"
          label={t('logs.search')}
          value={filter.text}
          onChange={(text) => setFilter((f) => ({ ...f, text }))}
        />
      </div>

      {pausedAt ? (
        <p className="note" role="status">
          {t('logs.paused', { n: waiting })}
        </p>
      ) : null}
      {exported ? (
        <p className="note" role="status">
          {t('logs.exported', { path: exported })}
        </p>
      ) : null}
      {action.error ? <ErrorPanel error={action.error} t={t} /> : null}
      {omitted > 0 ? (
        <p className="note" role="status" data-testid="logs-omitted">
          {t('logs.omitted', { n: omitted })}
        </p>
      ) : null}

      <p className="muted" aria-live="off">
        {t('logs.count', { n: visible.length })}
      </p>
      {visible.length === 0 ? (
        <p className="empty">{t('logs.empty')}</p>
      ) : (
        <ol className="log-list" aria-label={t('logs.heading')}>
          {visible.map((record, index) => (
            <li
              key={`${record.timestamp}-${index}`}
              className={`log log-${record.level}`}
              data-testid="log-record"
            >
              <time dateTime={record.timestamp} className="log-time">
                {formatLogTime(record.timestamp, locale)}
              </time>
              <span className={`log-level level-${record.level}`}>
                {t(`level.${record.level}`)}
              </span>
              <span className="log-event">{record.event}</span>
              {record.tunnel_id ? (
                <span className="log-tunnel">
                  {tunnels.find((x) => x.id === record.tunnel_id)?.name ?? record.tunnel_id}
                </span>
              ) : null}
              <span className="log-details">{detailsText(record.details)}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

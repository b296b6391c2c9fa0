// Logs: the live tail of structured records (docs/protocol.md#metrics-and-logs), each said as one
// sentence in the user's language (shared/i18n/log-sentences.ts) with its raw fields a click
// away, grouped by day, newest first. Filters by minimum level, tunnel (also by clicking a
// record's tunnel) and text (sentences and tunnel names included); a pause that holds the view
// still while records keep arriving; saving the log or a diagnostics file; the log folder.
import { useMemo, useState } from 'react';
import { sayLogRecord } from '../../src-main/shared/i18n/log-sentences';
import { LOG_LEVELS, type LogRecord } from '../../src-main/shared/model';
import { useAppState, useBridge, useI18n, useNow } from '../app-context';
import { ErrorPanel } from '../components/error-panel';
import { LogEntry } from '../components/log-entry';
import { SelectField } from '../components/select-field';
import { TextField } from '../components/text-field';
import { dayHeading, fullLogTime, groupByDay, shortLogTime } from '../format/log-days';
import { filterLogs, NO_LOG_FILTER, type LevelFilter, type LogFilter } from '../store/log-filter';
import { selectLogs, selectLogsOmitted, selectTunnels } from '../store/selectors';
import { useAction } from './use-action';

/** Rows drawn at once; the file keeps everything, the view shows the newest. */
const MAX_VISIBLE_ROWS = 500;
/** "Today" turns into a date at midnight; a minute is close enough. */
const DAY_TICK_MS = 60_000;

function rowKey(record: LogRecord, index: number): string {
  return record.seq !== undefined ? `s${record.seq}` : `i${index}-${record.timestamp}`;
}

export function LogsScreen() {
  const { t, locale } = useI18n();
  const bridge = useBridge();
  const logs = useAppState(selectLogs);
  const omitted = useAppState(selectLogsOmitted);
  const tunnels = useAppState(selectTunnels);
  const now = useNow(DAY_TICK_MS);
  const [filter, setFilter] = useState<LogFilter>(NO_LOG_FILTER);
  const [pausedAt, setPausedAt] = useState<readonly LogRecord[] | null>(null);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set());
  const [exported, setExported] = useState<string | null>(null);
  const [action, run] = useAction();

  const names = useMemo(() => new Map(tunnels.map((x) => [x.id, x.name])), [tunnels]);
  const nameOf = (record: LogRecord): string | null =>
    record.tunnel_id === null ? null : (names.get(record.tunnel_id) ?? record.tunnel_id);

  const source = pausedAt ?? logs;
  const waiting = pausedAt ? Math.max(0, logs.length - pausedAt.length) : 0;
  const visible = useMemo(() => {
    const readable = (record: LogRecord) =>
      `${sayLogRecord(record, t)} ${record.tunnel_id === null ? '' : (names.get(record.tunnel_id) ?? '')}`;
    return filterLogs(source, filter, { limit: MAX_VISIBLE_ROWS, readable }).reverse();
  }, [source, filter, t, names]);
  const days = groupByDay(visible, (record) => record.timestamp);

  const exportFile = async (kind: 'logs' | 'diagnostics') => {
    setExported(null);
    const result = await run(() =>
      kind === 'logs' ? bridge?.logsExport() : bridge?.diagnosticsExport(),
    );
    // A null path means the person cancelled the save dialog: nothing to report.
    if (result?.ok && result.value.path) setExported(result.value.path);
  };

  const toggle = (key: string) =>
    setExpanded((previous) => {
      const next = new Set(previous);
      if (!next.delete(key)) next.add(key);
      return next;
    });

  let index = 0;
  return (
    <section className="screen screen-logs" aria-labelledby="logs-heading">
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

      <div className="toolbar" role="search">
        <SelectField<LevelFilter>
          id="logs-level"
          label={t('logs.level')}
          value={filter.level === 'all' ? 'debug' : filter.level}
          options={LOG_LEVELS.map((level) => ({ value: level, label: t(`logs.minimum.${level}`) }))}
          onChange={(level) => setFilter((f) => ({ ...f, level }))}
        />
        <SelectField<string>
          id="logs-tunnel"
          label={t('logs.tunnel')}
          value={filter.tunnelId}
          options={[
            { value: '', label: t('logs.allTunnels') },
            ...tunnels.map((tunnel) => ({ value: tunnel.id, label: tunnel.name })),
            // A record of a tunnel removed since can still be clicked to filter by it.
            ...(filter.tunnelId !== '' && !names.has(filter.tunnelId)
              ? [{ value: filter.tunnelId, label: filter.tunnelId }]
              : []),
          ]}
          onChange={(tunnelId) => setFilter((f) => ({ ...f, tunnelId }))}
        />
        <TextField
          id="logs-search"
          type="search"
          label={t('logs.search')}
          placeholder={t('logs.searchHint')}
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
        <div className="log-list">
          {days.map((group) => (
            <section className="log-day" key={group.day} aria-labelledby={`log-day-${group.day}`}>
              <h3 className="log-date" id={`log-day-${group.day}`}>
                {dayHeading(group.day, now, locale, {
                  today: t('logs.today'),
                  yesterday: t('logs.yesterday'),
                })}
              </h3>
              <ol className="log-items">
                {group.items.map((record) => {
                  const key = rowKey(record, index++);
                  const tunnelName = nameOf(record);
                  return (
                    <LogEntry
                      key={key}
                      rowId={`log-${key}`}
                      record={record}
                      sentence={sayLogRecord(record, t)}
                      levelLabel={t(`level.${record.level}`)}
                      time={shortLogTime(record.timestamp, locale)}
                      fullTime={fullLogTime(record.timestamp, locale)}
                      tunnelName={tunnelName}
                      isExpanded={expanded.has(key)}
                      onToggle={() => toggle(key)}
                      onTunnel={() =>
                        setFilter((f) => ({ ...f, tunnelId: record.tunnel_id ?? '' }))
                      }
                      labels={{
                        fields: t('logs.fields'),
                        copy: t('logs.copy'),
                        copied: t('logs.copied'),
                        onlyTunnel: t('logs.onlyTunnel', { name: tunnelName ?? '' }),
                      }}
                    />
                  );
                })}
              </ol>
            </section>
          ))}
        </div>
      )}
    </section>
  );
}

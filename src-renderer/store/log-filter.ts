// The Logs view's filter: minimum level, one tunnel, and text in the event or details. Pure.
import { LOG_LEVELS, type LogLevel, type LogRecord } from '../../src-main/shared/model';

export type LevelFilter = LogLevel | 'all';

export interface LogFilter {
  readonly level: LevelFilter;
  readonly tunnelId: string;
  readonly text: string;
}

/**
 * Minimum level, one tunnel ('' for all), and case-insensitive text in the event or details.
 * With `limit`, only the newest `limit` matches (still oldest first), found from the end so a
 * long buffer is not scanned past them. Returns a new array.
 */
export function filterLogs(
  records: readonly LogRecord[],
  filter: LogFilter,
  limit = Infinity,
): LogRecord[] {
  const minLevel = filter.level === 'all' ? 0 : LOG_LEVELS.indexOf(filter.level);
  const needle = filter.text.trim().toLowerCase();
  const matches = (record: LogRecord): boolean => {
    if (LOG_LEVELS.indexOf(record.level) < minLevel) return false;
    if (filter.tunnelId !== '' && record.tunnel_id !== filter.tunnelId) return false;
    if (needle === '') return true;
    return `${record.event} ${record.tunnel_id ?? ''} ${JSON.stringify(record.details)}`
      .toLowerCase()
      .includes(needle);
  };
  const kept: LogRecord[] = [];
  for (let i = records.length - 1; i >= 0 && kept.length < limit; i--) {
    const record = records[i];
    if (record && matches(record)) kept.push(record);
  }
  return kept.reverse();
}

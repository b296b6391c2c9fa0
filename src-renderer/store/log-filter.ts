// The Logs view's filter: minimum level, one tunnel, and text in what a record says (its
// sentence and tunnel name, given by the caller) or in its raw event and details. Pure.
import { LOG_LEVELS, type LogLevel, type LogRecord } from '../../src-main/shared/model';

/** `all` is the same as the lowest level, debug: everything. */
export type LevelFilter = LogLevel | 'all';

export interface LogFilter {
  readonly level: LevelFilter;
  readonly tunnelId: string;
  readonly text: string;
}

export const NO_LOG_FILTER: LogFilter = { level: 'debug', tunnelId: '', text: '' };

export interface FilterLogsOptions {
  /** Only the newest `limit` matches (still oldest first), found from the end. */
  readonly limit?: number;
  /** What a person reads for a record (its sentence, its tunnel's name), searched as well. */
  readonly readable?: (record: LogRecord) => string;
}

/**
 * Records at or above the minimum level, of one tunnel ('' for all), whose readable text, event,
 * tunnel id or details contain the search text (case-insensitive). Returns a new array, oldest
 * first; a long buffer is not scanned past the newest `limit` matches.
 */
export function filterLogs(
  records: readonly LogRecord[],
  filter: LogFilter,
  options: FilterLogsOptions = {},
): LogRecord[] {
  const limit = options.limit ?? Infinity;
  const minLevel = filter.level === 'all' ? 0 : LOG_LEVELS.indexOf(filter.level);
  const needle = filter.text.trim().toLocaleLowerCase();
  const matches = (record: LogRecord): boolean => {
    if (LOG_LEVELS.indexOf(record.level) < minLevel) return false;
    if (filter.tunnelId !== '' && record.tunnel_id !== filter.tunnelId) return false;
    if (needle === '') return true;
    const haystack = [
      options.readable?.(record) ?? '',
      record.event,
      record.tunnel_id ?? '',
      JSON.stringify(record.details),
    ].join(' ');
    return haystack.toLocaleLowerCase().includes(needle);
  };
  const kept: LogRecord[] = [];
  for (let i = records.length - 1; i >= 0 && kept.length < limit; i--) {
    const record = records[i];
    if (record && matches(record)) kept.push(record);
  }
  return kept.reverse();
}

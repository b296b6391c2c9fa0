// One log record as a line a person reads: time (the full time on hover), level, the record's
// sentence and its tunnel (a button that filters by it); a toggle shows the raw fields as the
// log file has them, with Copy. Display and callbacks only.
import type { LogRecord } from '../../src-main/shared/model';
import { CopyButton } from './copy-button';
import { Icon } from './icon';

export interface LogEntryLabels {
  readonly fields: string;
  readonly copy: string;
  readonly copied: string;
  readonly onlyTunnel: string;
}

export interface LogEntryProps {
  readonly record: LogRecord;
  /** Unique within the list: names the raw-fields region. */
  readonly rowId: string;
  readonly sentence: string;
  readonly levelLabel: string;
  readonly time: string;
  readonly fullTime: string;
  readonly tunnelName: string | null;
  readonly isExpanded: boolean;
  readonly onToggle: () => void;
  readonly onTunnel?: () => void;
  readonly labels: LogEntryLabels;
}

/** `event key=value ...`, the fields as written, strings unquoted. */
export function rawFields(record: LogRecord): string {
  const details = Object.entries(record.details).map(
    ([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
  );
  const tunnel = record.tunnel_id !== null ? [`tunnel_id=${record.tunnel_id}`] : [];
  return [record.event, ...tunnel, ...details].join(' ');
}

/** The record as one JSON line, as in the log file (without the window's own numbering). */
export function recordLine(record: LogRecord): string {
  const { seq: _seq, ...fields } = record;
  return JSON.stringify(fields);
}

export function LogEntry(props: LogEntryProps) {
  const { record, rowId, isExpanded, labels } = props;
  const rawId = `${rowId}-raw`;
  return (
    <li className={`log log-${record.level}`} data-testid="log-record" data-event={record.event}>
      <div className="log-line">
        <button
          type="button"
          className="log-toggle"
          aria-expanded={isExpanded}
          aria-controls={isExpanded ? rawId : undefined}
          aria-label={labels.fields}
          title={labels.fields}
          onClick={props.onToggle}
        >
          <Icon name="chevron" />
        </button>
        <time className="log-time" dateTime={record.timestamp} title={props.fullTime}>
          {props.time}
        </time>
        <span className={`log-level level-${record.level}`}>{props.levelLabel}</span>
        <span className="log-text">{props.sentence}</span>
        {props.tunnelName !== null ? (
          <button
            type="button"
            className="log-tunnel"
            title={labels.onlyTunnel}
            aria-label={labels.onlyTunnel}
            onClick={props.onTunnel}
          >
            {props.tunnelName}
          </button>
        ) : null}
      </div>
      {isExpanded ? (
        <div className="log-raw" id={rawId}>
          <code className="log-details" translate="no" id={`${rowId}-fields`}>
            {record.timestamp} {rawFields(record)}
          </code>
          <CopyButton
            text={recordLine(record)}
            label={labels.copy}
            copiedLabel={labels.copied}
            describedBy={`${rowId}-fields`}
          />
        </div>
      ) : null}
    </li>
  );
}

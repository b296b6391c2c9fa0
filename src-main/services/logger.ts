// The app log: records scrubbed of anything token-shaped, written as JSON lines
// (docs/protocol.md#metrics-and-logs) through an injectable writer, kept in a ring for queries
// and offered to subscribers. Must not throw into callers: a failing writer loses lines.

import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LogQuery } from '../shared/ipc-contract';
import { LOG_LEVELS, type LogLevel, type LogRecord } from '../shared/model';
import { redactRecord, redactString } from './redact';

/** Where lines go: a rotating file in tests and the CLI, electron-log in the app. */
export interface LogWriter {
  write(line: string): void;
  close?(): Promise<void>;
}

export interface RotatingFileOptions {
  readonly path: string;
  /** Rotate when the file would grow past this. */
  readonly maxBytes?: number;
  /** Rotated files kept: path.1 (newest) .. path.N. */
  readonly keep?: number;
}

/** Shifts path -> path.1 -> ... -> path.keep; the oldest falls off. Synchronous by design. */
export function rotateFiles(path: string, keep: number): void {
  rmSync(`${path}.${keep}`, { force: true });
  for (let i = keep - 1; i >= 1; i -= 1) {
    if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
  }
  if (keep > 0 && existsSync(path)) renameSync(path, `${path}.1`);
  else rmSync(path, { force: true });
}

/**
 * Size-based rotation with synchronous appends: log volume is small, and a synchronous
 * write is on disk before the process can die of the error it describes.
 */
export function createRotatingFileWriter(options: RotatingFileOptions): LogWriter {
  const { path } = options;
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  const keep = options.keep ?? 5;
  mkdirSync(dirname(path), { recursive: true });
  let size = existsSync(path) ? statSync(path).size : 0;

  function rotate(): void {
    rotateFiles(path, keep);
    size = 0;
  }

  return {
    write(line) {
      const bytes = Buffer.byteLength(line) + 1;
      if (size > 0 && size + bytes > maxBytes) rotate();
      appendFileSync(path, `${line}\n`, { mode: 0o600 });
      size += bytes;
    },
  };
}

/** A record with every secret removed (defence in depth; producers should not log them). */
export function scrubRecord(record: LogRecord): LogRecord {
  return {
    timestamp: record.timestamp,
    level: record.level,
    event: redactString(record.event),
    tunnel_id: record.tunnel_id,
    details: redactRecord(record.details),
  };
}

export function formatRecord(record: LogRecord): string {
  return JSON.stringify({
    timestamp: record.timestamp,
    level: record.level,
    event: record.event,
    tunnel_id: record.tunnel_id,
    details: record.details,
  });
}

export function matchesQuery(record: LogRecord, query: Omit<LogQuery, 'limit'>): boolean {
  if (
    query.level !== undefined &&
    LOG_LEVELS.indexOf(record.level) < LOG_LEVELS.indexOf(query.level)
  )
    return false;
  if (query.tunnelId !== undefined && record.tunnel_id !== query.tunnelId) return false;
  if (query.text !== undefined && query.text.length > 0) {
    const needle = query.text.toLowerCase();
    const hay =
      `${record.event} ${record.tunnel_id ?? ''} ${JSON.stringify(record.details)}`.toLowerCase();
    if (!hay.includes(needle)) return false;
  }
  return true;
}

export interface LoggerOptions {
  readonly writer?: LogWriter;
  readonly clock: { now(): number };
  /** Records kept in memory for the log view. */
  readonly ringSize?: number;
  /** Records below this level are kept in the ring but not written. */
  readonly fileLevel?: LogLevel;
}

export interface Logger {
  /** Accepts an engine record (or any record); scrubs, stores, writes, notifies. */
  record(record: LogRecord): void;
  log(
    level: LogLevel,
    event: string,
    details?: Readonly<Record<string, unknown>>,
    tunnelId?: string | null,
  ): void;
  /** Newest last; level is a minimum. */
  query(query: LogQuery): readonly LogRecord[];
  recent(): readonly LogRecord[];
  subscribe(listener: (record: LogRecord) => void): () => void;
  close(): Promise<void>;
}

export function createLogger(options: LoggerOptions): Logger {
  const ringSize = options.ringSize ?? 2_000;
  const fileLevel = LOG_LEVELS.indexOf(options.fileLevel ?? 'debug');
  const ring: LogRecord[] = [];
  const listeners = new Set<(record: LogRecord) => void>();
  let writerBroken = false;
  let seq = 0;

  const logger: Logger = {
    record(raw) {
      seq += 1;
      const record = { ...scrubRecord(raw), seq };
      ring.push(record);
      if (ring.length > ringSize) ring.splice(0, ring.length - ringSize);
      if (options.writer && !writerBroken && LOG_LEVELS.indexOf(record.level) >= fileLevel) {
        try {
          options.writer.write(formatRecord(record));
        } catch {
          // A full disk must not take the app down; stop trying until restart.
          writerBroken = true;
        }
      }
      for (const listener of [...listeners]) {
        try {
          listener(record);
        } catch {
          // A broken subscriber must not stop the others.
        }
      }
    },
    log(level, event, details = {}, tunnelId = null) {
      logger.record({
        timestamp: new Date(options.clock.now()).toISOString(),
        level,
        event,
        tunnel_id: tunnelId,
        details,
      });
    },
    query(query) {
      const matched = ring.filter((r) => matchesQuery(r, query));
      return query.limit >= matched.length ? matched : matched.slice(matched.length - query.limit);
    },
    recent: () => [...ring],
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      await options.writer?.close?.();
    },
  };
  return logger;
}

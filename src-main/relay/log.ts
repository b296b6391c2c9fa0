// Structured JSON log lines of the relay (docs/protocol.md#metrics-and-logs): one object per line
// with timestamp, level, event, tunnel_id and details. Owns redaction: no token, stream
// token, reconnect token or secret ever reaches the sink, whatever a caller passes.

import type { LogLevel, LogRecord } from '../shared/model';

export type LogSink = (line: string) => void;

export interface RelayLogger {
  log(
    level: LogLevel,
    event: string,
    details?: Record<string, unknown>,
    tunnelId?: string | null,
  ): void;
}

const SECRET_KEYS = /token|secret|password|authorization|jwt|key$/i;
const MAX_STRING = 500;
const MAX_DEPTH = 4;

/** Replaces secret-named fields and trims long strings; the result is safe to print. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string')
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[nested]';
  if (value instanceof Error)
    return {
      name: value.name,
      message: redact(value.message, depth + 1),
      code: (value as NodeJS.ErrnoException).code,
    };
  if (Array.isArray(value)) return value.slice(0, 50).map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEYS.test(key) ? '[redacted]' : redact(item, depth + 1);
  }
  return out;
}

export function createLogger(options: {
  sink?: LogSink;
  clock: { now(): number };
  minLevel?: LogLevel;
}): RelayLogger {
  const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
  const min = order[options.minLevel ?? 'info'];
  const sink = options.sink;
  return {
    log(level, event, details = {}, tunnelId = null) {
      if (sink === undefined || order[level] < min) return;
      const record: LogRecord = {
        timestamp: new Date(options.clock.now()).toISOString(),
        level,
        event,
        tunnel_id: tunnelId,
        details: redact(details) as Record<string, unknown>,
      };
      try {
        sink(JSON.stringify(record));
      } catch {
        // A failing sink (closed stdout) must not take the relay down.
      }
    },
  };
}

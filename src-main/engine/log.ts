// Structured log records (docs/protocol.md#metrics-and-logs) and the scrubber that keeps every
// token, stream token and reconnect token out of them. Emits records; never writes files.

import type { LogLevel, LogRecord } from '../shared/model';
import type { Clock } from '../shared/clock';

const SECRET_KEY = /token|secret|password|authorization/i;
const JWT_LIKE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const REDACTED = '[redacted]';
const MAX_DEPTH = 6;

/** Known secret values (the current token, stream tokens) replaced wherever they appear. */
export class SecretSet {
  private readonly values = new Set<string>();
  add(value: string | null | undefined): void {
    // Very short strings would redact ordinary words; real tokens are long.
    if (typeof value === 'string' && value.length >= 8) this.values.add(value);
  }
  scrubString(text: string): string {
    let out = text.replace(JWT_LIKE, REDACTED);
    for (const secret of this.values)
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }
}

/** Deep copy of `value` with secret-named keys and secret-looking strings redacted. */
export function scrub(value: unknown, secrets: SecretSet, depth = 0): unknown {
  if (typeof value === 'string') return secrets.scrubString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[truncated]';
  if (value instanceof Error)
    return { name: value.name, message: secrets.scrubString(value.message) };
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : scrub(v, secrets, depth + 1);
  }
  return out;
}

export type LogFn = (
  level: LogLevel,
  event: string,
  tunnelId: string | null,
  details?: Record<string, unknown>,
) => void;

export interface EngineLogger {
  readonly log: LogFn;
  readonly secrets: SecretSet;
}

/** A logger that scrubs, stamps and hands each record to `emit`. */
export function createLogger(clock: Clock, emit: (record: LogRecord) => void): EngineLogger {
  const secrets = new SecretSet();
  const log: LogFn = (level, event, tunnelId, details = {}) => {
    emit({
      timestamp: new Date(clock.now()).toISOString(),
      level,
      event,
      tunnel_id: tunnelId,
      details: scrub(details, secrets) as Record<string, unknown>,
    });
  };
  return { log, secrets };
}

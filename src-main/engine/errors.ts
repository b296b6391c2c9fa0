// The engine's one error type: a stable ErrorCode (shared/model.ts) plus Node's or the relay's
// reason as detail. Pure; every failure the engine reports to snapshots goes through here.

import type { ErrorCode, ErrorInfo } from '../shared/model';

export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail?: string,
    /** Relay's `details.retry_after` in seconds (docs/protocol.md#errors), when it gave one. */
    readonly retryAfterSec: number | null = null,
  ) {
    super(message);
  }
}

export function toEngineError(err: unknown, fallback: ErrorCode = 'internal_error'): EngineError {
  if (err instanceof EngineError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new EngineError(fallback, message);
}

export function errorInfo(err: EngineError, nowMs: number): ErrorInfo {
  return {
    code: err.code,
    message: err.message,
    ...(err.detail !== undefined ? { detail: err.detail } : {}),
    at: new Date(nowMs).toISOString(),
  };
}

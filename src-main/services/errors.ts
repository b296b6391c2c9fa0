// Small helpers that turn failures into the shared ErrorInfo shape with a stable code.
// No I/O; every service reports errors through these so codes stay consistent.

import type { ErrorCode, ErrorInfo } from '../shared/model';
import type { FieldErrors, Result } from '../shared/ipc-contract';

export function errorInfo(
  code: ErrorCode,
  message: string,
  at: number,
  detail?: string,
): ErrorInfo {
  return detail === undefined
    ? { code, message, at: new Date(at).toISOString() }
    : { code, message, detail, at: new Date(at).toISOString() };
}

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(error: ErrorInfo, fields?: FieldErrors): Result<T> {
  return fields === undefined ? { ok: false, error } : { ok: false, error, fields };
}

/** A service failure that carries a stable code; converted to a Result at the boundary. */
export class ServiceError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail?: string,
    /** Field name -> message key and parameters, for forms (Result.fields). */
    readonly fields?: FieldErrors,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

/** errno code of a Node system error, if any. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const { code } = error;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** ErrorInfo for anything a handler threw; ServiceErrors keep their code and fields. */
export function toErrorInfo(
  error: unknown,
  now: number,
): { error: ErrorInfo; fields?: FieldErrors } {
  if (error instanceof ServiceError) {
    const info = errorInfo(error.code, error.message, now, error.detail);
    return error.fields ? { error: info, fields: error.fields } : { error: info };
  }
  return {
    error: errorInfo(
      'internal_error',
      'Something went wrong inside the app.',
      now,
      messageOf(error),
    ),
  };
}

// Keeps an exception inside a socket event handler from leaving it: whatever a peer's bytes make
// a handler throw becomes a reason to close that one connection, never an uncaught exception
// that ends the process (docs/protocol.md "Framing"). No I/O of its own.

const MAX_REASON_CHARS = 200;

/**
 * A short, stable description of a thrown value for a log record: `reason: message` for the
 * codec's errors (they carry a documented `reason`), `code: message` for MessageError, and
 * `internal_error: ...` for anything else (a bug of ours, still not a reason to die).
 */
export function describeError(error: unknown): string {
  let text: string;
  try {
    if (error instanceof Error) {
      const tagged = error as Error & { reason?: unknown; code?: unknown };
      if (typeof tagged.reason === 'string') text = `${tagged.reason}: ${error.message}`;
      else if (error.name === 'MessageError' && typeof tagged.code === 'string')
        text = `${tagged.code}: ${error.message}`;
      else text = `internal_error: ${error.name}: ${error.message}`;
    } else {
      text = `internal_error: ${String(error)}`;
    }
  } catch {
    text = 'internal_error: unprintable exception';
  }
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}...` : text;
}

/**
 * Wraps a socket event handler: an exception it throws goes to `onThrow` (which closes the
 * connection and says why) instead of up the event emitter. An exception in `onThrow` itself is
 * dropped: the connection is being torn down either way.
 */
export function guard<A extends unknown[]>(
  handler: (...args: A) => void,
  onThrow: (reason: string, error: unknown) => void,
): (...args: A) => void {
  return (...args: A): void => {
    try {
      handler(...args);
    } catch (error) {
      try {
        onThrow(describeError(error), error);
      } catch {
        // Nothing more to do: the connection is closing.
      }
    }
  };
}

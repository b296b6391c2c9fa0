// Runs one bridge request for a screen: tracks "busy", and keeps the failed Result's error
// and field problems (message keys the screen translates) so the screen can show them.
// Nothing is thrown across IPC (Result).
import { useCallback, useState } from 'react';
import type { FieldErrors, Result } from '../../src-main/shared/ipc-contract';
import { isFieldErrors } from '../../src-main/shared/ipc-guards';
import type { ErrorInfo } from '../../src-main/shared/model';

export interface ActionState {
  readonly isBusy: boolean;
  readonly error: ErrorInfo | null;
  readonly fields: FieldErrors;
}

/** Only well-formed problems are shown; anything else would have no words to show. */
function fieldsOf(result: Result<unknown>): FieldErrors {
  return !result.ok && isFieldErrors(result.fields) ? result.fields : {};
}

const IDLE: ActionState = { isBusy: false, error: null, fields: {} };

export function useAction(): [
  ActionState,
  <T>(run: () => Promise<Result<T>> | undefined) => Promise<Result<T> | null>,
] {
  const [state, setState] = useState<ActionState>(IDLE);
  const run = useCallback(
    async <T>(request: () => Promise<Result<T>> | undefined): Promise<Result<T> | null> => {
      const pending = request();
      if (!pending) return null;
      setState({ isBusy: true, error: null, fields: {} });
      try {
        const result = await pending;
        setState(
          result.ok ? IDLE : { isBusy: false, error: result.error, fields: fieldsOf(result) },
        );
        return result;
      } catch (cause) {
        const error: ErrorInfo = {
          code: 'internal_error',
          message: cause instanceof Error ? cause.message : String(cause),
          at: new Date().toISOString(),
        };
        setState({ isBusy: false, error, fields: {} });
        return { ok: false, error };
      }
    },
    [],
  );
  return [state, run];
}

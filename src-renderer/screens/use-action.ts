// Runs one bridge request for a screen: tracks "busy", and keeps the failed Result's error
// and field messages so the screen can show them. Nothing is thrown across IPC (Result).
import { useCallback, useState } from 'react';
import type { Result } from '../../src-main/shared/ipc-contract';
import type { ErrorInfo } from '../../src-main/shared/model';

export interface ActionState {
  readonly isBusy: boolean;
  readonly error: ErrorInfo | null;
  readonly fields: Readonly<Record<string, string>>;
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
          result.ok ? IDLE : { isBusy: false, error: result.error, fields: result.fields ?? {} },
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

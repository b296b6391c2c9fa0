// Turns an untrusted (channel, payload) pair into a controller call: the channel must be in
// the contract and the payload must pass its guard (shared/ipc-guards.ts). Every outcome is
// a Result; nothing is thrown, whatever the renderer sends or the controller does.

import type { Result } from '../shared/ipc-contract';
import { isRequestChannel, isValidRequest } from '../shared/ipc-guards';
import type { AppController } from './app-controller';
import { errorInfo, fail, ok, toErrorInfo } from './errors';

export interface IpcRouter {
  handle(channel: string, payload: unknown): Promise<Result<unknown>>;
}

export interface IpcRouterOptions {
  readonly clock?: { now(): number };
  /** Told about refused and failed requests (never about payload contents). */
  readonly onRejected?: (channel: string, reason: string) => void;
}

export function createIpcRouter(
  controller: Pick<AppController, 'handle'>,
  options: IpcRouterOptions = {},
): IpcRouter {
  const now = () => (options.clock ?? Date).now();
  return {
    async handle(channel, payload) {
      try {
        if (!isRequestChannel(channel)) {
          options.onRejected?.(String(channel).slice(0, 100), 'unknown channel');
          return fail(errorInfo('protocol_error', 'Unknown request.', now(), 'unknown channel'));
        }
        if (!isValidRequest(channel, payload)) {
          options.onRejected?.(channel, 'invalid payload');
          return fail(
            errorInfo(
              'protocol_error',
              'The request was not understood.',
              now(),
              `invalid payload for ${channel}`,
            ),
          );
        }
        return ok(await controller.handle(channel, payload));
      } catch (error) {
        const { error: info, fields } = toErrorInfo(error, now());
        if (info.code === 'internal_error')
          options.onRejected?.(String(channel), info.detail ?? info.message);
        return fail(info, fields);
      }
    },
  };
}

// When the engine host child is started again after it exited, and how its exit is put into
// words. Pure: the supervisor (engine-host.ts) owns the timers.

import type { HostExit } from './transport';

export interface RestartPolicy {
  /** Wait before the first restart. */
  readonly initialDelayMs: number;
  /** Each quick exit doubles the wait, up to this. */
  readonly maxDelayMs: number;
  /** A child that stayed up this long was healthy: the next wait starts over. */
  readonly stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  stableAfterMs: 60_000,
};

/** The wait before the next start, and the count of quick exits in a row it is based on. */
export function nextRestartDelay(
  failures: number,
  uptimeMs: number,
  policy: Partial<RestartPolicy> = {},
): { delayMs: number; failures: number } {
  const p = { ...DEFAULT_RESTART_POLICY, ...policy };
  const inARow = uptimeMs >= p.stableAfterMs ? 0 : failures;
  const delayMs = Math.min(p.maxDelayMs, p.initialDelayMs * 2 ** Math.min(inARow, 30));
  return { delayMs, failures: inARow + 1 };
}

/** Exit codes the host child uses on purpose (host-child.ts). */
const KNOWN_CODES: Readonly<Record<number, string>> = {
  70: 'an error nobody caught',
};

export function describeExit(exit: HostExit): string {
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  if (exit.code === null) return 'could not be started';
  const known = KNOWN_CODES[exit.code];
  return known ? `exited with code ${exit.code}: ${known}` : `exited with code ${exit.code}`;
}

// The `limits` part of the relay's configuration (docs/protocol.md#limits): every front-door
// bound by its name in the JSON config, `--limit NAME=VALUE` on the command line, and the older
// single flags (--heartbeat-min-ms, --auth-per-minute). Unknown names are errors, so a typo
// cannot leave a default in force unnoticed. Pure.

import { isFrontDoorLimitName, type FrontDoorLimits } from './relay-limits';

export class LimitsConfigError extends Error {
  override readonly name = 'LimitsConfigError';
}

export type LimitsOptions = Partial<FrontDoorLimits> & { minHeartbeatIntervalMs?: number };

export interface LimitsFlags {
  readonly limit?: string[] | undefined;
  readonly 'heartbeat-min-ms'?: string | undefined;
  readonly 'auth-per-minute'?: string | undefined;
}

function isLimitsKey(name: string): name is keyof LimitsOptions {
  return name === 'minHeartbeatIntervalMs' || isFrontDoorLimitName(name);
}

function wholeNumber(text: string, where: string): number {
  if (!/^\d+$/.test(text.trim()))
    throw new LimitsConfigError(`${where} must be a whole non-negative number, got "${text}"`);
  return Number(text.trim());
}

/** Flags win over the file; `--limit` wins over the single flags it duplicates. */
export function parseLimitsConfig(
  fileLimits: unknown,
  flags: LimitsFlags,
): LimitsOptions | undefined {
  if (
    fileLimits !== undefined &&
    (fileLimits === null || typeof fileLimits !== 'object' || Array.isArray(fileLimits))
  )
    throw new LimitsConfigError('"limits" must be an object');
  const limits: Record<string, number> = {};
  for (const [name, value] of Object.entries((fileLimits ?? {}) as Record<string, unknown>)) {
    if (!isLimitsKey(name)) throw new LimitsConfigError(`"limits.${name}" is not a known limit`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new LimitsConfigError(`"limits.${name}" must be a non-negative number`);
    limits[name] = value;
  }
  if (flags['heartbeat-min-ms'] !== undefined)
    limits['minHeartbeatIntervalMs'] = wholeNumber(flags['heartbeat-min-ms'], '--heartbeat-min-ms');
  if (flags['auth-per-minute'] !== undefined)
    limits['authAttemptsPerMinute'] = wholeNumber(flags['auth-per-minute'], '--auth-per-minute');
  for (const pair of flags.limit ?? []) {
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    if (eq === -1 || !isLimitsKey(name))
      throw new LimitsConfigError(
        `--limit expects NAME=VALUE with a name of docs/protocol.md#limits, got "${pair}"`,
      );
    limits[name] = wholeNumber(pair.slice(eq + 1), `--limit ${name}`);
  }
  return Object.keys(limits).length > 0 ? limits : undefined;
}

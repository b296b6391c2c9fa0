// The secret values the desktop app can name at a given moment (the stored token, tokens
// handed to the engine, the reconnect token, the built-in relay's key material), gathered
// for the diagnostics export to remove. Holds a bounded memory; never logs or persists.

import { MIN_SECRET_LENGTH } from './redact';

/** Tokens handed out this run; a few replacements at most, so a small bound is plenty. */
export const MAX_REMEMBERED_SECRETS = 16;

export type SecretSource = () =>
  | Promise<string | null | undefined | readonly string[]>
  | string
  | null
  | undefined
  | readonly string[];

export interface KnownSecrets {
  /** Remembers a value handed out (oldest forgotten beyond MAX_REMEMBERED_SECRETS). */
  remember(value: string): void;
  /** Every remembered value plus what each source yields now; a failing source is skipped. */
  collect(sources: readonly SecretSource[]): Promise<string[]>;
}

export function createKnownSecrets(): KnownSecrets {
  const remembered: string[] = [];
  return {
    remember(value) {
      if (value.length < MIN_SECRET_LENGTH || remembered.includes(value)) return;
      remembered.push(value);
      if (remembered.length > MAX_REMEMBERED_SECRETS) remembered.shift();
    },
    async collect(sources) {
      const found = await Promise.all(
        sources.map(async (source) => {
          try {
            const value = await source();
            if (typeof value === 'string') return [value];
            return value ?? [];
          } catch {
            return [];
          }
        }),
      );
      const all = [...remembered, ...found.flat()];
      return [...new Set(all)].filter((v) => v.length >= MIN_SECRET_LENGTH);
    },
  };
}

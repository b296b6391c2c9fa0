// The built-in local relay for a first run, from main's side: the signing secret kept in the
// SecretStore, and a runner that starts the relay and its demo target where the engine runs
// (the engine host child, or in-process). Never logs the secret or the token.

import { randomBytes } from 'node:crypto';
import { runBuiltinRelay, type RunningBuiltinRelay } from '../engine-host/builtin-relay-runner';
import type { BuiltinRelayRequest } from '../engine-host/host-protocol';
import type { RelayProfile } from '../shared/ipc-contract';
import type { BuiltinRelay, BuiltinRelayStarter } from './controller-types';
import type { SecretStore } from './secret-store';

export {
  BUILTIN_PROFILE_ID,
  startDemoTarget,
  type DemoTarget,
} from '../engine-host/builtin-relay-runner';
/** Keychain account of the built-in relay's signing secret (not a user token). */
export const BUILTIN_SECRET_ACCOUNT = 'builtin-relay-secret';

/** Starts the relay and demo target somewhere (in this process, or in the engine host). */
export type BuiltinRelayRunner = (request: BuiltinRelayRequest) => Promise<RunningBuiltinRelay>;

export interface BuiltinRelayOptions {
  readonly dataDir: string;
  /** Keeps the signing secret across restarts; without a keychain it lives in memory. */
  readonly secretStore: SecretStore;
  readonly clock: { now(): number };
  /** Default: in this process. */
  readonly run?: BuiltinRelayRunner;
}

async function signingSecret(store: SecretStore): Promise<string> {
  try {
    const existing = await store.get(BUILTIN_SECRET_ACCOUNT);
    if (existing !== null && existing.length >= 32) return existing;
    const secret = randomBytes(32).toString('base64url');
    await store.set(BUILTIN_SECRET_ACCOUNT, secret);
    return secret;
  } catch {
    // No keychain: a secret for this process only; tokens are re-minted at every start.
    return randomBytes(32).toString('base64url');
  }
}

export function createBuiltinRelayStarter(options: BuiltinRelayOptions): BuiltinRelayStarter {
  const run = options.run ?? runBuiltinRelay;
  return async (previous: RelayProfile | null): Promise<BuiltinRelay> => {
    const secret = await signingSecret(options.secretStore);
    return run({
      secret,
      dataDir: options.dataDir,
      preferredPort: previous?.port ?? null,
      nowMs: options.clock.now(),
    });
  };
}

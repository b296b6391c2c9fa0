// Binds the stored token to the relay identity it was saved for (host, port, server name, CA
// file, pin, plaintext flag), kept in token-bindings.json next to the settings, never in the
// keychain. Pure rules and the file; the gate that uses them is token-gate.ts.

import { join } from 'node:path';
import type { RelayProfile } from '../shared/ipc-contract';
import { nodeStoreFs, writeJsonAtomic, type StoreFs } from './atomic-json';
import { errnoCode } from './errors';

export const TOKEN_BINDINGS_FILE = 'token-bindings.json';

/** What a token may be sent to: every field that decides who receives it, and how. */
export interface RelayIdentity {
  readonly host: string;
  readonly port: number;
  readonly serverName: string | null;
  readonly caFile: string | null;
  readonly pinSha256: string | null;
  readonly insecure: boolean;
}

export type IdentityField = keyof RelayIdentity;

/** Host names compare without case or a trailing dot; everything else exactly. */
function normaliseHost(host: string): string {
  const h = host.trim().toLowerCase();
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

export function relayIdentity(profile: RelayProfile): RelayIdentity {
  return {
    host: normaliseHost(profile.host),
    port: profile.port,
    serverName: profile.serverName === null ? null : normaliseHost(profile.serverName),
    caFile: profile.caFile,
    pinSha256: profile.pinSha256,
    insecure: profile.insecure,
  };
}

/**
 * The fields that changed in a way the user has not agreed to, empty when the token may go.
 * Only strengthening passes silently: leaving plaintext for TLS, and adding a pin where there
 * was none (the CA check still applies). Any other change of who can present the relay's
 * identity (host, port, name, CA file, a pin changed or removed) needs the user.
 */
export function identityChanges(bound: RelayIdentity, current: RelayIdentity): IdentityField[] {
  const changed: IdentityField[] = [];
  if (bound.host !== current.host) changed.push('host');
  if (bound.port !== current.port) changed.push('port');
  if (bound.serverName !== current.serverName) changed.push('serverName');
  if (bound.caFile !== current.caFile) changed.push('caFile');
  if (bound.pinSha256 !== null && bound.pinSha256 !== current.pinSha256) changed.push('pinSha256');
  if (!bound.insecure && current.insecure) changed.push('insecure');
  return changed;
}

function isIdentity(value: unknown): value is RelayIdentity {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const nullableString = (x: unknown) => x === null || typeof x === 'string';
  return (
    typeof v.host === 'string' &&
    typeof v.port === 'number' &&
    nullableString(v.serverName) &&
    nullableString(v.caFile) &&
    nullableString(v.pinSha256) &&
    typeof v.insecure === 'boolean'
  );
}

export interface TokenBindingsOptions {
  readonly dataDir: string;
  readonly fs?: StoreFs;
}

export interface TokenBindings {
  /** Reads the file once; a damaged file binds nothing (every token then needs the user). */
  load(): Promise<void>;
  /** True when no bindings file existed at load: tokens saved before bindings existed. */
  wasMissing(): boolean;
  get(profileId: string): RelayIdentity | null;
  /** Binds `profile.id`'s token to the profile as it is now; in memory first, then on disk. */
  bind(profile: RelayProfile): Promise<void>;
  forget(profileId: string): Promise<void>;
}

export function createTokenBindings(options: TokenBindingsOptions): TokenBindings {
  const fs = options.fs ?? nodeStoreFs;
  const path = join(options.dataDir, TOKEN_BINDINGS_FILE);
  const bindings = new Map<string, RelayIdentity>();
  let missing = false;
  let writes: Promise<unknown> = Promise.resolve();

  function persist(): Promise<void> {
    const snapshot = { version: 1, bindings: Object.fromEntries(bindings) };
    const next = writes.then(async () => {
      await fs.mkdir(options.dataDir);
      await writeJsonAtomic(fs, path, snapshot);
    });
    writes = next.catch(() => undefined);
    return next;
  }

  return {
    async load() {
      bindings.clear();
      let text: string;
      try {
        text = await fs.readFile(path);
      } catch (error) {
        missing = errnoCode(error) === 'ENOENT';
        return;
      }
      missing = false;
      try {
        const parsed = JSON.parse(text) as { bindings?: unknown };
        const entries =
          typeof parsed.bindings === 'object' && parsed.bindings !== null ? parsed.bindings : {};
        for (const [id, identity] of Object.entries(entries))
          if (isIdentity(identity)) bindings.set(id, identity);
      } catch {
        // Damaged: nothing is bound, so nothing is sent until the user confirms or re-pastes.
      }
    },
    wasMissing: () => missing,
    get: (profileId) => bindings.get(profileId) ?? null,
    bind(profile) {
      bindings.set(profile.id, relayIdentity(profile));
      return persist();
    },
    forget(profileId) {
      if (!bindings.delete(profileId)) return Promise.resolve();
      return persist();
    },
  };
}

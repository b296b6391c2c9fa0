// The SecretStore port and its keytar implementation (the ONLY file importing keytar). Never
// calls findCredentials (it crashes the process on a locked keyring), never writes plaintext;
// a safeStorage-backed store would be another implementation of the same port.

import { ServiceError, messageOf } from './errors';

export const KEYCHAIN_SERVICE = 'CloudBridge Desktop';

/**
 * Where secrets live. Every method rejects with a ServiceError coded `keychain_unavailable`
 * when the keychain cannot be used; a missing secret is `null`, never an error.
 */
export interface SecretStore {
  readonly kind: 'keychain' | 'memory';
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  /** True when something was removed. */
  delete(account: string): Promise<boolean>;
}

/** The three keytar calls we use. findCredentials is deliberately absent. */
export interface KeytarLike {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

export interface KeytarStoreOptions {
  readonly service?: string;
  /** Loads the native module; injectable so a missing binary is a clean error in tests. */
  readonly loadKeytar?: () => Promise<KeytarLike>;
  /** A locked keyring may prompt and never answer; give up after this long. */
  readonly timeoutMs?: number;
}

async function loadRealKeytar(): Promise<KeytarLike> {
  // The app bundle is CommonJS: require() loads the native module the way Electron resolves
  // it from app.asar.unpacked. ESM test runners have no require and take the dynamic import.
  if (typeof require === 'function') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('keytar') as KeytarLike;
  }
  const mod = (await import('keytar')) as KeytarLike & { default?: KeytarLike };
  return mod.default ?? mod;
}

function unavailable(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  return new ServiceError(
    'keychain_unavailable',
    'The system keychain (Secret Service) is not available, so the token cannot be stored.',
    messageOf(error),
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`keychain did not answer within ${ms} ms`)),
      ms,
    );
    timer.unref?.();
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export function createKeytarSecretStore(options: KeytarStoreOptions = {}): SecretStore {
  const service = options.service ?? KEYCHAIN_SERVICE;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const load = options.loadKeytar ?? loadRealKeytar;
  let keytar: Promise<KeytarLike> | undefined;

  async function call<T>(fn: (k: KeytarLike) => Promise<T>): Promise<T> {
    try {
      keytar ??= load();
      return await withTimeout(
        keytar.then((k) => fn(k)),
        timeoutMs,
      );
    } catch (error) {
      throw unavailable(error);
    }
  }

  return {
    kind: 'keychain',
    get: (account) => call((k) => k.getPassword(service, account)),
    async set(account, secret) {
      await call((k) => k.setPassword(service, account, secret));
      // A locked keyring can accept the write and then read back nothing: read back so the
      // user is told now, not at the next connect.
      const stored = await call((k) => k.getPassword(service, account));
      if (stored !== secret) {
        throw new ServiceError(
          'keychain_unavailable',
          'The system keychain did not keep the token; it may be locked.',
          'read-back after write returned a different value',
        );
      }
    },
    delete: (account) => call((k) => k.deletePassword(service, account)),
  };
}

/** Process-memory store: for tests and for secrets that need not outlive the process. */
export function createMemorySecretStore(
  initial: Readonly<Record<string, string>> = {},
): SecretStore {
  const items = new Map(Object.entries(initial));
  return {
    kind: 'memory',
    get: (account) => Promise.resolve(items.get(account) ?? null),
    set(account, secret) {
      items.set(account, secret);
      return Promise.resolve();
    },
    delete: (account) => Promise.resolve(items.delete(account)),
  };
}

// A token that cannot be had keeps its reason all the way into the engine (in this process):
// a locked or slow keychain is keychain_unavailable, retried and tried again at once on a
// wake-up (also when it was locked at start), and the session comes back when the keychain
// answers; an expired token is token_expired and stops the session until the user acts.
// Real services, a real relay.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Result } from '../../src-main/shared/ipc-contract';
import { systemClock, type Clock } from '../../src-main/shared/clock';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import {
  createKeytarSecretStore,
  createMemorySecretStore,
  type KeytarLike,
  type SecretStore,
} from '../../src-main/services/secret-store';
import { startTestRelay } from '../harness/relay';
import { profileFor, waitFor } from './services-helpers';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function expectOk(result: Result<unknown>): void {
  if (!result.ok) throw new Error(`request failed: ${JSON.stringify(result)}`);
}

/** keytar as the secret store sees it, whose reads can stop answering (a locked keyring). */
function lockableKeytar() {
  const items = new Map<string, string>();
  let locked = false;
  const keytar: KeytarLike = {
    getPassword: (_service, account) =>
      locked ? new Promise<null>(() => undefined) : Promise.resolve(items.get(account) ?? null),
    setPassword: (_service, account, password) => {
      items.set(account, password);
      return Promise.resolve();
    },
    deletePassword: (_service, account) => Promise.resolve(items.delete(account)),
  };
  return {
    // The real keytar store, with a short wait for the keychain's answer.
    store: createKeytarSecretStore({ loadKeytar: () => Promise.resolve(keytar), timeoutMs: 300 }),
    lock: () => (locked = true),
    unlock: () => (locked = false),
  };
}

function servicesIn(dataDir: string, secretStore: SecretStore, clock: Clock = systemClock) {
  const app: AppServices = createAppServices({
    dataDir,
    secretStore,
    clock,
    startBuiltinRelay: null,
    launch: () => Promise.resolve(),
  });
  cleanups.push(() => app.close());
  return app;
}

async function connectedServices(secretStore: SecretStore, clock: Clock = systemClock) {
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-token-errors-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const relay = await startTestRelay();
  cleanups.push(() => relay.close());
  const app = servicesIn(dataDir, secretStore, clock);
  await app.start();
  expectOk(
    await app.router.handle('cloudbridge:settings.update', { relay: profileFor(relay, dataDir) }),
  );
  expectOk(
    await app.router.handle('cloudbridge:token.save', {
      token: await relay.token({ ttlSec: 3_600 }),
    }),
  );
  await waitFor(() => app.controller.snapshot().engine.state === 'active');
  return { app, dataDir };
}

/** Ends the session and starts it again, so the engine asks for the token once more. */
async function reconnect(app: AppServices): Promise<void> {
  expectOk(await app.router.handle('cloudbridge:session.disconnect', undefined));
  await waitFor(() => app.controller.snapshot().engine.state === 'disconnected');
  expectOk(await app.router.handle('cloudbridge:session.connect', undefined));
}

describe('token failures reaching the engine', () => {
  it('retries a locked keychain as keychain_unavailable and connects once it answers', async () => {
    const keychain = lockableKeytar();
    const { app } = await connectedServices(keychain.store);
    keychain.lock();
    await reconnect(app);
    const failed = await waitFor(() => {
      const engine = app.controller.snapshot().engine;
      return engine.lastError?.code === 'keychain_unavailable' ? engine : null;
    });
    // Retried with backoff (the keychain may answer later), never "no token, stop".
    expect(failed.state).toBe('reconnecting');
    expect(failed.lastError?.message).toMatch(/keychain/i);

    keychain.unlock();
    // The screen unlocked: a wake-up tries again at once.
    app.controller.reconnectNow('unlock');
    await waitFor(() => app.controller.snapshot().engine.state === 'active', 10_000);
    expect(
      app.logger.query({ limit: 50, text: 'reconnect_now' }).map((r) => r.details.reason),
    ).toContain('unlock');
  });

  it('reads a keychain that was locked at start again on a wake-up, and connects', async () => {
    const keychain = lockableKeytar();
    const { app: first, dataDir } = await connectedServices(keychain.store);
    await first.close();
    keychain.lock();
    const app = servicesIn(dataDir, keychain.store);
    await app.start();
    const locked = app.controller.snapshot();
    expect(locked.account.keychainError?.code).toBe('keychain_unavailable');
    expect(locked.notices.map((n) => n.kind)).toContain('keychain_unavailable');
    expect(locked.engine.state).toBe('disconnected');

    keychain.unlock();
    app.controller.reconnectNow('unlock');
    await waitFor(() => app.controller.snapshot().engine.state === 'active', 10_000);
    const unlocked = app.controller.snapshot();
    expect(unlocked.account.signedIn).toBe(true);
    expect(unlocked.notices.map((n) => n.kind)).not.toContain('keychain_unavailable');
  });

  it('stops at token_expired when the stored token has expired, and a wake-up does not retry it', async () => {
    let skewMs = 0;
    const clock: Clock = { ...systemClock, now: () => Date.now() + skewMs };
    const { app } = await connectedServices(createMemorySecretStore(), clock);
    skewMs = 2 * 60 * 60 * 1000; // two hours on: the one-hour token has expired
    await reconnect(app);
    const stopped = await waitFor(() => {
      const engine = app.controller.snapshot().engine;
      return engine.state === 'disconnected' && engine.lastError !== null ? engine : null;
    });
    expect(stopped.lastError?.code).toBe('token_expired');
    app.controller.reconnectNow('resume');
    await new Promise((r) => setTimeout(r, 300));
    expect(app.controller.snapshot().engine.state).toBe('disconnected');
  });
});

// The stored token is bound to the relay it was saved for. Through the real services and real
// relays over TLS on loopback: a window request that moves the current profile to another host,
// or to plaintext, keeping its id, gets the engine `token_relay_changed` and the new relay sees
// no authentication at all; a refused confirmation changes nothing; after the user confirms
// (main's own dialog, here a stand-in) or pastes the token again, the token goes there.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import { createMemorySecretStore } from '../../src-main/services/secret-store';
import type { RelayChange } from '../../src-main/services/token-gate';
import type { AppSnapshot, RelayProfile, Result } from '../../src-main/shared/ipc-contract';
import { newJwtSecret, sharedTestPki, startTestRelay, type TestRelay } from '../harness/relay';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function waitFor<T>(
  read: () => T | null | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function expectOk<T>(result: Result<unknown>): T {
  if (!result.ok) throw new Error(`request failed: ${JSON.stringify(result.error)}`);
  return result.value as T;
}

const authEvents = (relay: TestRelay) =>
  relay.logs.filter((l) => l.event.startsWith('auth') || l.event === 'session_opened');

async function relayOn(host: string, port: number, secret: string, insecure = false) {
  const relay = await startTestRelay({ pki: await sharedTestPki(), secret, host, port, insecure });
  cleanups.push(() => relay.close());
  return relay;
}

async function setUp() {
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-binding-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const pki = await sharedTestPki();
  const caFile = join(dataDir, 'ca.pem');
  writeFileSync(caFile, pki.caPem);
  const secret = newJwtSecret();
  const original = await relayOn('127.0.0.1', 0, secret);
  // The same port on another loopback address: only the host of the profile changes.
  const moved = await relayOn('127.0.0.2', original.port, secret);
  const asked: RelayChange[] = [];
  let answer = false;
  const app: AppServices = createAppServices({
    dataDir,
    secretStore: createMemorySecretStore(),
    startBuiltinRelay: null,
    launch: () => Promise.resolve(),
    confirmRelayChange: (change) => {
      asked.push(change);
      return Promise.resolve(answer);
    },
  });
  cleanups.push(() => app.close());
  await app.start();
  const profile: RelayProfile = {
    id: 'corp',
    name: 'Corp relay',
    host: '127.0.0.1',
    port: original.port,
    caFile,
    pinSha256: null,
    serverName: 'localhost',
    insecure: false,
    opener: 'auto',
    builtin: false,
  };
  expectOk(await app.router.handle('cloudbridge:settings.update', { relay: profile }));
  const token = await original.token({ sub: 'bound-user' });
  expectOk(await app.router.handle('cloudbridge:token.save', { token }));
  await waitFor(() => app.controller.snapshot().engine.state === 'active');
  expect(original.logs.some((l) => l.event === 'auth_ok')).toBe(true);
  const snapshot = (): AppSnapshot => app.controller.snapshot();
  const isRefused = () => {
    const s = snapshot().engine;
    return s.state === 'disconnected' && s.lastError?.code === 'token_relay_changed' ? s : null;
  };
  /** Waits for the refusal, or for the relay to see an authentication: whichever comes first. */
  const refusedBefore = async (relay: TestRelay) => {
    await waitFor(() => isRefused() !== null || authEvents(relay).length > 0);
    expect(authEvents(relay)).toEqual([]);
    return waitFor(isRefused);
  };
  return {
    app,
    dataDir,
    profile,
    token,
    moved,
    secret,
    asked,
    refusedBefore,
    setAnswer: (yes: boolean) => (answer = yes),
  };
}

/** Long enough for a connect attempt the engine would make at once, and any retry after it. */
const SETTLE_MS = 1_500;

describe('a stored token bound to its relay', () => {
  it('is not sent to a new host of the same profile until the user confirms in main', async () => {
    const { app, dataDir, profile, token, moved, asked, refusedBefore, setAnswer } = await setUp();

    expectOk(
      await app.router.handle('cloudbridge:settings.update', {
        relay: { ...profile, host: '127.0.0.2' },
      }),
    );
    const stopped = await refusedBefore(moved);
    expect(stopped.lastError?.detail).toBe('host');
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    expect(authEvents(moved)).toEqual([]);
    // A wake-up does not spend an attempt on it either.
    app.controller.reconnectNow('resume');
    await new Promise((r) => setTimeout(r, 300));
    expect(authEvents(moved)).toEqual([]);

    // The user says no in main's dialog: still refused, still nothing at the new relay.
    const declined = await app.router.handle('cloudbridge:token.confirmRelay', undefined);
    expect(declined).toMatchObject({ ok: false, error: { code: 'token_relay_changed' } });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({
      profileName: 'Corp relay',
      fields: ['host'],
      from: { host: '127.0.0.1' },
      to: { host: '127.0.0.2' },
    });
    expectOk(await app.router.handle('cloudbridge:session.connect', undefined));
    await refusedBefore(moved);
    await new Promise((r) => setTimeout(r, 300));
    expect(authEvents(moved)).toEqual([]);

    // The user says yes: the token goes to the new host, once, and it accepts it.
    setAnswer(true);
    expectOk(await app.router.handle('cloudbridge:token.confirmRelay', undefined));
    await waitFor(() => app.controller.snapshot().engine.state === 'active');
    const accepted = moved.logs.filter((l) => l.event === 'auth_ok');
    expect(accepted).toHaveLength(1);
    expect(JSON.stringify(accepted[0]?.details)).toContain('bound-user');

    // The binding lives next to the settings, and holds no token.
    const bindings = readFileSync(join(dataDir, 'token-bindings.json'), 'utf8');
    expect(JSON.parse(bindings)).toMatchObject({ bindings: { corp: { host: '127.0.0.2' } } });
    for (const part of token.split('.')) expect(bindings).not.toContain(part);
  });

  it('is not sent in plaintext when the profile turns insecure, until the token is pasted again', async () => {
    const { app, profile, token, secret, moved, asked, refusedBefore, setAnswer } = await setUp();
    setAnswer(true);
    expectOk(
      await app.router.handle('cloudbridge:settings.update', {
        relay: { ...profile, host: '127.0.0.2' },
      }),
    );
    await refusedBefore(moved);
    expectOk(await app.router.handle('cloudbridge:token.confirmRelay', undefined));
    await waitFor(() => app.controller.snapshot().engine.state === 'active');
    await moved.close();

    // The same host and port, now a plaintext relay, and the profile flipped to insecure.
    const plain = await relayOn('127.0.0.2', profile.port, secret, true);
    setAnswer(false);
    expectOk(
      await app.router.handle('cloudbridge:settings.update', {
        relay: { ...profile, host: '127.0.0.2', insecure: true },
      }),
    );
    const stopped = await refusedBefore(plain);
    expect(stopped.lastError?.detail).toBe('insecure');
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    expect(authEvents(plain)).toEqual([]);
    expect(asked).toHaveLength(1);

    // Pasting the token again is the other way to agree: it binds to the profile as it is.
    expectOk(await app.router.handle('cloudbridge:token.save', { token }));
    await waitFor(() => app.controller.snapshot().engine.state === 'active');
    expect(plain.logs.filter((l) => l.event === 'auth_ok')).toHaveLength(1);
  });
});

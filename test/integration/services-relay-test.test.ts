// "Test connection" through the real services and a real relay over TLS 1.3 on loopback:
// every step reported as a code, nothing saved; the pin checked against the relay's key and
// the key reported when there is none; a refused certificate, a closed port and a silent
// peer each stop at their own step; the stored token goes only to the relay it is bound to,
// never into the reply or the log. Also main's CA file picker and clipboard paste.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mintDevToken } from '../../src-main/relay/tokens';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import { createLogger } from '../../src-main/services/logger';
import { createRelayProbe } from '../../src-main/services/relay-probe';
import { createMemorySecretStore } from '../../src-main/services/secret-store';
import { systemClock } from '../../src-main/shared/clock';
import type { RelayProfile, Result } from '../../src-main/shared/ipc-contract';
import type { RelayTestReport } from '../../src-main/shared/relay-test';
import { newJwtSecret, startTestRelay, type TestRelay } from '../harness/relay';
import { freePort } from '../harness/traffic';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function expectOk<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`request failed: ${JSON.stringify(result.error)}`);
  return result.value;
}

interface Scene {
  readonly app: AppServices;
  readonly relay: TestRelay;
  readonly profile: RelayProfile;
  readonly dataDir: string;
  clipboard: string;
  caChoice: string | null;
}

async function scene(options: { withPicker?: boolean } = {}): Promise<Scene> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-relay-test-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const relay = await startTestRelay({ secret: newJwtSecret() });
  cleanups.push(() => relay.close());
  const caFile = join(dataDir, 'ca.pem');
  writeFileSync(caFile, relay.caPem);
  const state: { clipboard: string; caChoice: string | null } = { clipboard: '', caChoice: null };
  const app = createAppServices({
    dataDir,
    secretStore: createMemorySecretStore(),
    startBuiltinRelay: null,
    launch: () => Promise.resolve(),
    readClipboardText: () => Promise.resolve(state.clipboard),
    ...(options.withPicker === false
      ? {}
      : { chooseCaFile: () => Promise.resolve(state.caChoice) }),
  });
  cleanups.push(() => app.close());
  await app.start();
  // Saved and signed in, but not connected: the test is the only thing that dials.
  expectOk(await app.router.handle('cloudbridge:settings.update', { autoConnect: false }));
  const profile: RelayProfile = {
    id: 'corp',
    name: 'Corp relay',
    host: '127.0.0.1',
    port: relay.port,
    caFile,
    pinSha256: null,
    serverName: 'localhost',
    insecure: false,
    opener: 'auto',
    builtin: false,
  };
  return Object.assign(state, { app, relay, profile, dataDir });
}

async function saveRelayAndToken(s: Scene): Promise<string> {
  expectOk(await s.app.router.handle('cloudbridge:settings.update', { relay: s.profile }));
  const token = await s.relay.token({ sub: 'anna' });
  expectOk(await s.app.router.handle('cloudbridge:token.save', { token }));
  return token;
}

/** The router answers any channel with Result<unknown>; this one's value is a report. */
async function testRelay(s: Scene, profile: RelayProfile): Promise<RelayTestReport> {
  return expectOk(await s.app.router.handle('cloudbridge:relay.test', profile)) as RelayTestReport;
}

const codes = (report: RelayTestReport) => report.steps.map((step) => `${step.step}:${step.code}`);
const authOks = (relay: TestRelay) => relay.logs.filter((l) => l.event === 'auth_ok').length;

describe('Test connection', () => {
  it('passes every step for the relay the token is bound to, reports its key, and saves nothing', async () => {
    const s = await scene();
    const token = await saveRelayAndToken(s);
    const before = s.app.settings.get();
    const report = await testRelay(s, s.profile);
    expect(codes(report)).toEqual(['reach:reach_ok', 'tls:tls_ok', 'pin:pin_none', 'auth:auth_ok']);
    expect(report.ok).toBe(true);
    expect(report.steps[0]?.params).toEqual({ address: `127.0.0.1:${s.relay.port}` });
    expect(report.steps[1]?.params).toEqual({ trust: 'ca_file' });
    // No pin set: the relay's own key, for the user to pin.
    expect(report.steps[2]).toMatchObject({ outcome: 'skipped', params: { pin: s.relay.pin } });
    expect(authOks(s.relay)).toBe(1);
    expect(s.app.settings.get()).toEqual(before);
    expect(s.app.controller.snapshot().engine.state).toBe('disconnected');
    // The token went to the relay and nowhere else: not in the reply, not in the log.
    expect(JSON.stringify(report)).not.toContain(token);
    expect(JSON.stringify(s.app.logger.recent())).not.toContain(token);
    expect(s.app.logger.recent().at(-1)).toMatchObject({
      event: 'relay_tested',
      details: { ok: true, steps: 'reach_ok,tls_ok,pin_none,auth_ok' },
    });
  });

  it('checks the pin: a match passes, a mismatch names the relay key and sends no token', async () => {
    const s = await scene();
    await saveRelayAndToken(s);
    const pinned = await testRelay(s, { ...s.profile, pinSha256: s.relay.pin });
    // Adding a pin only strengthens the identity the token is bound to: it may go.
    expect(codes(pinned)).toEqual(['reach:reach_ok', 'tls:tls_ok', 'pin:pin_ok', 'auth:auth_ok']);
    const wrongPin = 'A'.repeat(43) + '=';
    const before = authOks(s.relay);
    const mismatch = await testRelay(s, { ...s.profile, pinSha256: wrongPin });
    expect(codes(mismatch)).toEqual([
      'reach:reach_ok',
      'tls:tls_ok',
      'pin:pin_mismatch',
      'auth:not_reached',
    ]);
    expect(mismatch.ok).toBe(false);
    expect(mismatch.steps[2]).toMatchObject({
      outcome: 'failed',
      params: { pin: s.relay.pin },
      error: { code: 'tls_pin_mismatch' },
    });
    expect(authOks(s.relay)).toBe(before);
  });

  it('sends the stored token to no other relay identity: another host name for the same relay', async () => {
    const s = await scene();
    const token = await saveRelayAndToken(s);
    const report = await testRelay(s, { ...s.profile, host: 'localhost' });
    expect(codes(report)).toEqual([
      'reach:reach_ok',
      'tls:tls_ok',
      'pin:pin_none',
      'auth:auth_other_relay',
    ]);
    expect(report.ok).toBe(true);
    expect(authOks(s.relay)).toBe(0);
    expect(JSON.stringify(s.relay.logs)).not.toContain(token);
  });

  it('says when no token is saved, and when the relay refuses the one saved', async () => {
    const s = await scene();
    expectOk(await s.app.router.handle('cloudbridge:settings.update', { relay: s.profile }));
    expect(codes(await testRelay(s, s.profile)).at(-1)).toBe('auth:auth_no_token');
    const foreign = await mintDevToken({ secret: newJwtSecret(), sub: 'anna', ttlSec: 600 });
    expectOk(await s.app.router.handle('cloudbridge:token.save', { token: foreign }));
    const refused = await testRelay(s, s.profile);
    expect(refused.steps.at(-1)).toMatchObject({
      step: 'auth',
      outcome: 'failed',
      code: 'auth_failed',
      error: { code: 'invalid_token' },
    });
    expect(refused.ok).toBe(false);
  });

  it('stops at the certificate when the relay is not trusted, and at the CA file when it cannot be read', async () => {
    const s = await scene();
    // The system store does not know the test CA.
    const untrusted = await testRelay(s, { ...s.profile, caFile: null });
    expect(codes(untrusted)).toEqual([
      'reach:reach_ok',
      'tls:tls_failed',
      'pin:not_reached',
      'auth:not_reached',
    ]);
    expect(untrusted.steps[1]?.error?.code).toBe('tls_error');
    const missing = await testRelay(s, { ...s.profile, caFile: join(s.dataDir, 'nope.pem') });
    expect(codes(missing)).toEqual([
      'reach:not_reached',
      'tls:tls_failed',
      'pin:not_reached',
      'auth:not_reached',
    ]);
    expect(missing.steps[1]?.error?.message).toMatch(/Cannot read the CA file/);
  });

  it('stops at the first step when nothing listens on the port', async () => {
    const s = await scene();
    const port = await freePort();
    const report = await testRelay(s, { ...s.profile, port });
    expect(codes(report)).toEqual([
      'reach:reach_failed',
      'tls:not_reached',
      'pin:not_reached',
      'auth:not_reached',
    ]);
    expect(report.steps[0]).toMatchObject({
      params: { address: `127.0.0.1:${port}` },
      error: { code: 'connection_refused' },
    });
  });

  it('refuses a profile its rules refuse before dialling, on the fields', async () => {
    const s = await scene();
    const result = await s.app.router.handle('cloudbridge:relay.test', { ...s.profile, port: 0 });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.fields).toEqual({ port: { key: 'validation.port' } });
    expect(s.app.logger.recent().some((r) => r.event === 'relay_tested')).toBe(false);
  });
});

describe('the probe on its own', () => {
  it('reaches a silent peer, times out in TLS, and refuses a second test while one runs', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => resolve());
        }),
    );
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const logger = createLogger({ clock: systemClock, writer: { write: () => undefined } });
    const probe = createRelayProbe({
      clock: systemClock,
      readText: () => Promise.reject(new Error('no CA file in this test')),
      tokenFor: () => Promise.resolve({ kind: 'none' }),
      clientVersion: 'test',
      logger,
      connectTimeoutMs: 300,
    });
    const profile: RelayProfile = {
      id: 'p',
      name: 'silent',
      host: '127.0.0.1',
      port: address.port,
      caFile: null,
      pinSha256: null,
      serverName: 'localhost',
      insecure: false,
      opener: 'auto',
      builtin: false,
    };
    const first = probe.test(profile);
    await expect(probe.test(profile)).rejects.toMatchObject({ code: 'internal_error' });
    const report = await first;
    expect(codes(report)).toEqual([
      'reach:reach_ok',
      'tls:tls_failed',
      'pin:not_reached',
      'auth:not_reached',
    ]);
    expect(report.steps[1]?.error?.code).toBe('connect_timeout');
    // Once answered, the next test may run.
    expect(codes(await probe.test(profile))[1]).toBe('tls:tls_failed');
  });
});

describe('CA file picker and clipboard paste', () => {
  it("returns the file main's dialog chose, or null when cancelled; without a dialog it says so", async () => {
    const s = await scene();
    s.caChoice = '/home/anna/relay-ca.pem';
    expect(
      expectOk(await s.app.router.handle('cloudbridge:relay.chooseCaFile', undefined)),
    ).toEqual({
      path: '/home/anna/relay-ca.pem',
    });
    s.caChoice = null;
    expect(
      expectOk(await s.app.router.handle('cloudbridge:relay.chooseCaFile', undefined)),
    ).toEqual({
      path: null,
    });
    const bare = await scene({ withPicker: false });
    const refused = await bare.app.router.handle('cloudbridge:relay.chooseCaFile', undefined);
    expect(refused.ok).toBe(false);
  });

  it('saves the token it reads from the clipboard itself, and refuses an empty clipboard', async () => {
    const s = await scene();
    expectOk(await s.app.router.handle('cloudbridge:settings.update', { relay: s.profile }));
    const empty = await s.app.router.handle('cloudbridge:token.paste', undefined);
    expect(!empty.ok && empty.error.code).toBe('token_malformed');
    const token = await s.relay.token({ sub: 'anna@acme.example' });
    s.clipboard = `\n  ${token}  \n`;
    const account = expectOk(await s.app.router.handle('cloudbridge:token.paste', undefined));
    expect(account).toMatchObject({ signedIn: true, subject: 'anna@acme.example' });
    expect(JSON.stringify(account)).not.toContain(token);
    expect(s.app.logger.recent().at(-1)).toMatchObject({
      event: 'token_saved',
      details: { subject: 'anna@acme.example' },
    });
  });
});

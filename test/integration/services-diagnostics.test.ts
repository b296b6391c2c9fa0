// The diagnostics zip a user sends with a bug report, exported through the real services
// connected to a real relay: a canary token planted in the log, the settings and free text
// (raw, base64, base64url, percent-encoded), the relay's reconnect token, and secrets the app
// does not know but can recognise (Bearer, api keys, passwords, cookies, JWT-shaped strings,
// blobs after "token"/"key"/"secret") are nowhere in the unzipped files.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import { createMemorySecretStore } from '../../src-main/services/secret-store';
import type { RelayProfile, Result } from '../../src-main/shared/ipc-contract';
import { sharedTestPki, startTestRelay } from '../harness/relay';

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

/** Every form a secret could take in the zip. */
function forms(secret: string): string[] {
  const b = Buffer.from(secret);
  return [
    secret,
    b.toString('base64'),
    b.toString('base64').replace(/=+$/, ''),
    b.toString('base64url'),
    encodeURIComponent(secret),
    ...secret.split('.').filter((part) => part.length >= 16),
  ];
}

/** Secrets the app cannot know, only recognise; each planted in the form named. */
const OPAQUE = {
  bearer: 'opaqueBearer7Q2xk9Lm3Nz',
  apiKey: 'apiKeyCanary-5f1e2d3c4b',
  xApiKey: 'xApiKeyCanary_77aa88bb',
  clientSecret: 'clientSecretCanary.123',
  password: 'hunter2-Canary-Pass',
  passwd: 'passwdCanary999',
  privateKey: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
  cookie: 'sid=cookieCanary42; theme=dark',
  setCookie: 'refresh=setCookieCanary43',
  jwtShaped:
    'eyAiYWxnIjogIkVTMjU2IiB9.eyAic3ViIjogImNhbmFyeSIgfQ.c2lnbmF0dXJlLWNhbmFyeS1zaWduYXR1cmU',
  hexAfterWord: '3f9a0c1d2e3f4a5b6c7d8e9f00112233',
  b64AfterWord: 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA',
};

describe('diagnostics export', () => {
  it('holds no known secret in any encoding and no recognisable secret, and still helps', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cb-diag-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const relay = await startTestRelay({ pki: await sharedTestPki() });
    cleanups.push(() => relay.close());
    const caFile = join(dataDir, 'ca.pem');
    writeFileSync(caFile, relay.caPem);
    const app: AppServices = createAppServices({
      dataDir,
      secretStore: createMemorySecretStore(),
      startBuiltinRelay: null,
      launch: () => Promise.resolve(),
    });
    cleanups.push(() => app.close());
    await app.start();

    const canary = await relay.token({ sub: 'canary-user' });
    const profile: RelayProfile = {
      id: 'corp',
      // Planted in the settings: a name is free text, whatever a user pastes into it.
      name: `Corp ${canary}`,
      host: '127.0.0.1',
      port: relay.port,
      caFile,
      pinSha256: relay.pin,
      serverName: 'localhost',
      insecure: false,
      opener: 'auto',
      builtin: false,
    };
    expectOk(await app.router.handle('cloudbridge:settings.update', { relay: profile }));
    expectOk(await app.router.handle('cloudbridge:token.save', { token: canary }));
    await waitFor(() => app.controller.snapshot().engine.state === 'active');
    const session = await waitFor(() => {
      try {
        const raw = readFileSync(join(dataDir, 'session-state.json'), 'utf8');
        return (JSON.parse(raw) as { reconnectToken: string | null }).reconnectToken;
      } catch {
        return null;
      }
    });

    const b = Buffer.from(canary);
    app.logger.log('warn', 'planted_known', {
      note: `we sent ${canary} to the relay`,
      b64: `as base64 ${b.toString('base64')} and ${b.toString('base64url')}`,
      url: `https://example.invalid/cb?x=${encodeURIComponent(canary)}&y=1`,
      resume: `resumed with ${session} after a drop`,
    });
    app.logger.log('warn', 'planted_opaque', {
      header: `Authorization: Bearer ${OPAQUE.bearer}`,
      query: `GET /v1?api_key=${OPAQUE.apiKey}&page=2`,
      headers: `x-api-key: ${OPAQUE.xApiKey}\nCookie: ${OPAQUE.cookie}\nSet-Cookie: ${OPAQUE.setCookie}`,
      body: `{"client_secret":"${OPAQUE.clientSecret}","password":"${OPAQUE.password}"}`,
      form: `passwd=${OPAQUE.passwd} private_key: ${OPAQUE.privateKey}`,
      free: `the reconnect token is ${OPAQUE.hexAfterWord}; signing key ${OPAQUE.b64AfterWord}`,
      jws: `header-less looking ${OPAQUE.jwtShaped}`,
      apiKey: OPAQUE.apiKey,
      client_secret: OPAQUE.clientSecret,
      'set-cookie': OPAQUE.setCookie,
    });

    const diag = expectOk<{ path: string }>(
      await app.router.handle('cloudbridge:diagnostics.export', undefined),
    );
    const files = unzipSync(new Uint8Array(readFileSync(diag.path)));
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining([
        'logs.jsonl',
        'settings.json',
        'snapshot.json',
        'files/cloudbridge.log',
      ]),
    );
    const everything = Object.entries(files)
      .map(([name, bytes]) => `== ${name}\n${strFromU8(bytes)}`)
      .join('\n');
    // The log file really held the plants: the redaction, not their absence, keeps them out.
    expect(readFileSync(join(dataDir, 'logs', 'cloudbridge.log'), 'utf8')).toContain(
      'planted_known',
    );

    for (const form of [...forms(canary), ...forms(session)])
      expect(everything, `known secret form ${form.slice(0, 12)}…`).not.toContain(form);
    for (const [name, secret] of Object.entries(OPAQUE))
      for (const part of secret.split(/[;=\s]/).filter((p) => p.length >= 8))
        expect(everything, `${name}: ${part}`).not.toContain(part);

    // What support needs stays: events, the relay address, the pin and CA path, ports.
    expect(everything).toContain('planted_opaque');
    expect(everything).toContain('page=2');
    expect(everything).toContain(relay.pin);
    expect(everything).toContain(caFile);
    expect(strFromU8(files['settings.json']!)).toContain(`"port": ${relay.port}`);
  });
});

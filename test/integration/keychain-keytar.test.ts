// The keytar SecretStore against a real Secret Service (gnome-keyring in a private D-Bus
// session, set up by scripts/run-tests.mjs): a saved token is visible to secret-tool under
// our service and account, and gone after delete. Without any D-Bus session the store
// reports keychain_unavailable and the process survives.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { KEYCHAIN_SERVICE, createKeytarSecretStore } from '../../src-main/services/secret-store';
import { createTokenService } from '../../src-main/services/token-service';

const hasKeyring = process.env.CLOUDBRIDGE_TEST_KEYRING === '1';
const cleanups: (() => void | Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function secretToolLookup(account: string): { status: number | null; stdout: string } {
  const r = spawnSync('secret-tool', ['lookup', 'service', KEYCHAIN_SERVICE, 'account', account], {
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { status: r.status, stdout: r.stdout };
}

// On CI the throwaway keyring is part of the setup (scripts/run-tests.mjs): without it these
// tests would be skipped, so there its absence is a failure.
it.runIf(process.env.CI === 'true')('has a real Secret Service to test against on CI', () => {
  expect(hasKeyring).toBe(true);
});

describe.runIf(hasKeyring)('keytar secret store with a real Secret Service', () => {
  it('saves a token that secret-tool can see, then deletes it', async () => {
    const account = `test-profile-${process.pid}-${Date.now()}`;
    const store = createKeytarSecretStore();
    cleanups.push(() => store.delete(account).catch(() => undefined));
    const tokens = createTokenService({ secretStore: store, clock: { now: () => Date.now() } });
    await tokens.setAccount(account);
    const token = await new SignJWT({ tenant_id: 'acme' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('keychain-user')
      .setExpirationTime('2h')
      .sign(new TextEncoder().encode('keychain-test-secret-keychain-test'));
    const info = await tokens.save(token);
    expect(info).toMatchObject({ signedIn: true, subject: 'keychain-user', tenant: 'acme' });

    const seen = secretToolLookup(account);
    expect(seen.status).toBe(0);
    expect(seen.stdout.trim()).toBe(token);
    expect(await tokens.getToken()).toBe(token);

    // A fresh service (app restart) finds the token again.
    const restarted = createTokenService({
      secretStore: createKeytarSecretStore(),
      clock: { now: () => Date.now() },
    });
    expect((await restarted.setAccount(account)).subject).toBe('keychain-user');

    expect((await tokens.signOut()).signedIn).toBe(false);
    const gone = secretToolLookup(account);
    expect(gone.stdout.trim()).toBe('');
    expect(gone.status).not.toBe(0);
    expect(await store.get(account)).toBeNull();
  });
});

describe('keytar secret store without a D-Bus session', () => {
  it('reports keychain_unavailable and the process does not crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-nobus-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const entry = join(dir, 'probe.ts');
    const source = resolve('src-main/services');
    writeFileSync(
      entry,
      `import { createKeytarSecretStore } from ${JSON.stringify(join(source, 'secret-store'))};
import { createTokenService } from ${JSON.stringify(join(source, 'token-service'))};
async function main() {
  const store = createKeytarSecretStore({ timeoutMs: 8000 });
  const results: Record<string, string> = {};
  for (const [name, run] of [
    ['get', () => store.get('p')],
    ['set', () => store.set('p', 'x')],
    ['delete', () => store.delete('p')],
  ] as const) {
    try { await run(); results[name] = 'resolved'; } catch (e) { results[name] = (e as { code?: string }).code ?? 'no-code'; }
  }
  const tokens = createTokenService({ secretStore: store, clock: { now: () => Date.now() } });
  const account = await tokens.setAccount('p');
  results.account = account.keychainError?.code ?? 'none';
  process.stdout.write(JSON.stringify(results));
}
void main();
`,
    );
    const out = join(dir, 'probe.cjs');
    await build({
      entryPoints: [entry],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      external: ['keytar'],
      logLevel: 'silent',
    });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-such-bus')}`,
      NODE_PATH: resolve('node_modules'),
    };
    delete env.DISPLAY;
    const run = spawnSync(process.execPath, [out], { env, encoding: 'utf8', timeout: 60_000 });
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      get: 'keychain_unavailable',
      set: 'keychain_unavailable',
      delete: 'keychain_unavailable',
      account: 'keychain_unavailable',
    });
  });
});

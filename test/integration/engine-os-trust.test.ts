// Without a CA file the engine trusts the OS store plus Node's bundled roots; with one, only
// that file (docs/protocol.md#transport). On Linux Node reads the OS store where OpenSSL does,
// and SSL_CERT_FILE / SSL_CERT_DIR move that, so a child process whose "OS store" is the test
// CA shows it: a relay chaining to it is trusted with no CA file, one from an unknown CA is not.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleEntry, childEnv, REPO_ROOT } from '../harness/bundle';
import { runToCompletion } from '../harness/processes';
import { sharedTestPki, startTestRelay, type TestRelay } from '../harness/relay';
import type { TestPki } from '../harness/pki';

let dir = '';
let child = '';
let pki: TestPki;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cloudbridge-os-trust-'));
  child = await bundleEntry('test/integration/engine-os-trust-child.ts', join(dir, 'child.cjs'));
  pki = await sharedTestPki();
  writeFileSync(join(dir, 'test-ca.pem'), pki.caPem);
  writeFileSync(join(dir, 'empty.pem'), '');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

interface ChildResult {
  readonly systemHasProbe: boolean;
  readonly systemCount: number;
  readonly state: string;
  readonly code: string | null;
}

async function relayWith(cert: TestPki['serverEc']): Promise<TestRelay> {
  const relay = await startTestRelay({ tls: cert, logLevel: 'error' });
  closers.push(() => relay.close());
  return relay;
}

/** Runs the child with `storeFile` as the whole OS store (an empty directory beside it). */
async function runChild(
  relay: TestRelay,
  storeFile: string,
  extra: Record<string, string> = {},
): Promise<ChildResult> {
  const env = childEnv({
    SSL_CERT_FILE: storeFile,
    SSL_CERT_DIR: join(dir, 'no-such-dir'),
    TRUST_PROBE_CA: pki.caPem,
    TRUST_RELAY_PORT: String(relay.port),
    TRUST_TOKEN: await relay.token(),
    ...extra,
  });
  // Node's own extra roots would blur what the OS store gave.
  delete env['NODE_EXTRA_CA_CERTS'];
  const run = await runToCompletion(process.execPath, [child], {
    cwd: REPO_ROOT,
    env,
    timeoutMs: 20_000,
  });
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.code !== 0 || line === '') throw new Error(`child failed: ${run.code} ${run.stderr}`);
  return JSON.parse(line) as ChildResult;
}

describe('the OS trust store', () => {
  it('on Linux is read from SSL_CERT_FILE: the test CA is in it only when that file holds it', async () => {
    const relay = await relayWith(pki.serverEc);
    const withCa = await runChild(relay, join(dir, 'test-ca.pem'));
    const without = await runChild(relay, join(dir, 'empty.pem'));
    expect(withCa.systemHasProbe).toBe(true);
    expect(withCa.systemCount).toBe(1);
    expect(without.systemHasProbe).toBe(false);
    expect(without.systemCount).toBe(0);
  });

  it('trusts a relay whose CA is only in the OS store, with no CA file', async () => {
    const relay = await relayWith(pki.serverEc);
    const result = await runChild(relay, join(dir, 'test-ca.pem'));
    expect(result).toMatchObject({ state: 'active', code: null });
  });

  it('refuses that relay with tls_error once its CA is not in the OS store', async () => {
    const relay = await relayWith(pki.serverEc);
    const result = await runChild(relay, join(dir, 'empty.pem'));
    expect(result).toMatchObject({ state: 'disconnected', code: 'tls_error' });
  });

  it('refuses a relay from a CA in neither the OS store nor the bundled roots', async () => {
    const relay = await relayWith(pki.unknownCa);
    const result = await runChild(relay, join(dir, 'test-ca.pem'));
    expect(result).toMatchObject({ state: 'disconnected', code: 'tls_error' });
  });

  it('with a CA file trusts only that file, not the OS store', async () => {
    const relay = await relayWith(pki.serverEc);
    const result = await runChild(relay, join(dir, 'test-ca.pem'), {
      TRUST_CA_PEM: pki.unknownCaPem,
    });
    expect(result).toMatchObject({ state: 'disconnected', code: 'tls_error' });
  });
});

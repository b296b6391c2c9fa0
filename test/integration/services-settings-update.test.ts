// A relay profile main cannot use is refused before it is saved: nothing is left half-done
// (the old profile stays, on disk and in the window), whatever the reason the profile fails.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import { createMemorySecretStore } from '../../src-main/services/secret-store';
import type { RelayProfile } from '../../src-main/shared/ipc-contract';

let app: AppServices;
let dataDir = '';

const working: RelayProfile = {
  id: 'corp',
  name: 'Corp relay',
  host: '127.0.0.1',
  port: 8443,
  caFile: null,
  pinSha256: null,
  serverName: null,
  insecure: false,
  opener: 'auto',
  builtin: false,
};

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cb-settings-update-'));
  writeFileSync(
    join(dataDir, 'settings.json'),
    JSON.stringify({ relay: working, tunnels: [], autoConnect: false }),
  );
  app = createAppServices({
    dataDir,
    secretStore: createMemorySecretStore(),
    startBuiltinRelay: null,
    launch: () => Promise.resolve(),
  });
  await app.start();
});

afterEach(async () => {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function savedRelay(): unknown {
  return (JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')) as { relay: unknown })
    .relay;
}

describe('settings.update with a relay main cannot use', () => {
  it.each([
    ['a CA file that does not exist', () => join(dataDir, 'missing-ca.pem')],
    [
      'a CA file with no certificate in it',
      () => {
        const path = join(dataDir, 'not-a-ca.pem');
        writeFileSync(path, 'this is not PEM\n');
        return path;
      },
    ],
  ])('refuses %s and keeps the previous profile everywhere', async (_what, caFile) => {
    const result = await app.router.handle('cloudbridge:settings.update', {
      relay: { ...working, host: 'relay.example.com', caFile: caFile() },
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('tls_error');
    expect(app.settings.get().relay).toEqual(working);
    expect(app.controller.snapshot().settings.relay).toEqual(working);
    expect(savedRelay()).toEqual(working);
  });
});

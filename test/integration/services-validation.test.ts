// Main's answers to forms, through the real IPC router: every shared case (validation-cases.ts,
// which the renderer's forms run too) is refused or accepted field by field, with message keys
// and parameters and never a sentence, and every refusal passes the contract's guard.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFieldErrors } from '../../src-main/shared/ipc-guards';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import { createMemorySecretStore } from '../../src-main/services/secret-store';
import { CONFIGURED, RELAY_CASES, TUNNEL_CASES } from '../harness/validation-cases';

let app: AppServices;
let dataDir = '';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cb-validation-'));
  writeFileSync(
    join(dataDir, 'settings.json'),
    JSON.stringify({ relay: null, tunnels: CONFIGURED, autoConnect: false }),
  );
  app = createAppServices({
    dataDir,
    secretStore: createMemorySecretStore(),
    startBuiltinRelay: null,
    launch: () => Promise.resolve(),
  });
  await app.start();
});

afterAll(async () => {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('main refuses form input by the shared rules', () => {
  it('starts from the configured tunnels the cases assume', () => {
    expect(app.settings.get().tunnels).toEqual(CONFIGURED);
  });

  for (const c of TUNNEL_CASES) {
    it(`tunnel: ${c.name}`, async () => {
      const result = await app.router.handle('cloudbridge:tunnel.save', c.draft);
      if (result.ok) {
        expect(c.expected).toEqual({});
        // Leave the configuration as the next case expects it.
        if (c.draft.id === undefined)
          await app.router.handle('cloudbridge:tunnel.remove', {
            id: (result.value as { id: string }).id,
          });
        return;
      }
      expect(result.error.code).toBe('invalid_tunnel_info');
      expect(result.fields).toEqual(c.expected);
      expect(isFieldErrors(result.fields)).toBe(true);
    });
  }

  for (const c of RELAY_CASES) {
    it(`relay: ${c.name}`, async () => {
      const result = await app.router.handle('cloudbridge:settings.update', {
        relay: c.profile,
      });
      if (result.ok) {
        expect(c.expected).toEqual({});
        return;
      }
      expect(result.error.code).toBe('invalid_tunnel_info');
      expect(result.fields).toEqual(c.expected);
      expect(isFieldErrors(result.fields)).toBe(true);
    });
  }
});

// The token's relay binding: which profile changes need the user (host, port, name, CA file,
// pin changed or removed, plaintext) and which do not (adding a pin, leaving plaintext); the
// bindings file (missing, damaged, written without the token); and the gate's refusals.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineError } from '../../src-main/engine/errors';
import { createMemorySecretStore } from '../../src-main/services/secret-store';
import {
  TOKEN_BINDINGS_FILE,
  createTokenBindings,
  identityChanges,
  relayIdentity,
} from '../../src-main/services/token-binding';
import { confirmPendingChange, createTokenGate } from '../../src-main/services/token-gate';
import { createTokenService } from '../../src-main/services/token-service';
import type { RelayProfile } from '../../src-main/shared/ipc-contract';

const PIN_A = `${'A'.repeat(43)}=`;
const PIN_B = `${'B'.repeat(43)}=`;
const base: RelayProfile = {
  id: 'corp',
  name: 'Corp',
  host: 'relay.corp.example',
  port: 443,
  caFile: '/etc/corp-ca.pem',
  pinSha256: null,
  serverName: null,
  insecure: false,
  opener: 'auto',
  builtin: false,
};
// exp far in the future; the signature is not checked on this side.
const TOKEN =
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1IiwiZXhwIjo0MTAyNDQ0ODAwfQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cb-binding-unit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const changes = (from: Partial<RelayProfile>, to: Partial<RelayProfile>) =>
  identityChanges(relayIdentity({ ...base, ...from }), relayIdentity({ ...base, ...to }));

describe('relay identity rules', () => {
  it('needs the user for a new host, port, server name or CA file, and for plaintext', () => {
    expect(changes({}, { host: 'evil.example' })).toEqual(['host']);
    expect(changes({}, { port: 8443 })).toEqual(['port']);
    expect(changes({}, { serverName: 'other.example' })).toEqual(['serverName']);
    expect(changes({}, { caFile: null })).toEqual(['caFile']);
    expect(changes({ caFile: null }, { caFile: '/tmp/evil-ca.pem' })).toEqual(['caFile']);
    expect(changes({}, { insecure: true })).toEqual(['insecure']);
    expect(changes({ pinSha256: PIN_A }, { pinSha256: null })).toEqual(['pinSha256']);
    expect(changes({ pinSha256: PIN_A }, { pinSha256: PIN_B })).toEqual(['pinSha256']);
  });

  it('lets strengthening and cosmetic changes through', () => {
    expect(changes({}, { pinSha256: PIN_A })).toEqual([]);
    expect(changes({ insecure: true }, { insecure: false })).toEqual([]);
    expect(changes({}, { host: 'RELAY.corp.example.', name: 'Renamed', opener: 'server' })).toEqual(
      [],
    );
  });
});

describe('bindings file and gate', () => {
  function gateFor(
    settings: { profile: RelayProfile | null },
    dial: { profile: RelayProfile | null },
  ) {
    const store = createMemorySecretStore();
    const tokens = createTokenService({ secretStore: store, clock: { now: () => Date.now() } });
    const gate = createTokenGate({
      tokens,
      bindings: createTokenBindings({ dataDir: dir }),
      settingsProfile: () => settings.profile,
      dialProfile: () => dial.profile,
    });
    return { gate, store };
  }

  it('binds on save, refuses a changed profile with token_relay_changed, and rebinds on confirm', async () => {
    const settings = { profile: base as RelayProfile | null };
    const dial = { profile: base as RelayProfile | null };
    const { gate } = gateFor(settings, dial);
    await gate.setAccount('corp');
    await gate.save(TOKEN);
    expect(await gate.getToken()).toBe(TOKEN);
    const onDisk = readFileSync(join(dir, TOKEN_BINDINGS_FILE), 'utf8');
    expect(onDisk).toContain('relay.corp.example');
    for (const part of TOKEN.split('.')) expect(onDisk).not.toContain(part);

    settings.profile = { ...base, host: 'evil.example' };
    const refusal = await gate.getToken().catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(EngineError);
    expect(refusal).toMatchObject({ code: 'token_relay_changed', detail: 'host' });
    // The engine still dials the old endpoint, the settings already name the new one: refused.
    settings.profile = base;
    dial.profile = { ...base, insecure: true };
    expect(await gate.getToken().catch((e: unknown) => e)).toMatchObject({ detail: 'insecure' });
    // A profile of another account must never receive this account's token.
    dial.profile = { ...base, id: 'other' };
    expect(await gate.getToken().catch((e: unknown) => e)).toMatchObject({ detail: 'profile' });

    dial.profile = settings.profile = { ...base, port: 8443 };
    await expect(confirmPendingChange(gate, () => Promise.resolve(false))).rejects.toMatchObject({
      code: 'token_relay_changed',
    });
    await expect(confirmPendingChange(gate, undefined)).rejects.toMatchObject({
      code: 'token_relay_changed',
    });
    expect(await confirmPendingChange(gate, () => Promise.resolve(true))).toMatchObject({
      fields: ['port'],
    });
    expect(await gate.getToken()).toBe(TOKEN);
    expect(await confirmPendingChange(gate, () => Promise.reject(new Error('not asked')))).toBe(
      null,
    );
  });

  it('adopts a token stored before bindings existed at start only, and trusts no damaged file', async () => {
    const settings = { profile: base as RelayProfile | null };
    const first = gateFor(settings, settings);
    await first.store.set('corp', TOKEN);
    await first.gate.setAccount('corp');
    await expect(first.gate.getToken()).rejects.toMatchObject({ detail: 'unbound' });
    await first.gate.adoptAtStart(base);
    expect(await first.gate.getToken()).toBe(TOKEN);

    // The file exists now: a token of another profile without a binding is not adopted.
    const second = gateFor(
      { profile: { ...base, id: 'lab' } },
      { profile: { ...base, id: 'lab' } },
    );
    await second.store.set('lab', TOKEN);
    await second.gate.setAccount('lab');
    await second.gate.adoptAtStart({ ...base, id: 'lab' });
    await expect(second.gate.getToken()).rejects.toMatchObject({ code: 'token_relay_changed' });

    writeFileSync(join(dir, TOKEN_BINDINGS_FILE), '{"bindings": {"corp": ');
    const damaged = gateFor(settings, settings);
    await damaged.store.set('corp', TOKEN);
    await damaged.gate.setAccount('corp');
    await damaged.gate.adoptAtStart(base);
    await expect(damaged.gate.getToken()).rejects.toMatchObject({ detail: 'unbound' });
  });

  it('forgets the binding on sign-out', async () => {
    const settings = { profile: base as RelayProfile | null };
    const { gate } = gateFor(settings, settings);
    await gate.setAccount('corp');
    await gate.save(TOKEN);
    await gate.signOut();
    expect(JSON.parse(readFileSync(join(dir, TOKEN_BINDINGS_FILE), 'utf8'))).toEqual({
      version: 1,
      bindings: {},
    });
  });
});

// The renderer tests' fake bridge, held to main: the same requests from a first run go to the
// fake and to the real services (through the router, as the preload sends them) and must get
// the same outcome (ok, code, field problems), and every state change is pushed before its
// reply with a higher app-wide seq, on both.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  BridgeApi,
  RelayProfile,
  Result,
  TunnelDraft,
} from '../../src-main/shared/ipc-contract';
import { createAppServices } from '../../src-main/services/app-services';
import { createMemorySecretStore } from '../../src-main/services/secret-store';
import { createFakeBridge, firstRunSnapshot } from '../harness/fake-bridge';
import { bridgeOver } from './services-helpers';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const relay: RelayProfile = {
  id: 'default',
  name: 'relay.example.invalid',
  host: 'relay.example.invalid',
  port: 443,
  caFile: null,
  pinSha256: null,
  serverName: null,
  insecure: false,
  opener: 'auto',
  builtin: false,
};
const draft: TunnelDraft = {
  name: 'SSH',
  kind: 'ssh',
  localHost: '127.0.0.1',
  localPort: 12_022,
  remoteHost: 'box.internal',
  remotePort: 22,
  enabled: false,
};

/** The requests a window makes from a first run, in order. */
const STEPS: readonly [string, (bridge: BridgeApi) => Promise<Result<unknown>>][] = [
  ['connect without a relay', (b) => b.sessionConnect()],
  [
    'an invalid tunnel',
    (b) => b.tunnelSave({ ...draft, name: '', localPort: 0, remoteHost: 'a b' }),
  ],
  ['a valid tunnel', (b) => b.tunnelSave(draft)],
  ['the same local port again', (b) => b.tunnelSave({ ...draft, name: 'Other' })],
  ['an invalid relay', (b) => b.settingsUpdate({ relay: { ...relay, host: 'no host', port: 0 } })],
  [
    'a claimed built-in relay',
    (b) => b.settingsUpdate({ relay: { ...relay, id: 'x', builtin: true } }),
  ],
  ['a valid relay', (b) => b.settingsUpdate({ relay })],
  ['connect without a token', (b) => b.sessionConnect()],
  ['a malformed token', (b) => b.tokenSave({ token: 'not-a-token' })],
  ['a switch', (b) => b.settingsUpdate({ launchAtLogin: true })],
];

function outcome(result: Result<unknown>) {
  return result.ok
    ? { ok: true }
    : { ok: false, code: result.error.code, fields: result.fields ?? null };
}

/** Runs the steps, noting per step the outcome and the seqs pushed before the reply. */
async function run(bridge: BridgeApi) {
  let pushed: number[] = [];
  const off = bridge.on('cloudbridge:app.changed', (snapshot) => pushed.push(snapshot.seq));
  const first = await bridge.appSnapshot();
  if (!first.ok) throw new Error('no first snapshot');
  let last = first.value.seq;
  const seen: { step: string; outcome: ReturnType<typeof outcome>; pushedBefore: boolean }[] = [];
  for (const [step, send] of STEPS) {
    pushed = [];
    const result = await send(bridge);
    for (const seq of pushed) {
      expect(seq, step).toBeGreaterThan(last);
      last = seq;
    }
    seen.push({ step, outcome: outcome(result), pushedBefore: pushed.length > 0 });
  }
  off();
  return seen;
}

describe('the fake bridge answers as main does', () => {
  it('gives the same outcomes and pushes for the same requests', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cb-fake-vs-main-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const app = createAppServices({
      dataDir,
      secretStore: createMemorySecretStore(),
      startBuiltinRelay: null,
      launch: () => Promise.resolve(),
    });
    cleanups.push(() => app.close());
    await app.start();
    app.setWindowVisible(true);

    const main = await run(bridgeOver(app));
    const fake = await run(createFakeBridge({ snapshot: firstRunSnapshot(Date.now()) }).api);
    expect(fake).toEqual(main);
    // The steps cover both answers, and main's refusals carry keys, never sentences.
    expect(main.some((s) => s.outcome.ok)).toBe(true);
    expect(
      main.filter((s) => s.outcome.fields !== null && s.outcome.fields !== undefined).length,
    ).toBeGreaterThanOrEqual(4);
  });
});

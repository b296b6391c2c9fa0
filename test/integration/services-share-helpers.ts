// Instances of the desktop services for the sharing tests: each on its own data dir with its
// own (or a kept) keychain, signed in to one relay process as one identity of the tenant,
// driven through the same BridgeApi the window uses; the engine of a sharing computer can run
// in the engine host child, as in the app. One cleanup closes everything (afterEach).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import { createMemorySecretStore, type SecretStore } from '../../src-main/services/secret-store';
import type { ShareTarget } from '../../src-main/services/share-session';
import { childEnvironment, createForkTransport } from '../../src-main/engine-host/transport';
import type {
  AppSnapshot,
  BridgeApi,
  RelayProfile,
  Result,
} from '../../src-main/shared/ipc-contract';
import type { ShareService } from '../../src-main/shared/share-model';
import { bundleEntry, childEnv } from '../harness/bundle';
import type { RelayAccess } from '../harness/relay';
import { bridgeOver } from './services-helpers';

const cleanups: (() => unknown)[] = [];

export function closeLater(close: () => unknown): void {
  cleanups.push(close);
}

export async function cleanupShareTests(): Promise<void> {
  for (const close of cleanups.splice(0).reverse()) {
    try {
      await close();
    } catch {
      // keep closing the rest
    }
  }
}

let hostChild: Promise<string> | null = null;
/** The engine host child bundled once per test file (test/harness/bundle.ts). */
function hostChildPath(): Promise<string> {
  hostChild ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-share-host-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return bundleEntry('src-main/engine-host/host-child.ts', join(dir, 'host-child.js'));
  })();
  return hostChild;
}

export function expectOk<T>(result: Result<T>, what: string): T {
  if (!result.ok) throw new Error(`${what} failed: ${JSON.stringify(result)}`);
  return result.value;
}

export interface Instance {
  readonly app: AppServices;
  readonly api: BridgeApi;
  readonly dataDir: string;
  readonly secretStore: SecretStore;
  /** Waits (bounded) until the app's snapshot passes `check`. */
  until(check: (s: AppSnapshot) => boolean, what: string, timeoutMs?: number): Promise<AppSnapshot>;
  close(): Promise<void>;
}

export interface InstanceOptions {
  /** Another run of an instance: its data dir and keychain. */
  readonly dataDir?: string;
  readonly secretStore?: SecretStore;
  readonly shareTargets?: Partial<Record<ShareService, ShareTarget>>;
  /** The engine in the engine host child (default: in this process). */
  readonly engineHost?: boolean;
}

function profileFor(relay: RelayAccess, dir: string): RelayProfile {
  const caFile = join(dir, 'relay-ca.pem');
  writeFileSync(caFile, relay.caPem);
  return {
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
}

/** Services on a data dir, started; signs in to `relay` with `token` on a fresh data dir. */
export async function startInstance(
  relay: RelayAccess,
  token: string,
  options: InstanceOptions = {},
): Promise<Instance> {
  const fresh = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cb-share-'));
  if (fresh) closeLater(() => rmSync(dataDir, { recursive: true, force: true }));
  const secretStore = options.secretStore ?? createMemorySecretStore();
  const childPath = options.engineHost === true ? await hostChildPath() : null;
  const app = createAppServices({
    dataDir,
    secretStore,
    startBuiltinRelay: null,
    launch: () => Promise.resolve(),
    ...(options.shareTargets ? { shareTargets: options.shareTargets } : {}),
    ...(childPath !== null
      ? {
          engineHost: {
            start: (onOutput: (stream: 'stdout' | 'stderr', line: string) => void) =>
              createForkTransport(childPath, { env: childEnvironment(childEnv()), onOutput }),
          },
        }
      : {}),
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
  };
  closeLater(close);
  await app.start();
  app.setWindowVisible(true);
  const api = bridgeOver(app);
  const until: Instance['until'] = async (check, what, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const snapshot = app.controller.snapshot();
      if (check(snapshot)) return snapshot;
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}: state ${snapshot.engine.state}, publish ${JSON.stringify(snapshot.engine.publish ?? null)}, tunnels ${JSON.stringify(snapshot.engine.tunnels.map((t) => [t.id, t.status, t.error]))}`,
        );
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  if (fresh) {
    expectOk(await api.settingsUpdate({ relay: profileFor(relay, dataDir) }), 'choosing the relay');
    // Saving a token connects (auto-connect is on by default).
    expectOk(await api.tokenSave({ token }), 'saving the token');
  }
  await until((s) => s.engine.state === 'active', 'the session active');
  return { app, api, dataDir, secretStore, until, close };
}

// Main's real services in a Node child of a renderer test (forked with structured-clone IPC by
// main-host-client.ts): createAppServices on a temp data dir with a memory keychain that can
// be locked, the real engine in this process, test relays, ports held as another program
// would hold them. Answers calls (main-host-protocol.ts) and forwards main's pushes; no window.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueInvite } from '../../src-main/relay/invite-issuer';
import { mintDevToken } from '../../src-main/relay/tokens';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import { ServiceError } from '../../src-main/services/errors';
import { createMemorySecretStore, type SecretStore } from '../../src-main/services/secret-store';
import { SETTINGS_FILE } from '../../src-main/services/settings-store';
import type { MainOptions, MainOutside, RelayOptions } from '../renderer/main-services';
import type { FromHost, HostCall, StartedRelay, ToHost } from './main-host-protocol';
import { newJwtSecret, startTestRelay, type TestRelay, type TestRelayOptions } from './relay';
import { freePort } from './traffic';

interface HostedMain {
  readonly app: AppServices;
  readonly outside: { -readonly [K in keyof MainOutside]: MainOutside[K] } & {
    launched: { command: string; args: readonly string[] }[];
    openedPaths: string[];
    openedUrls: string[];
    copied: string[];
  };
  lock(locked: boolean): void;
  close(): Promise<void>;
}

interface HostedRelay {
  relay: TestRelay | null;
  readonly options: TestRelayOptions;
  readonly dir: string;
  readonly foreignSecret: string;
}

const mains = new Map<number, HostedMain>();
const relays = new Map<number, HostedRelay>();
const heldPorts: Server[] = [];
let nextId = 1;

function send(message: FromHost): void {
  process.send?.(message);
}

/** A keychain that works until locked, then fails every call as a locked keyring does. */
function lockableSecretStore(): { store: SecretStore; lock(locked: boolean): void } {
  const inner = createMemorySecretStore();
  let locked = false;
  const check = () => {
    if (locked)
      throw new ServiceError(
        'keychain_unavailable',
        'The system keychain (Secret Service) is not available, so the token cannot be stored.',
        'The login keyring is locked',
      );
  };
  return {
    lock: (value) => {
      locked = value;
    },
    store: {
      kind: 'keychain',
      get: async (account) => (check(), inner.get(account)),
      set: async (account, secret) => (check(), inner.set(account, secret)),
      delete: async (account) => (check(), inner.delete(account)),
    },
  };
}

async function startMain(options: MainOptions): Promise<number> {
  const mainId = nextId++;
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-renderer-main-'));
  if (options.settingsFileText !== undefined)
    writeFileSync(join(dataDir, SETTINGS_FILE), options.settingsFileText);
  const keychain = lockableSecretStore();
  const outside: HostedMain['outside'] = {
    launched: [],
    openedPaths: [],
    openedUrls: [],
    copied: [],
    relayChangesConfirmed: 0,
  };
  const app = createAppServices({
    dataDir,
    secretStore: keychain.store,
    ...(options.builtinRelay === true ? {} : { startBuiltinRelay: null }),
    ...(options.catchUpLogRecords !== undefined
      ? { catchUpLogRecords: options.catchUpLogRecords }
      : {}),
    launch: (command) => {
      outside.launched.push({ command: command.command, args: [...command.args] });
      return Promise.resolve();
    },
    openPath: (path) => {
      outside.openedPaths.push(path);
      return Promise.resolve();
    },
    openExternal: (url) => {
      outside.openedUrls.push(url);
      return Promise.resolve();
    },
    writeClipboard: (text) => {
      outside.copied.push(text);
    },
    confirmRelayChange: () => {
      outside.relayChangesConfirmed += 1;
      return Promise.resolve(true);
    },
    chooseCaFile: () => Promise.resolve(options.caFileChoice ?? null),
    readClipboardText: () => Promise.resolve(options.clipboardText ?? ''),
  });
  app.onEvent((push) => send({ push: { mainId, event: push.event, payload: push.payload } }));
  let closed = false;
  const hosted: HostedMain = {
    app,
    outside,
    lock: keychain.lock,
    async close() {
      if (closed) return;
      closed = true;
      mains.delete(mainId);
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  mains.set(mainId, hosted);
  try {
    await app.start();
  } catch (error) {
    await hosted.close();
    throw error;
  }
  // The window is open, as when the app starts with it shown, unless the test says otherwise.
  if (options.windowShown !== false) app.setWindowVisible(true);
  return mainId;
}

async function startRelay(options: RelayOptions): Promise<StartedRelay> {
  const plaintext = options.plaintext === true;
  const relayOptions: TestRelayOptions = {
    // One relay serves every test of a file: a refused token must not lock the next test
    // out, so the per-source and per-identity failure budgets are loose here.
    limits: { authAttemptsPerMinute: 1_000, authFailuresPerIdentityPerMinute: 1_000 },
    secret: newJwtSecret(),
    ...(plaintext ? { insecure: true } : {}),
  };
  const relay = await startTestRelay(relayOptions);
  const dir = mkdtempSync(join(tmpdir(), 'cb-renderer-relay-'));
  const caFile = join(dir, 'ca.pem');
  const movedCaFile = join(dir, 'moved', 'ca.pem');
  writeFileSync(caFile, relay.caPem);
  mkdirSync(join(dir, 'moved'));
  writeFileSync(movedCaFile, relay.caPem);
  const relayId = nextId++;
  // Started again on the same port, with the same secret and certificate.
  relays.set(relayId, {
    relay,
    options: { ...relayOptions, port: relay.port, pki: relay.pki },
    dir,
    foreignSecret: newJwtSecret(),
  });
  return { relayId, port: relay.port, caFile: plaintext ? null : caFile, movedCaFile, plaintext };
}

function relayOf(relayId: number): HostedRelay {
  const hosted = relays.get(relayId);
  if (!hosted) throw new Error(`no relay ${relayId}`);
  return hosted;
}

async function holdPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  heldPorts.push(server);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function mainOf(mainId: number): HostedMain {
  const main = mains.get(mainId);
  if (!main) throw new Error(`no main ${mainId} (closed?)`);
  return main;
}

async function answer(call: HostCall): Promise<unknown> {
  switch (call.op) {
    case 'startMain':
      return startMain(call.options);
    case 'request':
      return mainOf(call.mainId).app.router.handle(call.channel, call.payload);
    case 'snapshot':
      return mainOf(call.mainId).app.controller.snapshot();
    case 'settings':
      return mainOf(call.mainId).app.settings.get();
    case 'outside':
      return mainOf(call.mainId).outside;
    case 'log':
      mainOf(call.mainId).app.logger.log(call.level, call.event, call.details, call.tunnelId);
      return undefined;
    case 'setVisible':
      mainOf(call.mainId).app.setWindowVisible(call.visible);
      return undefined;
    case 'lockKeychain':
      mainOf(call.mainId).lock(call.locked);
      return undefined;
    case 'handOver':
      return mainOf(call.mainId).app.controller.receiveInvite({ kind: 'link', text: call.link });
    case 'invite': {
      const hosted = relayOf(call.relayId);
      const running = hosted.relay;
      if (running === null || running.relay.insecure) throw new Error('no TLS relay to invite to');
      const { options } = call;
      const { link } = await issueInvite({
        certPem: running.pki.serverEc.cert,
        keyPem: running.pki.serverEc.key,
        extraCaPem: running.caPem,
        host: '127.0.0.1',
        port: running.port,
        serverName: 'localhost',
        subject: options.sub ?? 'test-user',
        tenant: options.tenant ?? null,
        ttlSec: 3600,
        token:
          options.withToken === false
            ? null
            : { secret: hosted.options.secret ?? '', ttlSec: 86_400, issuer: null, audience: null },
        nowSec: Math.floor(Date.now() / 1000),
      });
      return link;
    }
    case 'closeMain':
      return mains.get(call.mainId)?.close();
    case 'startRelay':
      return startRelay(call.options);
    case 'stopRelay': {
      const hosted = relayOf(call.relayId);
      const running = hosted.relay;
      hosted.relay = null;
      return running?.close();
    }
    case 'restartRelay': {
      const hosted = relayOf(call.relayId);
      hosted.relay ??= await startTestRelay(hosted.options);
      return undefined;
    }
    case 'token': {
      const hosted = relayOf(call.relayId);
      const { claims } = call;
      const secret = call.foreign ? hosted.foreignSecret : hosted.options.secret;
      return mintDevToken({
        secret: secret ?? '',
        sub: claims.sub ?? 'test-user',
        ttlSec: claims.ttlSec ?? 600,
        ...(claims.tenant !== undefined ? { tenant: claims.tenant } : {}),
      });
    }
    case 'closeRelays': {
      const all = [...relays.values()];
      relays.clear();
      await Promise.all(all.map((r) => r.relay?.close() ?? Promise.resolve()));
      for (const r of all) rmSync(r.dir, { recursive: true, force: true });
      return undefined;
    }
    case 'holdPort':
      return holdPort();
    case 'releasePorts': {
      const all = heldPorts.splice(0);
      await Promise.all(all.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      return undefined;
    }
    case 'freePort':
      return freePort();
  }
}

process.on('message', (message: ToHost) => {
  answer(message.call).then(
    (value) => send({ id: message.id, ok: true, value }),
    (error: unknown) =>
      send({
        id: message.id,
        ok: false,
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  );
});
// The test process went away (crashed, or done without closing us): nothing here outlives it.
process.on('disconnect', () => process.exit(0));

// Builds the whole service graph (settings, token, logger, engine, controller, router) for a data
// dir and a secret store, without Electron: main.ts adds keychain and electron-log; end-to-end
// tests run it in Node and expose router.handle as the preload bridge.

import { hostname } from 'node:os';
import { join } from 'node:path';
import { createEngine as createRealEngine } from '../engine/engine';
import { createEngineHost, type EngineHost } from '../engine-host/engine-host';
import type { RestartPolicy } from '../engine-host/restart-policy';
import type { HostTransport } from '../engine-host/transport';
import type { Engine, EngineOptions } from '../engine/types';
import type { AppInfo } from '../shared/ipc-contract';
import type { MessageParams } from '../shared/model';
import {
  createAppController,
  type AppController,
  type AppNotification,
  type BuiltinRelayStarter,
  type Push,
} from './app-controller';
import { BUILTIN_PROFILE_ID, createBuiltinRelayStarter } from './builtin-relay';
import { createIpcRouter, type IpcRouter } from './ipc-router';
import { createLogger, createRotatingFileWriter, type Logger, type LogWriter } from './logger';
import { findPortOwner } from './port-owner';
import { createMemorySecretStore, type SecretStore } from './secret-store';
import { SESSION_FILE, createSettingsStore, type SettingsStore } from './settings-store';
import { createTokenService, type TokenService } from './token-service';
import type { RelayChangeConfirmer } from './token-gate';
import type { ShareTarget } from './share-session';
import type { ShareService } from '../shared/share-model';
import { spawnDetached, type Spawner } from './tunnel-launcher';
import { systemClock, type Clock } from '../shared/clock';

export interface AppServicesOptions {
  readonly dataDir: string;
  readonly secretStore: SecretStore;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly platform?: NodeJS.Platform;
  /** Default: <dataDir>/logs. */
  readonly logDirectory?: string;
  /** Default: a rotating file cloudbridge.log in logDirectory (5 MiB x 5). */
  readonly logWriter?: LogWriter;
  readonly appInfo?: Partial<AppInfo>;
  /** Default: the real engine, in this process (unless engineHost is given). */
  readonly createEngine?: (options: EngineOptions) => Engine;
  /**
   * Runs the engine and the built-in relay in a child process (the app: a utilityProcess;
   * end-to-end tests: child_process.fork). `start` gets a sink for the child's output lines.
   */
  readonly engineHost?: {
    readonly start: (
      onOutput: (stream: 'stdout' | 'stderr', line: string) => void,
    ) => HostTransport;
    readonly restartPolicy?: Partial<RestartPolicy>;
  };
  /** Default: the reference relay in-process; null disables `relay.useBuiltin`. */
  readonly startBuiltinRelay?: BuiltinRelayStarter | null;
  /** Default: spawn detached (mstsc, open, a terminal). */
  readonly launch?: Spawner;
  readonly openExternal?: (url: string) => Promise<void>;
  readonly openPath?: (path: string) => Promise<void>;
  /** Puts a tunnel's address on the clipboard (Electron's clipboard in the app). */
  readonly writeClipboard?: (text: string) => Promise<void> | void;
  readonly chooseExportPath?: (defaultName: string) => Promise<string | null>;
  /** Main's open-file dialog for a relay's CA file (dialog.showOpenDialog); null = cancelled. */
  readonly chooseCaFile?: () => Promise<string | null>;
  /** The clipboard's text (clipboard.readText), for Account's Paste. */
  readonly readClipboardText?: () => Promise<string>;
  readonly restoredNotifyAfterMs?: number;
  readonly allowDirect?: boolean;
  /** Hosts `app.openExternal` may open over https (default: github.com). */
  readonly externalAllowList?: readonly string[];
  /** Asks the user before a stored token goes to a changed relay; absent: never (re-paste). */
  readonly confirmRelayChange?: RelayChangeConfirmer;
  /** Records logged while the window is hidden that it is shown on show (default 500). */
  readonly catchUpLogRecords?: number;
  /** The OS language (app.getLocale()): notifications follow it while the setting is System. */
  readonly systemLanguage?: string;
  /**
   * Where "Share this computer" dials each service; default 127.0.0.1:3389 and :22. Tests
   * point it at their own servers; the published ports are 3389 and 22 either way.
   */
  readonly shareTargets?: Partial<Readonly<Record<ShareService, ShareTarget>>>;
}

export interface AppServices {
  readonly controller: AppController;
  readonly router: IpcRouter;
  readonly logger: Logger;
  readonly settings: SettingsStore;
  readonly tokens: TokenService;
  /** The engine's child process supervisor, when the engine runs in one. */
  readonly engineHost: EngineHost | null;
  /**
   * Pushed events for the window, already throttled. Nothing is pushed until
   * setWindowVisible(true), which pushes the full snapshot at once and then the records
   * logged while the window was hidden.
   */
  onEvent(listener: (push: Push) => void): () => void;
  onNotification(listener: (notification: AppNotification) => void): () => void;
  setWindowVisible(visible: boolean): void;
  /** Loads settings and the token, connects if configured. */
  start(): Promise<void>;
  /** Stops the engine and the built-in relay, flushes totals, closes the log. */
  close(): Promise<void>;
}

/**
 * The built-in relay's token is minted afresh at every start, so it lives in memory: the demo
 * works on a machine without a keychain, and no user secret is involved.
 */
export function withBuiltinTokenInMemory(store: SecretStore): SecretStore {
  const memory = createMemorySecretStore();
  const pick = (account: string) => (account === BUILTIN_PROFILE_ID ? memory : store);
  return {
    kind: store.kind,
    get: (account) => pick(account).get(account),
    set: (account, secret) => pick(account).set(account, secret),
    delete: (account) => pick(account).delete(account),
  };
}

export function createAppServices(options: AppServicesOptions): AppServices {
  const clock = options.clock ?? systemClock;
  const logDirectory = options.logDirectory ?? join(options.dataDir, 'logs');
  const logger = createLogger({
    clock,
    writer:
      options.logWriter ??
      createRotatingFileWriter({
        path: join(logDirectory, 'cloudbridge.log'),
        maxBytes: 5 * 1024 * 1024,
        keep: 5,
      }),
  });
  const settings = createSettingsStore({ dataDir: options.dataDir, clock });
  const tokens = createTokenService({
    secretStore: withBuiltinTokenInMemory(options.secretStore),
    clock,
  });
  const appInfo: AppInfo = {
    version: '0.0.0',
    commit: 'unknown',
    electron: process.versions.electron ?? 'none',
    chrome: process.versions.chrome ?? 'none',
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    hostName: hostname(),
    ...options.appInfo,
  };
  const engineHost = options.engineHost ? createHost(options.engineHost) : null;
  const startBuiltinRelay =
    options.startBuiltinRelay === null
      ? undefined
      : (options.startBuiltinRelay ??
        createBuiltinRelayStarter({
          dataDir: options.dataDir,
          secretStore: options.secretStore,
          clock,
          ...(engineHost ? { run: (request) => engineHost.startBuiltinRelay(request) } : {}),
        }));
  function createHost(host: NonNullable<AppServicesOptions['engineHost']>): EngineHost {
    return createEngineHost({
      start: () =>
        // stdout is the built-in relay's own log lines; stderr is where a crash says why.
        host.start((stream, line) =>
          logger.log(stream === 'stderr' ? 'warn' : 'debug', 'engine_host_output', { line }),
        ),
      clock,
      sessionStatePath: join(options.dataDir, SESSION_FILE),
      ...(host.restartPolicy ? { restartPolicy: host.restartPolicy } : {}),
      log: (level, event, details) => logger.log(level, event, { ...details }),
    });
  }
  const platform = options.platform ?? process.platform;
  const controller = createAppController({
    settingsStore: settings,
    tokenService: tokens,
    logger,
    clock,
    ...(options.random ? { random: options.random } : {}),
    createEngine: engineHost
      ? (engineOptions) => engineHost.createEngine(engineOptions)
      : (options.createEngine ?? createRealEngine),
    appInfo,
    logDirectory,
    dataDir: options.dataDir,
    platform,
    ...(startBuiltinRelay ? { startBuiltinRelay } : {}),
    findPortOwner: (port) => findPortOwner(port, { platform }),
    launch: options.launch ?? spawnDetached,
    ...(options.openExternal ? { openExternal: options.openExternal } : {}),
    ...(options.openPath ? { openPath: options.openPath } : {}),
    ...(options.writeClipboard ? { writeClipboard: options.writeClipboard } : {}),
    ...(options.chooseExportPath ? { chooseExportPath: options.chooseExportPath } : {}),
    ...(options.chooseCaFile ? { chooseCaFile: options.chooseCaFile } : {}),
    ...(options.readClipboardText ? { readClipboardText: options.readClipboardText } : {}),
    ...(options.restoredNotifyAfterMs !== undefined
      ? { restoredNotifyAfterMs: options.restoredNotifyAfterMs }
      : {}),
    ...(options.allowDirect !== undefined ? { allowDirect: options.allowDirect } : {}),
    ...(options.externalAllowList ? { externalAllowList: options.externalAllowList } : {}),
    ...(options.confirmRelayChange ? { confirmRelayChange: options.confirmRelayChange } : {}),
    ...(options.catchUpLogRecords !== undefined
      ? { catchUpLogRecords: options.catchUpLogRecords }
      : {}),
    ...(options.systemLanguage !== undefined ? { systemLanguage: options.systemLanguage } : {}),
    // The shared computer's key lives with the other secrets (docs/protocol.md "End to end").
    secretStore: options.secretStore,
    ...(options.shareTargets ? { shareTargets: options.shareTargets } : {}),
  });
  const router = createIpcRouter(controller, {
    clock,
    onRejected: (channel, reason) => logger.log('warn', 'ipc_rejected', { channel, reason }),
  });
  engineHost?.onRestart((restart) => {
    // What the window and the notification say it with (catalogue noticeBody.engine_restarted).
    const params: MessageParams =
      restart.signal !== null
        ? { cause: 'signal', signal: restart.signal }
        : restart.code !== null
          ? { cause: 'code', code: restart.code }
          : { cause: 'start' };
    controller.showNotice(
      { kind: 'engine_restarted', params, at: restart.at },
      { kind: 'engine_restarted', params },
    );
  });
  return {
    controller,
    router,
    logger,
    settings,
    tokens,
    engineHost,
    onEvent: (listener) => controller.onPush(listener),
    onNotification: (listener) => controller.onNotification(listener),
    setWindowVisible: (visible) => controller.setWindowVisible(visible),
    start() {
      // The child boots while the keychain is asked; nothing here waits for it.
      engineHost?.start();
      return controller.start();
    },
    async close() {
      await controller.close();
      await engineHost?.close();
      await logger.close();
    },
  };
}

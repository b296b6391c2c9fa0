// The renderer tests' side of main's host process (main-host.ts): forks it once per test file
// with structured-clone IPC, and offers main-services.ts's factory over it. Must not import
// esbuild or the services: this module runs in the jsdom environment.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
// Node's URL: jsdom's global one does not make file: URLs.
import { URL as NodeUrl, fileURLToPath } from 'node:url';
import {
  EVENT_CHANNELS,
  REQUEST_CHANNELS,
  methodName,
  type AppSettings,
  type AppSnapshot,
  type BridgeApi,
  type EventChannel,
  type RequestChannel,
  type RequestOf,
  type Result,
} from '../../src-main/shared/ipc-contract';
import type {
  MainOutside,
  MainServicesFactory,
  MainUnderTest,
  RelayOptions,
  RelayUnderTest,
  TokenClaims,
} from '../renderer/main-services';
import type { FromHost, HostCall, StartedRelay } from './main-host-protocol';

const REPO_ROOT = fileURLToPath(new NodeUrl('../..', import.meta.url));
/** A scene is set within seconds on a loaded 2-core machine; past this, say what never came. */
const UNTIL_TIMEOUT_MS = 15_000;
const UNTIL_POLL_MS = 25;

export interface MainHostClient {
  readonly factory: MainServicesFactory;
  /** Closes every main started since the last call and releases held ports. */
  afterTest(): Promise<void>;
  /** Closes the relays and ends the host process. */
  close(): Promise<void>;
}

export function createMainHostClient(bundlePath: string): MainHostClient {
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let nextCall = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const listeners = new Map<number, Set<(event: EventChannel, payload: unknown) => void>>();
  const openMains = new Set<number>();
  let heldPorts = false;

  function host(): ChildProcess {
    if (child) return child;
    const started = fork(bundlePath, [], {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_PATH: join(REPO_ROOT, 'node_modules') },
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    exited = new Promise((resolve) => started.once('exit', () => resolve()));
    started.on('message', (message: FromHost) => {
      if ('push' in message) {
        const { mainId, event, payload } = message.push;
        for (const listener of [...(listeners.get(mainId) ?? [])]) listener(event, payload);
        return;
      }
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(new Error(`main host: ${message.message}`));
    });
    started.once('exit', (code, signal) => {
      child = null;
      for (const waiter of pending.values())
        waiter.reject(new Error(`main host exited (${code ?? signal})`));
      pending.clear();
    });
    child = started;
    return started;
  }

  function call<T>(hostCall: HostCall): Promise<T> {
    const id = nextCall++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: (value) => resolve(value as T), reject });
      host().send({ id, call: hostCall });
    });
  }

  /** The preload's API (src-main/preload/preload.ts) over the host's router and pushes. */
  function bridge(mainId: number, record?: (channel: RequestChannel, r: unknown) => void) {
    const known: ReadonlySet<string> = new Set(EVENT_CHANNELS);
    const api: Record<string, unknown> = {};
    for (const channel of REQUEST_CHANNELS)
      api[methodName(channel)] = (request: unknown) => {
        record?.(channel, request);
        return call<Result<unknown>>({ op: 'request', mainId, channel, payload: request });
      };
    api['on'] = (event: EventChannel, listener: (payload: unknown) => void) => {
      if (!known.has(event)) throw new Error(`unknown event ${String(event)}`);
      const wrapped = (pushed: EventChannel, payload: unknown) => {
        if (pushed === event) listener(payload);
      };
      let set = listeners.get(mainId);
      if (!set) listeners.set(mainId, (set = new Set()));
      set.add(wrapped);
      return () => {
        set.delete(wrapped);
      };
    };
    return Object.freeze(api) as unknown as BridgeApi;
  }

  async function startMain(options = {}): Promise<MainUnderTest> {
    const mainId = await call<number>({ op: 'startMain', options });
    openMains.add(mainId);
    const calls: { channel: RequestChannel; request: unknown }[] = [];
    const snapshot = () => call<AppSnapshot>({ op: 'snapshot', mainId });
    return {
      api: bridge(mainId, (channel, request) => calls.push({ channel, request })),
      prep: bridge(mainId),
      callsTo: <C extends RequestChannel>(channel: C) =>
        calls.filter((c) => c.channel === channel).map((c) => c.request as RequestOf<C>),
      snapshot,
      settings: () => call<AppSettings>({ op: 'settings', mainId }),
      async until(check, what) {
        const deadline = Date.now() + UNTIL_TIMEOUT_MS;
        for (;;) {
          const seen = await snapshot();
          if (check(seen)) return seen;
          if (Date.now() > deadline)
            throw new Error(`main never reached: ${what}; it shows ${JSON.stringify(seen)}`);
          await new Promise((resolve) => setTimeout(resolve, UNTIL_POLL_MS));
        }
      },
      log: (level, event, details = {}, tunnelId = null) =>
        call({ op: 'log', mainId, level, event, details, tunnelId }),
      setWindowVisible: (visible) => call({ op: 'setVisible', mainId, visible }),
      lockKeychain: (locked) => call({ op: 'lockKeychain', mainId, locked }),
      handOver: (link) => call({ op: 'handOver', mainId, link }),
      outside: () => call<MainOutside>({ op: 'outside', mainId }),
      async close() {
        if (!openMains.delete(mainId)) return;
        listeners.delete(mainId);
        await call({ op: 'closeMain', mainId });
      },
    };
  }

  async function startRelay(options: RelayOptions = {}): Promise<RelayUnderTest> {
    const started = await call<StartedRelay>({ op: 'startRelay', options });
    const { relayId } = started;
    const token =
      (foreign: boolean) =>
      (claims: TokenClaims = {}) =>
        call<string>({ op: 'token', relayId, claims, foreign });
    return {
      port: started.port,
      movedCaFile: started.movedCaFile,
      profile: (overrides = {}) => ({
        id: 'default',
        name: 'Test relay',
        host: '127.0.0.1',
        port: started.port,
        caFile: started.caFile,
        pinSha256: null,
        serverName: started.plaintext ? null : 'localhost',
        insecure: started.plaintext,
        opener: 'auto',
        builtin: false,
        ...overrides,
      }),
      token: token(false),
      foreignToken: token(true),
      stop: () => call({ op: 'stopRelay', relayId }),
      invite: (options = {}) => call<string>({ op: 'invite', relayId, options }),
      start: () => call({ op: 'restartRelay', relayId }),
    };
  }

  return {
    factory: {
      startMain,
      startRelay,
      async holdPort() {
        heldPorts = true;
        return call<number>({ op: 'holdPort' });
      },
      freePort: () => call<number>({ op: 'freePort' }),
    },
    async afterTest() {
      const ids = [...openMains];
      openMains.clear();
      for (const mainId of ids) listeners.delete(mainId);
      if (child === null) return;
      await Promise.all(ids.map((mainId) => call({ op: 'closeMain', mainId })));
      if (heldPorts) await call({ op: 'releasePorts' });
      heldPorts = false;
    },
    async close() {
      const running = child;
      if (running === null) return;
      await call({ op: 'closeRelays' });
      running.disconnect();
      await exited;
    },
  };
}

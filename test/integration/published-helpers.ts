// Shared parts of the published-server engine and CLI tests: the in-process relay or the relay
// process, publishing and consuming engines with snapshot waits, an in-memory key store, and
// one cleanup for all of them (afterEach). Owns no assertions.

import { createServer, connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { createEngine } from '../../src-main/engine/engine';
import type {
  Engine,
  EngineOptions,
  PublishOptions,
  ServerKeyStore,
} from '../../src-main/engine/types';
import type { EngineSnapshot, LogRecord, TunnelConfig } from '../../src-main/shared/model';
import { stopAllProcesses } from '../harness/processes';
import {
  spawnRelayProcess,
  startTestRelay,
  type RelayAccess,
  type RelayProcess,
  type TestRelay,
  type TestRelayOptions,
} from '../harness/relay';
import { freePort } from '../harness/traffic';

const closers: Array<() => unknown> = [];

/** Registers something to close after the test (afterEach runs cleanupPublishedTests). */
export function closeLater<T>(value: T, close: (value: T) => unknown): T {
  closers.push(() => close(value));
  return value;
}

export async function cleanupPublishedTests(): Promise<void> {
  for (const close of closers.splice(0).reverse()) {
    try {
      await close();
    } catch {
      // keep closing the rest
    }
  }
  await stopAllProcesses();
}

/** The relay in this process, with the reconnect-friendly limits tests need. */
export async function inProcessRelay(options: TestRelayOptions = {}): Promise<TestRelay> {
  const relay = await startTestRelay({
    ...options,
    limits: { authAttemptsPerMinute: 1000, ...(options.limits ?? {}) },
  });
  return closeLater(relay, (r) => r.close());
}

/** The real `cloudbridge-relay` process. */
export async function relayProcess(args: readonly string[] = []): Promise<RelayProcess> {
  const relay = await spawnRelayProcess({ args: ['--auth-per-minute', '1000', ...args] });
  return closeLater(relay, (r) => r.close());
}

/** A key store in memory, counting what it was asked. */
export function memoryKeyStore(initial: string | null = null): ServerKeyStore & {
  pem: string | null;
  saves: number;
} {
  const store = {
    pem: initial,
    saves: 0,
    load: () => Promise.resolve(store.pem),
    save: (pem: string) => {
      store.pem = pem;
      store.saves += 1;
      return Promise.resolve();
    },
  };
  return store;
}

export interface TestEngine {
  readonly engine: Engine;
  readonly logs: LogRecord[];
  waitFor(
    what: string,
    done: (s: EngineSnapshot) => boolean,
    timeoutMs?: number,
  ): Promise<EngineSnapshot>;
}

export function engineFor(
  relay: RelayAccess,
  token: string,
  options: Partial<Omit<EngineOptions, 'getToken'>> = {},
): TestEngine {
  const engine = createEngine({
    relay: relay.endpoint(),
    tunnels: [],
    ...options,
    getToken: () => Promise.resolve(token),
  });
  closeLater(engine, (e) => e.close());
  const logs: LogRecord[] = [];
  engine.on('log', (record) => logs.push(record));
  const waiters = new Set<() => void>();
  engine.on('snapshot', () => {
    for (const waiter of [...waiters]) waiter();
  });
  return {
    engine,
    logs,
    waitFor(what, done, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const snapshot = engine.snapshot();
          if (!done(snapshot)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(snapshot);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const last = engine.snapshot();
          reject(
            new Error(
              `timed out waiting for ${what}: state ${last.state}, publish ${JSON.stringify(last.publish ?? null)}, tunnels ${JSON.stringify(last.tunnels.map((t) => [t.id, t.status, t.error]))}, last error ${JSON.stringify(last.lastError)}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** A publishing engine; resolves once the server is online. */
export async function publishingEngine(
  relay: RelayAccess,
  token: string,
  publish: PublishOptions,
  options: Partial<Omit<EngineOptions, 'getToken'>> = {},
): Promise<TestEngine> {
  const test = engineFor(relay, token, { ...options, publish });
  test.engine.connect();
  await test.waitFor('the server online', (s) => s.publish?.status === 'online');
  return test;
}

/** A tunnel config to a published server on a free local port. */
export async function serverTunnel(
  server: string,
  port: number,
  id?: string,
): Promise<TunnelConfig> {
  const localPort = await freePort();
  return {
    id: id ?? `t-${localPort}`,
    name: `${server}:${port}`,
    kind: 'other',
    localHost: '127.0.0.1',
    localPort,
    remoteHost: `@${server}`,
    remotePort: port,
    enabled: true,
    server,
  };
}

/** A consuming engine with one tunnel per config; resolves once they listen. */
export async function consumingEngine(
  relay: RelayAccess,
  token: string,
  tunnels: TunnelConfig[],
  options: Partial<Omit<EngineOptions, 'getToken'>> = {},
): Promise<TestEngine> {
  const test = engineFor(relay, token, { ...options, tunnels });
  test.engine.connect();
  await test.waitFor(
    'the tunnels listening',
    (s) => s.state === 'active' && s.tunnels.every((t) => t.status === 'listening'),
  );
  return test;
}

/** A TCP proxy that can drop every connection through it and refuse new ones until opened. */
export interface GateProxy {
  readonly port: number;
  /** Connections accepted and passed on so far. */
  readonly passed: number;
  /** Resets every connection through it and every new one until open(). */
  close(): void;
  open(): void;
}

/** `target` is read per connection, so the gate can be up before what it leads to. */
export async function gateProxy(target: () => number): Promise<GateProxy> {
  const pairs = new Set<Socket>();
  let closed = false;
  let passed = 0;
  const server = createServer({ allowHalfOpen: true }, (client) => {
    client.on('error', () => undefined);
    if (closed) {
      client.resetAndDestroy();
      return;
    }
    passed += 1;
    const upstream = netConnect({ host: '127.0.0.1', port: target(), allowHalfOpen: true });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    for (const socket of [client, upstream]) {
      pairs.add(socket);
      socket.once('close', () => pairs.delete(socket));
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  closeLater(server, (s) => {
    for (const socket of pairs) socket.destroy();
    s.close();
  });
  return {
    port: (server.address() as AddressInfo).port,
    get passed() {
      return passed;
    },
    close() {
      closed = true;
      for (const socket of pairs) socket.resetAndDestroy();
    },
    open() {
      closed = false;
    },
  };
}

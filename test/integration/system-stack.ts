// Shared setup for the system tests: a real relay in this process over real TLS (per-run
// PKI), a real client engine, and helpers to wait on engine snapshots with a deadline.
// Every log line, log record and error text is captured so tests can grep them for secrets.
// Owns no assertions; each system-*.test.ts decides what it checks.

import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterEach } from 'vitest';

import { createEngine } from '../../src-main/engine/engine';
import type { Engine, EngineOptions, RelayEndpoint } from '../../src-main/engine/types';
import { startRelay, type RelayOptions, type RelayServer } from '../../src-main/relay/relay-server';
import type { EngineSnapshot, LogRecord, TunnelConfig } from '../../src-main/shared/model';
import { stopAllProcesses } from '../harness/processes';
import { sharedTestPki, type RelayProcess } from '../harness/relay';
import { freePort } from '../harness/traffic';

export interface TestRelay {
  readonly server: RelayServer;
  readonly secret: string;
  readonly logs: string[];
  readonly endpoint: RelayEndpoint;
}

/** One PKI per test file (a second of RSA key generation). */
export const pki = sharedTestPki;

export async function startTestRelay(
  options: Partial<RelayOptions> & { secret?: string } = {},
): Promise<TestRelay> {
  const { secret = randomBytes(24).toString('base64url'), ...rest } = options;
  const logs: string[] = [];
  const p = await pki();
  const server = await startRelay({
    host: '127.0.0.1',
    port: 0,
    tls: p.serverEc,
    jwt: { hs256Secret: secret },
    allow: ['127.0.0.0/8'],
    log: (line) => logs.push(line),
    logLevel: 'debug',
    ...rest,
  });
  captureForLeaks(async () => [...logs, await server.metricsText()]);
  return { server, secret, logs, endpoint: { host: '127.0.0.1', port: server.port, ca: p.caPem } };
}

/**
 * The suite's canary: every token handed out by token() carries it in a claim, and
 * expectNoTokenLeaks() fails a test when it, or any issued token, shows up in captured text.
 */
export const CANARY = `CLOUDBRIDGE-CANARY-${randomBytes(6).toString('hex')}`;
const issuedTokens: string[] = [];
const capturedSources: (() => Promise<string[]>)[] = [];

export async function token(
  relay: { secret: string },
  sub = 'system-test',
  ttlSec = 600,
): Promise<string> {
  const jwt = await new SignJWT({ canary: CANARY })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSec)
    .sign(new TextEncoder().encode(relay.secret));
  issuedTokens.push(jwt);
  return jwt;
}

/** Adds text (log lines, metrics, error text) that must never contain a token. */
export function captureForLeaks(source: () => Promise<string[]> | string[]): void {
  capturedSources.push(async () => source());
}

/** Captures a relay child process's log lines and stderr for the leak check; returns it. */
export function watchRelayProcess(relay: RelayProcess): RelayProcess {
  captureForLeaks(() => [...relay.logs.map((line) => JSON.stringify(line)), relay.stderr]);
  return relay;
}

/**
 * Greps everything captured since the last call for the canary, each issued token and its
 * signature; throws naming the first hit. Forgets the sources afterwards.
 */
export async function expectNoTokenLeaks(): Promise<void> {
  const texts = (
    await Promise.all(capturedSources.splice(0).map((source) => source().catch(() => [])))
  ).flat();
  const needles = [CANARY, ...issuedTokens.flatMap((t) => [t, t.split('.')[2] ?? t])];
  for (const needle of needles) {
    const hit = texts.find((text) => text.includes(needle));
    if (hit !== undefined)
      throw new Error(`a token leaked into captured text: ${hit.slice(0, 300)}`);
  }
  if (texts.length === 0) throw new Error('nothing was captured to check for token leaks');
}

export function tunnel(
  id: string,
  localPort: number,
  remotePort: number,
  remoteHost = '127.0.0.1',
): TunnelConfig {
  return {
    id,
    name: id,
    kind: 'other',
    localHost: '127.0.0.1',
    localPort,
    remoteHost,
    remotePort,
    enabled: true,
  };
}

export async function tunnelTo(
  id: string,
  remotePort: number,
  remoteHost = '127.0.0.1',
): Promise<TunnelConfig> {
  return tunnel(id, await freePort(), remotePort, remoteHost);
}

export interface TestClient {
  readonly engine: Engine;
  readonly logs: LogRecord[];
  readonly snapshots: EngineSnapshot[];
  /** Resolves with the first snapshot (current or future) that satisfies `done`. */
  waitFor(
    what: string,
    done: (snapshot: EngineSnapshot) => boolean,
    timeoutMs?: number,
  ): Promise<EngineSnapshot>;
  close(): Promise<void>;
}

export function startClient(
  options: Omit<EngineOptions, 'getToken'> & { token: string },
): TestClient {
  const { token: jwt, ...rest } = options;
  const engine = createEngine({ ...rest, getToken: () => Promise.resolve(jwt) });
  const logs: LogRecord[] = [];
  const snapshots: EngineSnapshot[] = [];
  const waiters = new Set<(snapshot: EngineSnapshot) => void>();
  engine.on('log', (record) => logs.push(record));
  captureForLeaks(async () => [
    ...logs.map((record) => JSON.stringify(record)),
    ...snapshots.map((snapshot) => JSON.stringify(snapshot)),
    await engine.metrics(),
  ]);
  engine.on('snapshot', (snapshot) => {
    snapshots.push(snapshot);
    for (const waiter of [...waiters]) waiter(snapshot);
  });
  return {
    engine,
    logs,
    snapshots,
    waitFor(what, done, timeoutMs = 15_000) {
      const current = engine.snapshot();
      if (done(current)) return Promise.resolve(current);
      return new Promise((resolve, reject) => {
        const waiter = (snapshot: EngineSnapshot): void => {
          if (!done(snapshot)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(snapshot);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const last = engine.snapshot();
          reject(
            new Error(
              `timed out waiting for ${what}; state ${last.state}, lastError ${JSON.stringify(last.lastError)}, tunnels ${JSON.stringify(
                last.tunnels.map((t) => [t.id, t.status, t.error?.code]),
              )}`,
            ),
          );
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close: () => engine.close(),
  };
}

/** Polls `check` every 20 ms until it holds; rejects naming `what` after the deadline. */
export function waitUntil(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (check()) return resolve();
      if (Date.now() - started > timeoutMs)
        return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

export const isActive = (s: EngineSnapshot): boolean =>
  s.state === 'active' && s.tunnels.every((t) => t.status === 'listening' || t.status === 'error');

export function tunnelOf(snapshot: EngineSnapshot, id: string): EngineSnapshot['tunnels'][number] {
  const found = snapshot.tunnels.find((t) => t.id === id);
  if (!found) throw new Error(`no tunnel ${id} in snapshot`);
  return found;
}

/** Closers run in reverse order by afterEach, errors ignored so one failure does not leak the rest. */
export class Cleanup {
  private readonly closers: (() => unknown)[] = [];

  add<T>(value: T, close: (value: T) => unknown): T {
    this.closers.push(() => close(value));
    return value;
  }

  async run(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) {
      try {
        await close();
      } catch {
        // keep closing the rest
      }
    }
  }
}

/**
 * The afterEach every system test file shares: grep everything captured for tokens, then
 * close what the test started (also when the leak check fails). Returns the Cleanup to add to.
 */
export function systemTestCleanup(): Cleanup {
  const cleanup = new Cleanup();
  afterEach(async () => {
    try {
      await expectNoTokenLeaks();
    } finally {
      await cleanup.run();
      await stopAllProcesses();
    }
  });
  return cleanup;
}

// The relay child process for the front-door tests: `cloudbridge-relay` bundled from source,
// optionally under `prlimit --nofile` (prlimit execs the relay, so the pid is the relay's), with
// /metrics on, its JSON log parsed, and readers for its fds, RSS and metrics. Plus raw TCP/TLS
// clients for attacks and a real one for "still serving". Owns no assertions.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import type { ConnectionOptions } from 'node:tls';
import { join } from 'node:path';
import { mintDevToken } from '../../src-main/relay/tokens';
import { childEnv, REPO_ROOT } from '../harness/bundle';
import { readRssBytes } from '../harness/processes';
import {
  connectRawClient,
  newJwtSecret,
  relayBundlePath,
  sharedTestPki,
  type RawRelayClient,
} from '../harness/relay';
import type { TestPki } from '../harness/pki';

export interface HardenedRelay {
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  readonly caPem: string;
  readonly secret: string;
  readonly pki: TestPki;
  readonly metricsUrl: string;
  readonly logs: Array<{ level: string; event: string; details: Record<string, unknown> }>;
  stderr(): string;
  token(
    sub?: string,
    options?: { ttlSec?: number; tenant?: string; nowSec?: number },
  ): Promise<string>;
  fds(): number;
  rss(): number;
  metrics(): Promise<string>;
  /** The value of one sample, e.g. `cloudbridge_relay_limit_hits_total{limit="auth_timeout_ms"}`. */
  metric(sample: string): Promise<number>;
  exited(): boolean;
  /** Closes our end of its stdout and stderr, as a log collector that dies would. */
  closeOutput(): void;
  close(): Promise<void>;
}

export interface HardenedRelayOptions {
  readonly args?: readonly string[];
  /** Run under `prlimit --nofile=N:N`. */
  readonly nofile?: number;
  /** A config file's JSON (written to a temp file and passed with --config). */
  readonly config?: Record<string, unknown>;
}

const started: HardenedRelay[] = [];

export async function startHardenedRelay(
  options: HardenedRelayOptions = {},
): Promise<HardenedRelay> {
  const pki = await sharedTestPki();
  const secret = newJwtSecret();
  // A regression check runs these tests against a relay built from a changed copy of the source.
  const script = process.env['CLOUDBRIDGE_TEST_RELAY_BUNDLE'] ?? (await relayBundlePath());
  const dir = mkdtempSync(join(tmpdir(), 'relay-hardening-'));
  writeFileSync(join(dir, 'cert.pem'), pki.serverEc.cert);
  writeFileSync(join(dir, 'key.pem'), pki.serverEc.key, { mode: 0o600 });
  const configArgs: string[] = [];
  if (options.config !== undefined) {
    writeFileSync(join(dir, 'relay.json'), JSON.stringify(options.config));
    configArgs.push('--config', join(dir, 'relay.json'));
  }
  const relayArgs = [
    script,
    '--listen',
    '127.0.0.1:0',
    '--cert',
    join(dir, 'cert.pem'),
    '--key',
    join(dir, 'key.pem'),
    '--metrics',
    '127.0.0.1:0',
    '--allow',
    '127.0.0.0/8',
    ...configArgs,
    ...(options.args ?? []),
  ];
  const [command, args] =
    options.nofile === undefined
      ? [process.execPath, relayArgs]
      : [
          'prlimit',
          [`--nofile=${options.nofile}:${options.nofile}`, process.execPath, ...relayArgs],
        ];
  const child: ChildProcess = spawn(command, args, {
    cwd: REPO_ROOT,
    env: childEnv({ CLOUDBRIDGE_JWT_SECRET: secret }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: HardenedRelay['logs'] = [];
  let stderr = '';
  let pending = '';
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const listening = new Promise<{ port: number; metricsUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start: ${stderr}`)), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let newline;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        try {
          const record = JSON.parse(line) as HardenedRelay['logs'][number];
          logs.push(record);
          if (record.event === 'relay_listening') {
            clearTimeout(timer);
            resolve({
              port: Number(record.details['port']),
              metricsUrl: String(record.details['metrics']),
            });
          }
        } catch {
          // not a log line
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited (${code}) before listening: ${stderr}`));
    });
  });
  let where;
  try {
    where = await listening;
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const pid = child.pid ?? -1;
  const metrics = (): Promise<string> =>
    new Promise((resolve, reject) => {
      request(where.metricsUrl, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        response.on('end', () => resolve(body));
      })
        .on('error', reject)
        .end();
    });
  const relay: HardenedRelay = {
    pid,
    host: '127.0.0.1',
    port: where.port,
    caPem: pki.caPem,
    secret,
    pki,
    metricsUrl: where.metricsUrl,
    logs,
    stderr: () => stderr,
    token: (sub = 'hardening-user', tokenOptions = {}) =>
      mintDevToken({
        secret,
        sub,
        ttlSec: tokenOptions.ttlSec ?? 600,
        ...(tokenOptions.tenant !== undefined ? { tenant: tokenOptions.tenant } : {}),
        ...(tokenOptions.nowSec !== undefined ? { nowSec: tokenOptions.nowSec } : {}),
      }),
    fds: () => readdirSync(`/proc/${pid}/fd`).length,
    rss: () => readRssBytes(pid) ?? 0,
    metrics,
    metric: async (sample) => {
      const text = await metrics();
      const line = text.split('\n').find((l) => l.startsWith(sample + ' '));
      return line === undefined ? 0 : Number(line.slice(sample.length + 1));
    },
    exited: () => exited,
    closeOutput: () => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    },
    close: async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exit;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  started.push(relay);
  return relay;
}

/** Closes every relay started here (afterEach). */
export async function closeHardenedRelays(): Promise<void> {
  await Promise.all(started.splice(0).map((relay) => relay.close()));
}

const openSockets = new Set<Socket>();
const openClients = new Set<RawRelayClient>();

/** Destroys every socket and client opened here (afterEach). */
export function destroyAttackSockets(): void {
  for (const socket of openSockets) socket.destroy();
  openSockets.clear();
  for (const client of openClients) client.destroy();
  openClients.clear();
}

/** A plain TCP connection to the relay, from `localAddress` (any of 127.0.0.0/8). */
export function tcpTo(
  relay: Pick<HardenedRelay, 'host' | 'port'>,
  localAddress = '127.0.0.1',
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: relay.host, port: relay.port, localAddress });
    openSockets.add(socket);
    socket.once('close', () => openSockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** A TLS client speaking lines (harness/relay.ts), closed by destroyAttackSockets(). */
export async function lineClient(
  relay: Pick<HardenedRelay, 'host' | 'port' | 'caPem'>,
  localAddress?: string,
): Promise<RawRelayClient> {
  // tls.connect passes localAddress on to net.connect.
  const options = (localAddress !== undefined ? { localAddress } : {}) as ConnectionOptions;
  const client = await connectRawClient(relay, options);
  openClients.add(client);
  return client;
}

/** A client that authenticates with a fresh token: the relay still serves the well-behaved. */
export async function authenticates(relay: HardenedRelay, sub = 'legit'): Promise<boolean> {
  const client = await lineClient(relay);
  try {
    client.send({ type: 'hello', version: '1.0', features: [] });
    const hello = await client.next(5_000);
    client.send({ type: 'auth', token: await relay.token(sub) });
    const auth = await client.next(5_000);
    return hello['type'] === 'hello_response' && auth['type'] === 'auth_response';
  } finally {
    client.destroy();
  }
}

/** Polls `check` every 50 ms until it holds or `timeoutMs` passes; returns the last value. */
export async function eventually<T>(
  read: () => T | Promise<T>,
  check: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

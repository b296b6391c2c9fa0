// Test relays for every suite: in-process (`startTestRelay`, fast, inspectable) or as the
// real `cloudbridge-relay` child process (`spawnRelayProcess`) that a test can kill -9,
// SIGSTOP/SIGCONT and restart on the same port. Both use a per-run PKI (pki.ts), a random JWT
// secret, 127.0.0.1 and an ephemeral port. Close what you start (afterEach).
//
//   const relay = await startTestRelay();
//   const token = await relay.token({ sub: 'alice' });
//   engine options: { relay: relay.endpoint(), getToken: async () => token }
//
// Both keep the seed's limits (5 auth attempts a minute per address, heartbeats >= 28 s):
// tests that reconnect often pass `limits` (in-process) or `--auth-per-minute N` /
// `--heartbeat-min-ms N` (child process).

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { RelayEndpoint } from '../../src-main/engine/types';
import { startRelay, type RelayOptions, type RelayServer } from '../../src-main/relay/relay-server';
import { mintDevToken } from '../../src-main/relay/tokens';
import { bundleEntry, childEnv, REPO_ROOT } from './bundle';
import { createTestPki, type TestPki } from './pki';

const RELAY_ENTRY = 'src-main/cli/cloudbridge-relay.ts';
/** What test relays may reach unless a test says otherwise (a relay's own default is nothing). */
const LOOPBACK_ALLOW = ['127.0.0.0/8', '::1/128'];

export interface TokenRequest {
  readonly sub?: string;
  readonly tenant?: string;
  readonly ttlSec?: number;
  readonly issuer?: string;
  readonly audience?: string;
}

/** What both kinds of test relay offer a client. */
export interface RelayAccess {
  readonly host: string;
  readonly port: number;
  readonly pki: TestPki;
  /** PEM the relay's certificate chains to (the test CA). */
  readonly caPem: string;
  /** SPKI SHA-256 pin of the served certificate. */
  readonly pin: string;
  readonly secret: string;
  /** Endpoint for the engine: 127.0.0.1, the test CA, SNI `localhost`. */
  endpoint(overrides?: Partial<RelayEndpoint>): RelayEndpoint;
  /** An HS256 token this relay accepts (sub defaults to `test-user`, 10 min). */
  token(request?: TokenRequest): Promise<string>;
}

export interface TestRelay extends RelayAccess {
  readonly relay: RelayServer;
  /** Every JSON log line the relay wrote, parsed. */
  readonly logs: Array<{
    level: string;
    event: string;
    tunnel_id: string | null;
    details: Record<string, unknown>;
  }>;
  close(): Promise<void>;
}

export interface TestRelayOptions extends Partial<Omit<RelayOptions, 'jwt'>> {
  readonly pki?: TestPki;
  readonly secret?: string;
  readonly jwt?: Partial<RelayOptions['jwt']>;
  /** Also copy log lines to stderr (debugging). */
  readonly echoLogs?: boolean;
}

let sharedPki: Promise<TestPki> | null = null;
/** One PKI per test process unless a test brings its own: RSA key generation is slow. */
export function sharedTestPki(): Promise<TestPki> {
  sharedPki ??= createTestPki();
  return sharedPki;
}

export function newJwtSecret(): string {
  return randomBytes(32).toString('base64url');
}

function access(
  host: string,
  port: number,
  pki: TestPki,
  certPem: string,
  secret: string,
  insecure: boolean,
): RelayAccess {
  return {
    host,
    port,
    pki,
    caPem: pki.caPem,
    pin: pki.pin(certPem),
    secret,
    endpoint: (overrides = {}) => ({
      host,
      port,
      ...(insecure ? { insecure: true } : { ca: pki.caPem, serverName: 'localhost' }),
      ...overrides,
    }),
    token: (request = {}) =>
      mintDevToken({
        secret,
        sub: request.sub ?? 'test-user',
        ttlSec: request.ttlSec ?? 600,
        ...(request.tenant !== undefined ? { tenant: request.tenant } : {}),
        ...(request.issuer !== undefined ? { issuer: request.issuer } : {}),
        ...(request.audience !== undefined ? { audience: request.audience } : {}),
      }),
  };
}

/** Starts the relay in this process on 127.0.0.1:0 with a test certificate and a random secret. */
export async function startTestRelay(options: TestRelayOptions = {}): Promise<TestRelay> {
  const pki = options.pki ?? (await sharedTestPki());
  const secret = options.secret ?? newJwtSecret();
  const served = pki.serverEc;
  const logs: TestRelay['logs'] = [];
  const { pki: _pki, secret: _secret, jwt, echoLogs, ...relayOptions } = options;
  const relay = await startRelay({
    host: '127.0.0.1',
    port: 0,
    tls: served,
    // A relay without rules reaches nothing; tests reach their targets on loopback.
    allow: LOOPBACK_ALLOW,
    ...relayOptions,
    jwt: { hs256Secret: secret, ...jwt },
    log: (line) => {
      logs.push(JSON.parse(line) as TestRelay['logs'][number]);
      if (echoLogs === true) process.stderr.write(line + '\n');
      options.log?.(line);
    },
  });
  return {
    ...access(relay.host, relay.port, pki, served.cert, secret, relay.insecure),
    relay,
    logs,
    close: () => relay.close(),
  };
}

let bundlePromise: Promise<string> | null = null;

/**
 * The relay CLI as one CommonJS file, bundled (bundle.ts) into a temp dir once per test
 * process, so tests always run the current source even when dist/ is stale or being rebuilt.
 */
export function relayBundlePath(): Promise<string> {
  bundlePromise ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloudbridge-relay-bundle-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return bundleEntry(RELAY_ENTRY, join(dir, 'cloudbridge-relay.cjs'));
  })();
  return bundlePromise;
}

export interface RelayProcessOptions {
  /** Extra CLI flags, e.g. ['--grace-ms', '2000', '--allow', '127.0.0.0/8']. */
  readonly args?: readonly string[];
}

export interface RelayProcess extends RelayAccess {
  /** PID of the current child (changes on restart). */
  readonly pid: number;
  /** Parsed JSON log lines from stdout, across restarts. */
  readonly logs: Array<{ event: string; details: Record<string, unknown> }>;
  readonly stderr: string;
  /** Sends a signal (SIGKILL for kill -9, SIGSTOP / SIGCONT to freeze and thaw). */
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the exit code/signal of the current child. */
  waitExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Starts a new child on the same port (after the old one exited or was killed). */
  restart(): Promise<void>;
  /** SIGTERM (SIGCONT first, in case it was stopped), then SIGKILL after 5 s; resolves on exit. */
  close(): Promise<void>;
}

/** Runs `cloudbridge-relay` as a child process with the test CA's certificate and a random secret. */
export async function spawnRelayProcess(options: RelayProcessOptions = {}): Promise<RelayProcess> {
  const pki = await sharedTestPki();
  const secret = newJwtSecret();
  const script = await relayBundlePath();
  const dir = mkdtempSync(join(tmpdir(), 'cloudbridge-relay-proc-'));
  writeFileSync(join(dir, 'cert.pem'), pki.serverEc.cert);
  writeFileSync(join(dir, 'key.pem'), pki.serverEc.key, { mode: 0o600 });
  const logs: RelayProcess['logs'] = [];
  let stderr = '';
  let child: ChildProcess | null = null;
  let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({
    code: null,
    signal: null,
  });
  // 0 picks a port; restart() reuses the one picked.
  let port = 0;
  const extraArgs = options.args ?? [];

  const launch = async (): Promise<void> => {
    const args = [
      script,
      '--listen',
      `127.0.0.1:${port}`,
      '--cert',
      join(dir, 'cert.pem'),
      '--key',
      join(dir, 'key.pem'),
      ...(extraArgs.includes('--allow') || extraArgs.includes('--config')
        ? []
        : LOOPBACK_ALLOW.flatMap((cidr) => ['--allow', cidr])),
      ...extraArgs,
    ];
    const proc = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: childEnv({ CLOUDBRIDGE_JWT_SECRET: secret }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    exit = new Promise((resolveExit) =>
      proc.once('exit', (code, signal) => resolveExit({ code, signal })),
    );
    let pending = '';
    const listening = new Promise<number>((resolveListening, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`relay did not start within 15000 ms: ${stderr}`)),
        15_000,
      );
      proc.stdout?.on('data', (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        let newline;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          try {
            const record = JSON.parse(line) as RelayProcess['logs'][number];
            logs.push(record);
            if (record.event === 'relay_listening') {
              clearTimeout(timer);
              resolveListening(Number(record.details['port']));
            }
          } catch {
            // not a log line
          }
        }
      });
      proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(`relay exited before listening (code ${code}, signal ${signal}): ${stderr}`),
        );
      });
    });
    port = await listening;
  };

  try {
    await launch();
  } catch (error) {
    (child as ChildProcess | null)?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const alive = (): ChildProcess | null => {
    const current = child;
    return current !== null && current.exitCode === null && current.signalCode === null
      ? current
      : null;
  };

  return {
    ...access('127.0.0.1', port, pki, pki.serverEc.cert, secret, false),
    get pid() {
      return child?.pid ?? -1;
    },
    logs,
    get stderr() {
      return stderr;
    },
    signal: (signal) => {
      alive()?.kill(signal);
    },
    waitExit: () => exit,
    restart: async () => {
      if (alive() !== null)
        throw new Error('restart() needs the old relay to have exited; kill it first');
      await launch();
    },
    close: async () => {
      const current = alive();
      if (current !== null) {
        current.kill('SIGCONT');
        current.kill('SIGTERM');
        const timer = setTimeout(() => current.kill('SIGKILL'), 5_000);
        await exit;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawRelayClient {
  readonly socket: Socket;
  send(message: Record<string, unknown>): void;
  sendRaw(data: string | Buffer): void;
  /** The next JSON line from the relay; rejects on timeout or when the connection ends first. */
  next(timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves once the relay has closed the connection (FIN or close), within the timeout. */
  closed(timeoutMs?: number): Promise<void>;
  /** Stops line parsing (after stream_response) and returns bytes already received after the last line. */
  detach(): Buffer;
  destroy(): void;
}

/**
 * A bare protocol client for relay tests: TLS to the relay (trusting the test CA, SNI
 * localhost), one JSON object per line, no engine logic in between.
 */
export async function connectRawClient(
  relay: Pick<RelayAccess, 'host' | 'port' | 'caPem'> & { insecure?: boolean },
  tlsOptions: ConnectionOptions = {},
): Promise<RawRelayClient> {
  const socket: Socket = await new Promise((resolveSocket, reject) => {
    const insecure = relay.insecure === true;
    const s: Socket = insecure
      ? netConnect({ host: relay.host, port: relay.port, allowHalfOpen: true })
      : tlsConnect({
          host: relay.host,
          port: relay.port,
          ca: relay.caPem,
          servername: 'localhost',
          ...({ allowHalfOpen: true } as ConnectionOptions),
          ...tlsOptions,
        });
    s.once(insecure ? 'connect' : 'secureConnect', () => {
      s.off('error', reject);
      resolveSocket(s);
    });
    s.once('error', reject);
  });
  socket.setNoDelay(true);
  let buffer = Buffer.alloc(0);
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let ended = false;
  let detached = false;
  const wake = (): void => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  const onData = (chunk: Buffer): void => {
    buffer = Buffer.concat([buffer, chunk]);
    let newline;
    while ((newline = buffer.indexOf(0x0a)) >= 0) {
      const line = buffer.subarray(0, newline).toString('utf8');
      buffer = buffer.subarray(newline + 1);
      if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      // Stop at stream_response: what follows is raw bytes.
      if (lines.at(-1)?.['type'] === 'stream_response') break;
    }
    wake();
  };
  socket.on('data', onData);
  socket.on('error', () => undefined);
  const onEnd = (): void => {
    ended = true;
    wake();
  };
  socket.once('end', onEnd);
  socket.once('close', onEnd);

  const waitFor = async <T>(
    ready: () => T | undefined,
    timeoutMs: number,
    what: string,
  ): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = ready();
      if (value !== undefined) return value;
      if (ended && what === 'line') throw new Error('connection ended before the next line');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolveWait) => {
        const timer = setTimeout(resolveWait, left);
        waiters.push(() => {
          clearTimeout(timer);
          resolveWait();
        });
      });
    }
  };

  return {
    socket,
    send: (message) => socket.write(JSON.stringify(message) + '\n'),
    sendRaw: (data) => socket.write(data),
    next: (timeoutMs = 5_000) => waitFor(() => lines.shift(), timeoutMs, 'line'),
    closed: async (timeoutMs = 5_000) => {
      await waitFor(
        () => (ended ? true : undefined),
        timeoutMs,
        'the relay to close the connection',
      );
    },
    detach: () => {
      if (!detached) {
        detached = true;
        socket.off('data', onData);
      }
      const rest = buffer;
      buffer = Buffer.alloc(0);
      return rest;
    },
    destroy: () => socket.destroy(),
  };
}

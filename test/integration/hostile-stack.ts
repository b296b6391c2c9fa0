// Shared setup for the hostile-peer tests: the `cloudbridge connect` CLI as a child process,
// a legitimate in-process client, checksummed round trips through a tunnel, and process
// liveness and RSS from /proc. Owns no assertions; the test files decide what they check.

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleEntry, childEnv, REPO_ROOT } from '../harness/bundle';
import { readRssBytes, startProcess, type ManagedProcess } from '../harness/processes';
import type { RelayProcess } from '../harness/relay';
import { echoRoundTrip, freePort, Pattern } from '../harness/traffic';
import { CodecError, LineDecoder } from '../../src-main/protocol/codec';
import { actionFor } from '../../src-main/protocol/errors';
import { parseRelayMessage } from '../../src-main/protocol/messages';
import { mintDevToken } from '../../src-main/relay/tokens';
import { isActive, startClient, tunnel, type TestClient } from './system-stack';

let cliPromise: Promise<{ dir: string; cli: string }> | null = null;

/** The CLI bundled from the current source once per test file; removed when the process exits. */
export function cliBundle(): Promise<{ dir: string; cli: string }> {
  cliPromise ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloudbridge-hostile-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const cli = await bundleEntry('src-main/cli/cloudbridge.ts', join(dir, 'cloudbridge.cjs'));
    return { dir, cli };
  })();
  return cliPromise;
}

export interface CliUnderTest {
  readonly proc: ManagedProcess;
  readonly localPort: number;
}

/** `cloudbridge connect` to 127.0.0.1:relayPort (TLS, test CA) with one tunnel to targetPort. */
export async function startCliConnect(options: {
  readonly relayPort: number;
  readonly caPem: string;
  readonly secret: string;
  readonly targetPort: number;
  readonly sub?: string;
}): Promise<CliUnderTest> {
  const { dir, cli } = await cliBundle();
  const localPort = await freePort();
  const caFile = join(dir, `ca-${localPort}.pem`);
  const tokenFile = join(dir, `token-${localPort}`);
  writeFileSync(caFile, options.caPem);
  const jwt = await mintDevToken({
    secret: options.secret,
    sub: options.sub ?? 'hostile-test',
    ttlSec: 600,
  });
  writeFileSync(tokenFile, `${jwt}\n`, { mode: 0o600 });
  const env = childEnv();
  delete env['CLOUDBRIDGE_TOKEN'];
  const proc = startProcess(
    process.execPath,
    [
      cli,
      'connect',
      '--relay',
      `127.0.0.1:${options.relayPort}`,
      '--ca',
      caFile,
      '--servername',
      'localhost',
      '--token-file',
      tokenFile,
      '--tunnel',
      `${localPort}:127.0.0.1:${options.targetPort}`,
    ],
    { cwd: REPO_ROOT, env, name: 'cloudbridge' },
  );
  await proc.waitForLine(new RegExp(`tunnel t-${localPort} {2}listening`), 20_000);
  return { proc, localPort };
}

/** Sends `bytes` of a seeded pattern through an echo tunnel; true when the SHA-256 matches. */
export async function echoMatches(localPort: number, bytes: number, seed = 11): Promise<boolean> {
  const { sent, received } = await echoRoundTrip(localPort, new Pattern(bytes, seed));
  return received.ending === 'end' && received.sha256 === sent;
}

/** A well-behaved in-process engine with one tunnel to `echoPort` through `relay`. */
export async function startLegitClient(
  relay: Pick<RelayProcess, 'endpoint' | 'token'>,
  echoPort: number,
): Promise<{ client: TestClient; localPort: number }> {
  const localPort = await freePort();
  const client = startClient({
    relay: relay.endpoint(),
    tunnels: [tunnel('legit', localPort, echoPort)],
    token: await relay.token({ sub: 'legit-user' }),
  });
  client.engine.connect();
  await client.waitFor('the legitimate client to be active', isActive, 20_000);
  return { client, localPort };
}

/** Tracks whether a relay child process has exited (any way at all). */
export function watchExit(relay: RelayProcess): { readonly exited: boolean } {
  const state = { exited: false };
  void relay.waitExit().then(() => (state.exited = true));
  return state;
}

/** Open file descriptors of a process (/proc/PID/fd), or NaN once it is gone. */
export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

/** Waits up to `timeoutMs` for `pid` to hold at most `limit` descriptors; returns the last count. */
export async function settleFds(pid: number, limit: number, timeoutMs = 3_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let count = fdCount(pid);
  while (!(count <= limit) && Date.now() < deadline) {
    await sleep(50);
    count = fdCount(pid);
  }
  return count;
}

export function rssMiB(pid: number): number {
  return (readRssBytes(pid) ?? Number.NaN) / (1024 * 1024);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const HARMLESS_LINE = Buffer.from('{"type":"fuzz_notice"}\n');
const RETRYABLE_ERROR = Buffer.from(
  '{"type":"error","code":"server_unavailable","message":"fuzz"}\n',
);

/**
 * A fuzzed line made fit to inject into a live control connection. Two things a relay may
 * legitimately do would end the run rather than test it, so they are replaced: an error the
 * client must obey by stopping (a fatal code) or by waiting long (`retry_after` over 2 s).
 * A line that breaks framing closes the session (the client reconnects); `breaks` says so,
 * and with `allowBreak` false it is replaced too. Lines always end with a newline, so the
 * relay's next line is not glued to this one.
 */
export function sanitizeControlLine(
  line: Buffer,
  allowBreak: boolean,
): { bytes: Buffer; breaks: boolean } {
  const bytes = line.at(-1) === 0x0a ? line : Buffer.concat([line, Buffer.from('\n')]);
  let objects;
  try {
    objects = new LineDecoder().push(bytes);
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    return allowBreak ? { bytes, breaks: true } : { bytes: HARMLESS_LINE, breaks: false };
  }
  for (const object of objects) {
    const message = parseRelayMessage(object);
    if (
      message.type === 'error' &&
      (actionFor(message.code) === 'fatal' || (message.retryAfterSec ?? 0) > 2)
    )
      return { bytes: RETRYABLE_ERROR, breaks: false };
  }
  return { bytes, breaks: false };
}

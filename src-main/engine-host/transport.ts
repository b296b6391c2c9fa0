// The channel to one engine host child, whatever started it: the HostTransport interface, and
// its plain-Node form over child_process.fork (tests, the benchmark). The Electron form
// (utilityProcess) lives in src-main/electron/utility-transport.ts and behaves the same.

import { fork } from 'node:child_process';
import type { HostCommand } from './host-protocol';

export interface HostExit {
  readonly code: number | null;
  readonly signal: string | null;
}

export interface HostTransport {
  /** null until the child runs. */
  readonly pid: number | null;
  /** False when the child is gone (the message is dropped). */
  send(message: HostCommand): boolean;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once, when the child has exited (for any reason). */
  onExit(listener: (exit: HostExit) => void): void;
  /** Ends the child at once. */
  kill(): void;
}

/** Default bound on one line of the child's stdout/stderr handed to the logger. */
export const MAX_OUTPUT_LINE_CHARS = 2_000;

/**
 * What of main's environment the child gets: enough to find Node's modules, temp files and
 * the system's TLS settings; nothing else (no tokens, no app secrets in variables).
 */
export const CHILD_ENV_KEYS: readonly string[] = [
  'PATH',
  'NODE_PATH',
  'HOME',
  'USERPROFILE',
  'TMPDIR',
  'TMP',
  'TEMP',
  'SYSTEMROOT',
  'LANG',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
];

export function childEnvironment(
  from: NodeJS.ProcessEnv,
  keys: readonly string[] = CHILD_ENV_KEYS,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of keys) {
    const value = from[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

/**
 * Splits a byte stream into lines of at most `maxChars` characters: a longer line is cut and
 * marked, and the rest of it is skipped, so a child that prints without newlines cannot make
 * main buffer without limit.
 */
export function createLineSplitter(
  maxChars: number,
  onLine: (line: string) => void,
): { push(chunk: string): void; end(): void } {
  let pending = '';
  let skipping = false;
  return {
    push(chunk) {
      let rest = chunk;
      for (;;) {
        const nl = rest.indexOf('\n');
        if (nl < 0) break;
        const piece = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        if (!skipping) {
          const line = (pending + piece).replace(/\r$/, '');
          if (line.length > maxChars) onLine(`${line.slice(0, maxChars)}… [cut]`);
          else onLine(line);
        }
        pending = '';
        skipping = false;
      }
      if (skipping) return;
      pending += rest;
      if (pending.length > maxChars) {
        onLine(`${pending.slice(0, maxChars)}… [cut]`);
        pending = '';
        skipping = true;
      }
    },
    end() {
      if (!skipping && pending.length > 0) onLine(pending);
      pending = '';
    },
  };
}

export interface ForkTransportOptions {
  /** Default: childEnvironment(process.env). */
  readonly env?: Record<string, string>;
  /** Each line the child prints, bounded by maxLineChars. Default: dropped. */
  readonly onOutput?: (stream: 'stdout' | 'stderr', line: string) => void;
  readonly maxLineChars?: number;
}

/** Starts the host child `entryPath` with child_process.fork. */
export function createForkTransport(
  entryPath: string,
  options: ForkTransportOptions = {},
): HostTransport {
  const child = fork(entryPath, [], {
    serialization: 'advanced',
    execArgv: [],
    env: options.env ?? childEnvironment(process.env),
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const maxChars = options.maxLineChars ?? MAX_OUTPUT_LINE_CHARS;
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = child[name];
    if (stream === null) continue;
    const splitter = createLineSplitter(maxChars, (line) => options.onOutput?.(name, line));
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => splitter.push(chunk));
    stream.on('end', () => splitter.end());
  }
  let exited = false;
  const exitListeners: ((exit: HostExit) => void)[] = [];
  const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
    if (exited) return;
    exited = true;
    for (const l of exitListeners) l({ code, signal });
  };
  child.once('exit', onExit);
  // A failed spawn emits 'error' and never 'exit'; later errors (a send to a closing channel)
  // are followed by 'exit' anyway.
  child.on('error', () => {
    if (child.pid === undefined) onExit(null, null);
  });
  return {
    get pid() {
      return exited ? null : (child.pid ?? null);
    },
    send(message) {
      if (exited || !child.connected) return false;
      try {
        // A send to a closing channel fails in this callback instead of as an 'error' event;
        // the 'exit' that follows says what happened.
        child.send(message, () => undefined);
        return true;
      } catch {
        return false;
      }
    },
    onMessage(listener) {
      child.on('message', (message: unknown) => listener(message));
    },
    onExit(listener) {
      exitListeners.push(listener);
    },
    kill() {
      if (!exited) child.kill('SIGKILL');
    },
  };
}

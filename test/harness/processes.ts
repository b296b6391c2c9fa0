// Child processes for system tests and the benchmark: spawn with captured output, wait for
// a line or an exit with a deadline, signal by pid, read RSS from /proc. Every process
// started here is tracked so one stopAll() in afterEach ends exactly those, by pid.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ExitResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly name: string;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout/stderr line (from the start) matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  waitForExit(timeoutMs?: number): Promise<ExitResult>;
  readonly exited: ExitResult | null;
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<ExitResult>;
}

const running = new Set<ManagedProcess>();

/** Resident set size in bytes from /proc (Linux), or null when the process is gone. */
export function readRssBytes(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** User + system CPU seconds a process has used so far (Linux /proc, 100 ticks/s), or null. */
export function readCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state is [0], utime is [11], stime is [12].
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

export function startProcess(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { name?: string } = {},
): ManagedProcess {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  let out = '';
  let err = '';
  let exited: ExitResult | null = null;
  const lineWaiters = new Set<() => void>();
  const exitWaiters: ((result: ExitResult) => void)[] = [];
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (text: string) => {
    out += text;
    for (const waiter of lineWaiters) waiter();
  });
  child.stderr?.on('data', (text: string) => {
    err += text;
    for (const waiter of lineWaiters) waiter();
  });
  child.stdin?.on('error', () => undefined);
  const managed: ManagedProcess = {
    child,
    pid,
    name: options.name ?? command,
    stdout: () => out,
    stderr: () => err,
    get exited() {
      return exited;
    },
    waitForLine(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          for (const line of (out + '\n' + err).split('\n')) {
            if (pattern.test(line)) {
              cleanup();
              resolve(line);
              return true;
            }
          }
          if (exited !== null) {
            cleanup();
            reject(
              new Error(
                `${managed.name} exited (${exited.code ?? exited.signal}) before printing ${pattern}\n${out}\n${err}`,
              ),
            );
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `${managed.name}: no line matching ${pattern} within ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`,
            ),
          );
        }, timeoutMs);
        const waiter = (): void => void check();
        const cleanup = (): void => {
          clearTimeout(timer);
          lineWaiters.delete(waiter);
        };
        lineWaiters.add(waiter);
        check();
      });
    },
    waitForExit(timeoutMs = 15_000) {
      if (exited !== null) return Promise.resolve(exited);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${managed.name} did not exit within ${timeoutMs} ms`)),
          timeoutMs,
        );
        exitWaiters.push((result) => {
          clearTimeout(timer);
          resolve(result);
        });
      });
    },
    signal(signal) {
      if (exited === null) process.kill(pid, signal);
    },
    async stop(graceMs = 3_000) {
      if (exited !== null) return exited;
      try {
        // A stopped process cannot act on SIGTERM: wake it first.
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      try {
        return await managed.waitForExit(graceMs);
      } catch {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
        return managed.waitForExit(5_000);
      }
    },
  };
  child.once('exit', (code, signal) => {
    exited = { code, signal };
    running.delete(managed);
    for (const waiter of lineWaiters) waiter();
    for (const waiter of exitWaiters.splice(0)) waiter(exited);
  });
  running.add(managed);
  return managed;
}

/** Stops every process this module started and that is still running. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** Runs a command to completion with a deadline; for short tools (ssh-keygen, openssl, curl). */
export async function runToCompletion(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { input?: string | Buffer; timeoutMs?: number } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const { input, timeoutMs = 30_000, ...spawnOptions } = options;
  const proc = startProcess(command, args, spawnOptions);
  if (input !== undefined) proc.child.stdin?.end(input);
  else proc.child.stdin?.end();
  let result: ExitResult;
  try {
    result = await proc.waitForExit(timeoutMs);
  } catch (error) {
    await proc.stop(500);
    throw error;
  }
  // Output may still sit in the pipes after exit: wait for them to close (bounded).
  if (proc.child.stdout?.readableEnded === false || proc.child.stderr?.readableEnded === false) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1_000);
      proc.child.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return { ...result, stdout: proc.stdout(), stderr: proc.stderr() };
}

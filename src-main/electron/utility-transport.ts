// The engine host's HostTransport over Electron's utilityProcess.fork: the same behaviour as
// the fork transport (src-main/engine-host/transport.ts): filtered environment, output lines
// bounded and handed on, one exit report. No decisions; the supervisor owns restarts.

import { utilityProcess } from 'electron';
import type { HostExit, HostTransport } from '../engine-host/transport';
import {
  MAX_OUTPUT_LINE_CHARS,
  childEnvironment,
  createLineSplitter,
} from '../engine-host/transport';

export interface UtilityTransportOptions {
  readonly env?: Record<string, string>;
  readonly onOutput?: (stream: 'stdout' | 'stderr', line: string) => void;
  readonly maxLineChars?: number;
}

export function createUtilityTransport(
  entryPath: string,
  options: UtilityTransportOptions = {},
): HostTransport {
  const child = utilityProcess.fork(entryPath, [], {
    serviceName: 'CloudBridge engine',
    stdio: 'pipe',
    execArgv: [],
    env: options.env ?? childEnvironment(process.env),
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
  // utilityProcess reports a code only; a kill by signal shows as a non-zero code.
  child.once('exit', (code: number) => {
    exited = true;
    for (const l of exitListeners) l({ code, signal: null });
  });
  return {
    get pid() {
      return exited ? null : (child.pid ?? null);
    },
    send(message) {
      if (exited) return false;
      try {
        child.postMessage(message);
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
      if (!exited) child.kill();
    },
  };
}

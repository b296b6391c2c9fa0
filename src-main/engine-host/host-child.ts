// Entry of the engine host child (dist/engine-host/host-child.js): the real engine and the
// built-in relay behind child-runtime.ts, talking to main over Electron's parentPort in a
// utilityProcess or over the fork IPC channel in plain Node. Never imports electron.

import { createEngine } from '../engine/engine';
import { runBuiltinRelay } from './builtin-relay-runner';
import { startChildRuntime, type ChildPort } from './child-runtime';
import type { HostEvent } from './host-protocol';

/** Exit code of a child that died of an error nobody caught (EX_SOFTWARE). */
export const UNCAUGHT_EXIT_CODE = 70;

/** The parts of Electron's ParentPort used here, typed structurally (no electron import). */
interface ParentPortLike {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

/** Structured clone refuses functions and the like: such an event goes as its JSON form. */
function sendCloneable(send: (message: unknown) => void, event: HostEvent): void {
  try {
    send(event);
  } catch {
    send(JSON.parse(JSON.stringify(event)) as unknown);
  }
}

function pickPort(): { port: ChildPort; exit: () => void } {
  const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
  if (parentPort) {
    return {
      port: {
        send: (event) => sendCloneable((m) => parentPort.postMessage(m), event),
        onMessage: (listener) => parentPort.on('message', (e) => listener(e.data)),
      },
      exit: () => process.exit(0),
    };
  }
  const send = process.send?.bind(process);
  if (!send) throw new Error('host-child must be started by the engine host (no IPC channel)');
  // main went away: nothing is left to serve.
  process.on('disconnect', () => process.exit(0));
  return {
    port: {
      send: (event) => {
        if (!process.connected) return;
        sendCloneable((m) => send(m, undefined, undefined, () => undefined), event);
      },
      onMessage: (listener) => process.on('message', (message: unknown) => listener(message)),
    },
    // Exit once the reply has been handed to the channel.
    exit: () => setImmediate(() => process.exit(0)),
  };
}

const { port, exit } = pickPort();
process.on('uncaughtException', (error: Error) => {
  process.stderr.write(`engine host: uncaught ${error.stack ?? String(error)}\n`);
  process.exit(UNCAUGHT_EXIT_CODE);
});
process.on('unhandledRejection', (reason: unknown) => {
  // A stray rejection is a bug worth a log line, not worth dropping every tunnel.
  port.send({
    type: 'log',
    record: {
      timestamp: new Date().toISOString(),
      level: 'error',
      event: 'host_unhandled_rejection',
      tunnel_id: null,
      details: {
        error: reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason),
      },
    },
  });
});
startChildRuntime({ port, pid: process.pid, createEngine, runBuiltinRelay, exit });

// A stand-in for Electron's utilityProcess in tests of main.ts: each fork is an engine host
// child that says ready, answers every command with an empty reply and exits on shutdown or
// kill. It runs no engine; tests that need one use the real child over child_process.fork.
import { EventEmitter } from 'node:events';

export interface FakeUtilityChild extends EventEmitter {
  pid: number | undefined;
  readonly stdout: null;
  readonly stderr: null;
  readonly received: { type: string; id?: number }[];
  postMessage(message: { type: string; id?: number }): void;
  kill(): boolean;
}

export function createFakeUtilityProcess(): {
  fork: (path: string) => FakeUtilityChild;
  readonly forked: { path: string; child: FakeUtilityChild }[];
} {
  const forked: { path: string; child: FakeUtilityChild }[] = [];
  let nextPid = 40_000;
  return {
    forked,
    fork(path) {
      const pid = nextPid++;
      const exit = () =>
        setImmediate(() => {
          child.pid = undefined;
          child.emit('exit', 0);
        });
      const child: FakeUtilityChild = Object.assign(new EventEmitter(), {
        pid: pid,
        stdout: null,
        stderr: null,
        received: [] as { type: string; id?: number }[],
        postMessage(message: { type: string; id?: number }) {
          child.received.push(message);
          if (message.id === undefined) return;
          const id = message.id;
          setImmediate(() =>
            child.emit('message', { type: 'reply', id, value: null, error: null }),
          );
          if (message.type === 'shutdown') exit();
        },
        kill() {
          exit();
          return true;
        },
      });
      setImmediate(() => child.emit('message', { type: 'ready', pid }));
      forked.push({ path, child });
      return child;
    },
  };
}

// Helpers of the engine host test (engine-host.test.ts): processes by pid, a tapped
// transport, an echo target, one echo through a tunnel, and a transfer that runs until stopped.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { HostTransport } from '../../src-main/engine-host/transport';
import type { Result } from '../../src-main/shared/ipc-contract';

export type Cleanups = (() => Promise<unknown> | void)[];

/** Pids among `pids` holding a listening TCP socket on 127.0.0.1:`port` (Linux /proc). */
export function listenersOf(port: number, pids: readonly number[]): number[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set(
    readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f[1]?.endsWith(`:${hex}`) && f[3] === '0A')
      .map((f) => f[9]),
  );
  return pids.filter((pid) =>
    readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        return inodes.has(/^socket:\[(\d+)\]$/.exec(link)?.[1]);
      } catch {
        return false;
      }
    }),
  );
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor<T>(
  read: () => T | null | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = read();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function expectOk<T>(result: Result<unknown>): T {
  if (!result.ok) throw new Error(`request failed: ${JSON.stringify(result.error)}`);
  return result.value as T;
}

/** Records every message the child sends and every line it prints. */
export function tap(transport: HostTransport, seen: unknown[]): HostTransport {
  return {
    get pid() {
      return transport.pid;
    },
    send: (m) => transport.send(m),
    onMessage: (listener) =>
      transport.onMessage((m) => {
        seen.push(m);
        listener(m);
      }),
    onExit: (listener) => transport.onExit(listener),
    kill: () => transport.kill(),
  };
}

export async function echoServer(cleanups: Cleanups): Promise<{ server: Server; port: number }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => s.destroy());
    s.on('close', () => sockets.delete(s));
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0 };
}

/** One round trip through the tunnel, or null when it is not serving (yet). */
export function tryEcho(port: number, text: string, timeoutMs = 1_000): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    const done = (value: string | null) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.on('error', () => done(null));
    socket.on('close', () => done(got === text ? got : null));
    socket.on('data', (d: Buffer) => {
      got += d.toString();
      if (got === text) done(got);
    });
    socket.write(text);
  });
}

export async function freeLocalPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  return typeof address === 'object' && address ? address.port : 0;
}

/** Pushes bytes through the tunnel until stopped; counts what comes back. */
export function startTransfer(
  port: number,
  cleanups: Cleanups,
): { received: () => number; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  let received = 0;
  const chunk = Buffer.alloc(64 * 1024, 7);
  const pump = () => {
    while (!socket.destroyed && socket.write(chunk));
  };
  socket.on('connect', pump);
  socket.on('drain', pump);
  socket.on('data', (d: Buffer) => (received += d.length));
  const closed = new Promise<void>((r) => {
    socket.on('close', () => r());
    socket.on('error', () => undefined);
  });
  cleanups.push(() => {
    socket.destroy();
  });
  return { received: () => received, closed };
}

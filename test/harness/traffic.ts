// Target services and client drivers for traffic tests and the benchmark: echo, sink and
// source TCP servers plus a small HTTP server, each on 127.0.0.1 with an ephemeral port, and
// deterministic payloads whose SHA-256 both ends compute. Owns no tunnel or relay logic.

import { createHash, type Hash } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import {
  createConnection,
  createServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';

export const CHUNK_BYTES = 64 * 1024;

/**
 * A deterministic payload: a seeded 64 KiB block, with each chunk stamped with its index so a
 * lost, repeated or reordered chunk changes the hash.
 */
export class Pattern {
  private readonly base: Buffer;

  constructor(
    readonly totalBytes: number,
    seed = 1,
  ) {
    this.base = Buffer.allocUnsafe(CHUNK_BYTES);
    // xorshift32: fast, seeded, good enough to defeat compression and coincidences.
    let x = seed >>> 0 || 0x9e3779b9;
    for (let i = 0; i < CHUNK_BYTES; i += 4) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      this.base.writeUInt32LE(x, i);
    }
  }

  get chunkCount(): number {
    return Math.ceil(this.totalBytes / CHUNK_BYTES);
  }

  chunk(index: number): Buffer {
    const size = Math.min(CHUNK_BYTES, this.totalBytes - index * CHUNK_BYTES);
    const out = Buffer.allocUnsafe(size);
    this.base.copy(out, 0, 0, size);
    if (size >= 8) out.writeBigUInt64LE(BigInt(index), 0);
    return out;
  }

  sha256(): string {
    const hash = createHash('sha256');
    for (let i = 0; i < this.chunkCount; i++) hash.update(this.chunk(i));
    return hash.digest('hex');
  }
}

/** Writes the pattern to a socket honouring back-pressure, then ends it unless told not to. */
export async function writePattern(
  socket: Socket,
  pattern: Pattern,
  options: { end?: boolean } = {},
): Promise<void> {
  for (let i = 0; i < pattern.chunkCount; i++) {
    if (socket.destroyed) throw new Error('socket closed while writing');
    if (!socket.write(pattern.chunk(i))) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          socket.off('close', onClose);
          resolve();
        };
        const onClose = (): void => {
          socket.off('drain', onDrain);
          reject(new Error('socket closed while writing'));
        };
        socket.once('drain', onDrain);
        socket.once('close', onClose);
      });
    }
  }
  if (options.end !== false) socket.end();
}

export interface ReadResult {
  readonly bytes: number;
  readonly sha256: string;
  /** How the read ended: `end` (FIN), `close` without FIN, or `error`. */
  readonly ending: 'end' | 'close' | 'error';
  readonly error?: string;
}

/** Reads until FIN (or close/error), hashing as it goes; keeps nothing in memory. */
export function readAll(socket: Socket): Promise<ReadResult> {
  return new Promise((resolve) => {
    const hash: Hash = createHash('sha256');
    let bytes = 0;
    let done = false;
    const finish = (ending: ReadResult['ending'], error?: string): void => {
      if (done) return;
      done = true;
      resolve({
        bytes,
        sha256: hash.digest('hex'),
        ending,
        ...(error === undefined ? {} : { error }),
      });
    };
    socket.on('data', (data: Buffer) => {
      bytes += data.length;
      hash.update(data);
    });
    socket.once('end', () => finish('end'));
    socket.once('error', (err: NodeJS.ErrnoException) => finish('error', err.code ?? err.message));
    socket.once('close', () => finish('close'));
  });
}

export function connectTcp(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${host}:${port} timed out`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** A server that remembers its sockets so close() can end them all. */
export interface TestServer {
  readonly port: number;
  readonly connections: number;
  close(): Promise<void>;
}

function listen(server: Server | HttpServer, host = '127.0.0.1', port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function trackSockets(server: Server | HttpServer): { sockets: Set<Socket>; count: () => number } {
  const sockets = new Set<Socket>();
  let total = 0;
  server.on('connection', (socket: Socket) => {
    total++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return { sockets, count: () => total };
}

function closeServer(server: Server | HttpServer, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Echoes every byte back and passes a FIN on as a FIN (half-close). */
export async function startEchoServer(host = '127.0.0.1'): Promise<TestServer> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  });
  const tracked = trackSockets(server);
  const port = await listen(server, host);
  return {
    port,
    get connections() {
      return tracked.count();
    },
    close: () => closeServer(server, tracked.sockets),
  };
}

export interface SinkServer extends TestServer {
  /** Resolves with the next finished connection's bytes and hash (in order of finishing). */
  nextResult(timeoutMs?: number): Promise<ReadResult>;
}

/** Reads everything, hashes it, and after the client's FIN answers `<bytes> <sha256>\n`. */
export async function startSinkServer(): Promise<SinkServer> {
  const results: ReadResult[] = [];
  const waiters: ((result: ReadResult) => void)[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    void readAll(socket).then((result) => {
      if (!socket.destroyed) socket.end(`${result.bytes} ${result.sha256}\n`);
      const waiter = waiters.shift();
      if (waiter) waiter(result);
      else results.push(result);
    });
  });
  const tracked = trackSockets(server);
  const port = await listen(server);
  return {
    port,
    get connections() {
      return tracked.count();
    },
    close: () => closeServer(server, tracked.sockets),
    nextResult(timeoutMs = 60_000) {
      const ready = results.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('sink: no finished connection in time')),
          timeoutMs,
        );
        waiters.push((result) => {
          clearTimeout(timer);
          resolve(result);
        });
      });
    },
  };
}

export interface SourceServer extends TestServer {
  /** Bytes the server has handed to the kernel so far, over all connections. */
  readonly bytesWritten: number;
  readonly pattern: Pattern;
}

/** Sends the pattern to each connection (honouring back-pressure), then FIN. */
export async function startSourceServer(totalBytes: number, seed = 7): Promise<SourceServer> {
  const pattern = new Pattern(totalBytes, seed);
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => socket.destroy());
    writePattern(socket, pattern).catch(() => socket.destroy());
  });
  const tracked = trackSockets(server);
  const port = await listen(server);
  let closedBytes = 0;
  server.on('connection', (socket: Socket) =>
    socket.once('close', () => (closedBytes += socket.bytesWritten)),
  );
  return {
    port,
    pattern,
    get connections() {
      return tracked.count();
    },
    get bytesWritten() {
      let sum = closedBytes;
      for (const socket of tracked.sockets) sum += socket.bytesWritten - socket.writableLength;
      return sum;
    },
    close: () => closeServer(server, tracked.sockets),
  };
}

/** GET / answers a fixed body; GET /bytes/N answers N pattern bytes. */
export async function startHttpServer(body = 'hello through the tunnel\n'): Promise<TestServer> {
  const server = createHttpServer((req, res) => {
    const match = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
    if (match?.[1]) {
      const pattern = new Pattern(Number(match[1]), 3);
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': pattern.totalBytes,
      });
      void (async () => {
        for (let i = 0; i < pattern.chunkCount; i++) {
          if (!res.write(pattern.chunk(i)))
            await new Promise((resolve) => res.once('drain', resolve));
        }
        res.end();
      })();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(body);
  });
  server.keepAliveTimeout = 1_000;
  const tracked = trackSockets(server);
  const port = await listen(server);
  return {
    port,
    get connections() {
      return tracked.count();
    },
    close: () => closeServer(server, tracked.sockets),
  };
}

/** Sends `pattern` over a fresh connection to an echo service and checks what comes back. */
export async function echoRoundTrip(
  port: number,
  pattern: Pattern,
): Promise<{ sent: string; received: ReadResult }> {
  const socket = await connectTcp(port);
  const reading = readAll(socket);
  await writePattern(socket, pattern);
  const received = await reading;
  socket.destroy();
  return { sent: pattern.sha256(), received };
}

/** Finds a free loopback port (for programs that cannot listen on port 0 and report it). */
/** Ports freePort() handed out lately in this process: the OS may offer one again at once. */
const recentlyGiven: number[] = [];
const RECENT_PORTS = 256;

/**
 * A port nothing listens on now, and not one this process was handed lately: a test that asks
 * twice before binding either must get two different ports.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const server = createServer();
    const port = await listen(server, host);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (recentlyGiven.includes(port) && attempt < 16) continue;
    recentlyGiven.push(port);
    if (recentlyGiven.length > RECENT_PORTS) recentlyGiven.shift();
    return port;
  }
}

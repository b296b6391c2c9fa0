// The three measurements of `npm run bench`, each against any local port that leads to a
// target (direct, our tunnel, stunnel, ssh -L): bulk throughput, new-connection latency and
// many concurrent connections. Owns timing and counting only; peers live in peers.ts.

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

import { connectTcp } from '../test/harness/traffic';
import { percentile } from './stats';

const BLOCK = Buffer.alloc(256 * 1024, 0x5a);

export interface BulkTarget {
  readonly port: number;
  close(): Promise<void>;
}

/** Reads everything; after FIN answers the byte count as text and closes. */
export async function startCountingSink(): Promise<BulkTarget> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    let bytes = 0;
    socket.on('data', (d: Buffer) => (bytes += d.length));
    socket.on('end', () => socket.end(`${bytes}\n`));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  return listenTarget(server, sockets);
}

/** Echo for latency and concurrency: every byte comes back. */
export async function startEchoTarget(): Promise<BulkTarget> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
    socket.pipe(socket);
  });
  server.maxConnections = 20_000;
  return listenTarget(server, sockets);
}

async function listenTarget(server: Server, sockets: Set<Socket>): Promise<BulkTarget> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Sends up to `bytes` on one connection and returns the sink's count. At the deadline it stops
 * sending and half-closes, so a slow path yields a shorter, still honest measurement; a hard
 * stop follows if the sink does not answer within a further 10 s.
 */
async function pushOne(
  port: number,
  bytes: number,
  deadline: number,
): Promise<{ sent: number; counted: number }> {
  const socket = await connectTcp(port);
  return new Promise((resolve, reject) => {
    let reply = '';
    let sent = 0;
    const timer = setTimeout(
      () => {
        socket.destroy();
        reject(new Error('the sink did not answer after the time box'));
      },
      Math.max(1, deadline - Date.now()) + 10_000,
    );
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => (reply += text));
    socket.on('end', () => {
      clearTimeout(timer);
      socket.destroy();
      const count = Number(reply.trim());
      if (Number.isFinite(count)) resolve({ sent, counted: count });
      else reject(new Error(`sink answered "${reply.trim()}"`));
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    const pump = (): void => {
      while (sent < bytes && Date.now() < deadline) {
        const size = Math.min(BLOCK.length, bytes - sent);
        sent += size;
        if (!socket.write(size === BLOCK.length ? BLOCK : BLOCK.subarray(0, size))) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.end();
    };
    pump();
  });
}

export interface ThroughputResult {
  readonly streams: number;
  readonly bytes: number;
  readonly seconds: number;
  /** Bytes per second, counted by the sink (what actually arrived). */
  readonly bytesPerSecond: number;
  /** CPU seconds each process on the path spent on this case (utime + stime from /proc). */
  readonly cpuSeconds: Readonly<Record<string, number>>;
  /** Set when the time box cut the case short: the rate is over what was sent. */
  readonly note: string | null;
  readonly error: string | null;
}

/** Per-process change between two samples (CPU seconds, RSS bytes). */
function delta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [role, value] of Object.entries(after)) out[role] = value - (before[role] ?? value);
  return out;
}

/** `streams` parallel uploads of totalBytes/streams each, timed until the sink has all of it. */
export async function measureThroughput(
  port: number,
  streams: number,
  totalBytes: number,
  timeBoxMs: number,
  sampleCpu: () => Record<string, number> = () => ({}),
): Promise<ThroughputResult> {
  const per = Math.floor(totalBytes / streams);
  const cpuBefore = sampleCpu();
  const start = process.hrtime.bigint();
  const deadline = Date.now() + timeBoxMs;
  try {
    const counts = await Promise.all(
      Array.from({ length: streams }, () => pushOne(port, per, deadline)),
    );
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const bytes = counts.reduce((a, b) => a + b.counted, 0);
    const sent = counts.reduce((a, b) => a + b.sent, 0);
    const error = bytes === sent ? null : `sink counted ${bytes} of ${sent} bytes sent`;
    const note =
      sent < per * streams
        ? `time box: ${(sent / 1024 / 1024).toFixed(0)} of ${((per * streams) / 1024 / 1024).toFixed(0)} MiB sent`
        : null;
    return {
      streams,
      bytes,
      seconds,
      bytesPerSecond: bytes / seconds,
      cpuSeconds: delta(cpuBefore, sampleCpu()),
      note,
      error,
    };
  } catch (error) {
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return {
      streams,
      bytes: 0,
      seconds,
      bytesPerSecond: 0,
      cpuSeconds: delta(cpuBefore, sampleCpu()),
      note: null,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

export interface LatencyResult {
  readonly count: number;
  readonly failures: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly error: string | null;
}

/** One connection: connect, send a byte, time until it comes back, then close. */
async function oneRoundTrip(port: number): Promise<number> {
  const start = process.hrtime.bigint();
  const socket = await connectTcp(port, '127.0.0.1', 10_000);
  socket.setNoDelay(true);
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no echo within 10 s'));
    }, 10_000);
    socket.once('data', () => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      socket.destroy();
      resolve(ms);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new Error('closed before the echo'));
    });
    socket.write('x');
  });
}

/** `count` sequential connections; stops early at the time box and says so. */
export async function measureLatency(
  port: number,
  count: number,
  timeBoxMs: number,
): Promise<LatencyResult> {
  const samples: number[] = [];
  let failures = 0;
  let lastError: string | null = null;
  const deadline = Date.now() + timeBoxMs;
  for (let i = 0; i < count && Date.now() < deadline; i++) {
    try {
      samples.push(await oneRoundTrip(port));
    } catch (error) {
      failures++;
      lastError = error instanceof Error ? error.message : String(error);
    }
  }
  samples.sort((a, b) => a - b);
  const done = samples.length + failures;
  const error =
    done < count
      ? `time box: ${done} of ${count} connections`
      : failures > 0
        ? `${failures} failed, last: ${lastError}`
        : null;
  return {
    count: samples.length,
    failures,
    p50Ms: percentile(samples, 50),
    p99Ms: percentile(samples, 99),
    error,
  };
}

export interface ConcurrencyResult {
  readonly wanted: number;
  readonly established: number;
  readonly failures: number;
  readonly firstError: string | null;
  /** Caller-measured RSS growth in bytes while the connections were held, per process role. */
  readonly rssGrowth: Readonly<Record<string, number>>;
  readonly bytesPerConnection: number | null;
}

/**
 * Opens `wanted` connections in parallel batches, checks each with a 1-byte echo, holds them,
 * samples RSS of the given processes, then closes them all.
 */
export async function measureConcurrency(
  port: number,
  wanted: number,
  sampleRss: () => Record<string, number>,
  timeBoxMs: number,
): Promise<ConcurrencyResult> {
  const before = sampleRss();
  const sockets: Socket[] = [];
  let failures = 0;
  let firstError: string | null = null;
  const deadline = Date.now() + timeBoxMs;
  const openOne = async (): Promise<void> => {
    const socket = await connectTcp(port, '127.0.0.1', Math.max(1, deadline - Date.now()));
    sockets.push(socket);
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('no echo in time')),
        Math.max(1, deadline - Date.now()),
      );
      socket.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('close', () => {
        clearTimeout(timer);
        reject(new Error('closed before the echo'));
      });
      socket.write('x');
    });
  };
  const BATCH = 50;
  for (let i = 0; i < wanted; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, wanted - i) }, () => openOne());
    for (const result of await Promise.allSettled(batch)) {
      if (result.status === 'rejected') {
        failures++;
        firstError ??=
          result.reason instanceof Error ? result.reason.message : String(result.reason);
      }
    }
  }
  // Let lazily allocated buffers settle before sampling.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  // All held connections must still be alive.
  const alive = sockets.filter((s) => !s.destroyed).length;
  const after = sampleRss();
  for (const socket of sockets) socket.destroy();
  const rssGrowth = delta(before, after);
  const total = Object.values(rssGrowth).reduce((sum, growth) => sum + growth, 0);
  const established = Math.min(alive, wanted - failures);
  return {
    wanted,
    established,
    failures: wanted - established,
    firstError,
    rssGrowth,
    bytesPerConnection:
      Object.keys(after).length === 0 || established === 0 ? null : total / established,
  };
}

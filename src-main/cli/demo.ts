// `npm run demo`: the whole product on loopback in one process, step by step. Starts a relay
// (throwaway certificate, random secret, targets limited to 127.0.0.1/32), an HTTP server and
// a checksumming sink, connects a client engine with two tunnels, fetches a page and moves a
// few MiB with SHA-256 checked at both ends, then closes everything. Exits non-zero on any
// failure. Prints no token.

import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import {
  createConnection,
  createServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';

import { createEngine } from '../engine/engine';
import type { Engine } from '../engine/types';
import { startRelay, type RelayServer } from '../relay/relay-server';
import { mintDevToken } from '../relay/tokens';
import type { EngineSnapshot } from '../shared/model';
import { formatBytes, formatTunnelLine, Reporter } from './format';

const MIB = 1024 * 1024;
const TRANSFER_BYTES = 8 * MIB;
const STEP_TIMEOUT_MS = 20_000;
const HTTP_BODY = 'hello from the target, through CloudBridge\n';

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function listen(server: Server | HttpServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what}: no result within ${STEP_TIMEOUT_MS / 1000} s`)),
      STEP_TIMEOUT_MS,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** A sink that hashes what it receives and answers `<bytes> <sha256>` after the client's FIN. */
function startHashingSink(sockets: Set<Socket>): Server {
  return createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const hash = createHash('sha256');
    let bytes = 0;
    socket.on('data', (data: Buffer) => {
      bytes += data.length;
      hash.update(data);
    });
    socket.on('end', () => socket.end(`${bytes} ${hash.digest('hex')}\n`));
    socket.on('error', () => socket.destroy());
  });
}

/** Sends `payload` in 64 KiB writes honouring back-pressure, half-closes, reads the sink's answer. */
function sendThrough(port: number, payload: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port, allowHalfOpen: true });
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => (answer += text));
    socket.on('end', () => {
      socket.destroy();
      resolve(answer.trim());
    });
    socket.on('error', reject);
    socket.on('connect', () => {
      let offset = 0;
      const pump = (): void => {
        while (offset < payload.length) {
          const chunk = payload.subarray(offset, offset + 64 * 1024);
          offset += chunk.length;
          if (!socket.write(chunk)) {
            socket.once('drain', pump);
            return;
          }
        }
        socket.end();
      };
      pump();
    });
  });
}

function waitFor(
  engine: Engine,
  what: string,
  done: (snapshot: EngineSnapshot) => boolean,
): Promise<EngineSnapshot> {
  const current = engine.snapshot();
  if (done(current)) return Promise.resolve(current);
  return withTimeout(
    new Promise<EngineSnapshot>((resolve) => {
      const off = engine.on('snapshot', (snapshot) => {
        if (!done(snapshot)) return;
        off();
        resolve(snapshot);
      });
    }),
    what,
  );
}

async function main(): Promise<void> {
  const closers: (() => Promise<void>)[] = [];
  const sockets = new Set<Socket>();
  try {
    say(
      'demo: 1. starting a relay on 127.0.0.1 (throwaway certificate, random secret, targets 127.0.0.1/32 only)',
    );
    const secret = randomBytes(32).toString('base64url');
    const relayLog: string[] = [];
    const relay: RelayServer = await startRelay({
      host: '127.0.0.1',
      port: 0,
      jwt: { hs256Secret: secret },
      allow: ['127.0.0.1/32'],
      log: (line) => relayLog.push(line),
    });
    closers.push(() => relay.close());
    if (relay.certPem === undefined) throw new Error('the relay did not report its certificate');
    say(`demo:    relay listening on ${relay.host}:${relay.port}, TLS 1.3`);

    say('demo: 2. starting the targets: an HTTP server and a SHA-256 sink');
    const http = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(HTTP_BODY);
    });
    http.keepAliveTimeout = 500;
    http.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    const httpPort = await listen(http);
    closers.push(() => new Promise((resolve) => http.close(() => resolve())));
    const sink = startHashingSink(sockets);
    const sinkPort = await listen(sink);
    closers.push(() => new Promise((resolve) => sink.close(() => resolve())));
    say(`demo:    http on 127.0.0.1:${httpPort}, sink on 127.0.0.1:${sinkPort}`);

    say('demo: 3. connecting a client engine with two tunnels');
    const token = await mintDevToken({ secret, sub: 'demo-user', ttlSec: 600 });
    const [httpLocal, dataLocal] = [await freePort(), await freePort()];
    const engine = createEngine({
      relay: { host: relay.host, port: relay.port, ca: relay.certPem, serverName: 'localhost' },
      tunnels: [
        {
          id: 't-http',
          name: 'http',
          kind: 'other',
          localHost: '127.0.0.1',
          localPort: httpLocal,
          remoteHost: '127.0.0.1',
          remotePort: httpPort,
          enabled: true,
        },
        {
          id: 't-data',
          name: 'data',
          kind: 'other',
          localHost: '127.0.0.1',
          localPort: dataLocal,
          remoteHost: '127.0.0.1',
          remotePort: sinkPort,
          enabled: true,
        },
      ],
      getToken: () => Promise.resolve(token),
    });
    closers.push(() => engine.close());
    const reporter = new Reporter({
      json: false,
      write: (line) => say(`demo:    ${line}`),
      now: () => Date.now(),
    });
    engine.on('snapshot', (snapshot) => reporter.snapshot(snapshot));
    engine.on('log', (record) => reporter.log(record));
    engine.connect();
    const active = await waitFor(
      engine,
      'connect',
      (s) =>
        (s.state === 'active' && s.tunnels.every((t) => t.status === 'listening')) ||
        (s.state === 'disconnected' && s.lastError !== null),
    );
    if (active.state !== 'active')
      throw new Error(
        `the engine did not connect: ${active.lastError?.code}: ${active.lastError?.message}`,
      );

    say(`demo: 4. HTTP GET http://127.0.0.1:${httpLocal}/ through tunnel t-http`);
    const response = await withTimeout(fetch(`http://127.0.0.1:${httpLocal}/`), 'HTTP fetch');
    const body = await response.text();
    if (response.status !== 200 || body !== HTTP_BODY)
      throw new Error(`unexpected HTTP answer ${response.status}: ${JSON.stringify(body)}`);
    say(`demo:    ${response.status}, ${JSON.stringify(body.trim())}`);

    say(
      `demo: 5. sending ${formatBytes(TRANSFER_BYTES)} (${TRANSFER_BYTES / MIB} MiB) of random bytes through tunnel t-data`,
    );
    const payload = randomBytes(TRANSFER_BYTES);
    const expected = createHash('sha256').update(payload).digest('hex');
    const started = process.hrtime.bigint();
    const answer = await withTimeout(sendThrough(dataLocal, payload), 'transfer');
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const [bytesText, digest] = answer.split(' ');
    const match = Number(bytesText) === TRANSFER_BYTES && digest === expected;
    say(
      `demo:    sink got ${bytesText} bytes, sha256 ${digest?.slice(0, 16)}..., sent ${expected.slice(0, 16)}...: ${match ? 'match' : 'MISMATCH'}`,
    );
    if (!match) throw new Error('the transfer arrived damaged');

    // Counters are throttled; give the engine one refresh before reading them.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const final = engine.snapshot();
    for (const tunnel of final.tunnels) say(`demo:    ${formatTunnelLine(tunnel)}`);
    const moved = final.tunnels.reduce((sum, t) => sum + t.bytesIn + t.bytesOut, 0);
    const stats = relay.stats();
    say(
      `demo:    relay: ${stats.sessions} session(s), ${stats.tunnels} tunnel(s), ${formatBytes(stats.bytesToTarget)} to targets, ${formatBytes(stats.bytesToClient)} to clients`,
    );

    say('demo: 6. closing client, relay and targets');
    for (const socket of sockets) socket.destroy();
    for (const close of closers.splice(0).reverse()) await close();
    say(
      `demo: ok, ${final.tunnels.length} tunnels, ${(moved / MIB).toFixed(1)} MiB through the relay, ` +
        `${TRANSFER_BYTES / MIB} MiB at ${(TRANSFER_BYTES / 1e6 / seconds).toFixed(0)} MB/s, sha256 match`,
    );
  } finally {
    for (const socket of sockets) socket.destroy();
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}

/** Exits once stdout has drained: on a pipe, process.exit() would drop the last lines. */
function exitAfterFlush(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.exit(code));
}

// If the event loop empties before main() settles (a close step waiting on nothing that
// keeps the process alive), say so and fail instead of exiting 0 without a summary.
let settled = false;
process.on('beforeExit', () => {
  if (settled) return;
  process.stderr.write('demo: FAILED: the run stopped before it finished\n');
  process.exitCode = 1;
});

main().then(
  () => {
    settled = true;
    exitAfterFlush(0);
  },
  (error: unknown) => {
    settled = true;
    process.stderr.write(
      `demo: FAILED: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    exitAfterFlush(1);
  },
);

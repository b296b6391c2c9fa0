// Hostile peers for attack and fuzz tests: a raw TLS client for throwing bytes at a relay, a
// frame builder that also builds the frames the codec refuses, and a TLS proxy that stands in
// front of a real relay and lets a test script speak for the relay on chosen connections.
// Owns no assertions; close what you start (afterEach).

import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import {
  connect as tlsConnect,
  createServer,
  type ConnectionOptions,
  type Server,
  type TLSSocket,
} from 'node:tls';
import type { TestPki } from './pki';

/** A TLS connection to `port` trusting the test CA; errors are swallowed (the peer may cut). */
export async function connectTls(port: number, caPem: string): Promise<TLSSocket> {
  const options: ConnectionOptions = {
    host: '127.0.0.1',
    port,
    ca: caPem,
    servername: 'localhost',
  };
  // allowHalfOpen is honoured by tls.connect but missing from its option type.
  const socket = tlsConnect({ ...options, ...({ allowHalfOpen: true } as ConnectionOptions) });
  socket.on('error', () => undefined);
  await once(socket, 'secureConnect');
  return socket;
}

/** Resolves once the peer has ended or closed `socket` (true), or after `timeoutMs` (false). */
export function closedWithin(socket: TLSSocket, timeoutMs: number): Promise<boolean> {
  if (socket.closed || socket.readableEnded) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    socket.once('end', done);
    socket.once('close', done);
    // 'end' comes only to a reader.
    socket.resume();
  });
}

/** Any 9-byte-header frame, valid or not: `length` defaults to the payload's. */
export function rawFrame(
  type: number,
  streamId: number,
  payload: Uint8Array = new Uint8Array(0),
  length = payload.length,
): Buffer {
  const out = Buffer.alloc(9 + payload.length);
  out[0] = type & 0xff;
  out.writeUInt32BE(streamId >>> 0, 1);
  out.writeUInt32BE(length >>> 0, 5);
  out.set(payload, 9);
  return out;
}

/** A WINDOW frame with any credit, 0 and over 2^31-1 included. */
export function windowFrame(streamId: number, credit: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(credit >>> 0);
  return rawFrame(7, streamId, payload);
}

export function jsonLine(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value) + '\n');
}

export type ConnectionKind = 'control' | 'mux' | 'stream';

/** What a script sees of one client connection it speaks for. */
export interface ScriptContext {
  readonly kind: ConnectionKind;
  readonly firstLine: Record<string, unknown>;
  /** Forwards the client's first line to the real relay and returns the relay's answer line. */
  relayAnswer(timeoutMs?: number): Promise<Buffer>;
  /** Writes to the client (nothing once it has gone). */
  send(bytes: Buffer | string): void;
  /** The next bytes the client sends after its first line; null once it closed or on timeout. */
  nextClientBytes(timeoutMs?: number): Promise<Buffer | null>;
  readonly clientClosed: boolean;
}

/** Speaks for the relay on one connection; the proxy closes the connection when it resolves. */
export type Script = (ctx: ScriptContext) => Promise<void>;

export interface MutatingProxy {
  readonly port: number;
  /** Connections seen per kind, counted when their first line arrived. */
  readonly seen: Record<ConnectionKind, number>;
  /** Scripts for connections whose first line arrives from now on; null passes them through. */
  setScript(kind: ConnectionKind, script: Script | null): void;
  /** Writes `bytes` to every live control connection between two of the relay's lines. */
  injectControl(bytes: Buffer): number;
  /** Cuts every passed-through connection of `kind` (the client opens new ones). */
  cut(kind: ConnectionKind): number;
  /** Scripted connections still running. */
  readonly scriptsRunning: number;
  close(): Promise<void>;
}

export interface MutatingProxyOptions {
  readonly pki: TestPki;
  readonly upstreamPort: number;
  /** Removes `tcp_mux` from the relay's hello_response, so the client uses one connection per stream. */
  readonly stripMux?: boolean;
}

const MAX_FIRST_LINE = 64 * 1024;

function kindOf(line: Record<string, unknown>): ConnectionKind {
  if (line['type'] === 'mux_open') return 'mux';
  if (line['type'] === 'stream_open') return 'stream';
  return 'control';
}

/**
 * A TLS server with the test certificate in front of the relay on `upstreamPort`. Each client
 * connection is classified by its first line; a connection of a kind with a script gets the
 * script instead of the relay, every other one is passed through byte for byte (control lines
 * are forwarded whole, so injected lines land between the relay's).
 */
export async function startMutatingProxy(options: MutatingProxyOptions): Promise<MutatingProxy> {
  const scripts: Record<ConnectionKind, Script | null> = { control: null, mux: null, stream: null };
  const seen: Record<ConnectionKind, number> = { control: 0, mux: 0, stream: 0 };
  const sockets = new Set<TLSSocket>();
  const controls = new Set<(bytes: Buffer) => void>();
  const passed: Record<ConnectionKind, Set<TLSSocket>> = {
    control: new Set(),
    mux: new Set(),
    stream: new Set(),
  };
  let running = 0;

  const dialUpstream = (): Promise<TLSSocket> =>
    connectTls(options.upstreamPort, options.pki.caPem);
  const track = (socket: TLSSocket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const passThrough = async (
    client: TLSSocket,
    kind: ConnectionKind,
    head: Buffer,
  ): Promise<void> => {
    const upstream = await dialUpstream();
    track(upstream);
    if (client.destroyed) {
      upstream.destroy();
      return;
    }
    const teardown = (): void => {
      passed[kind].delete(client);
      client.destroy();
      upstream.destroy();
    };
    passed[kind].add(client);
    client.on('close', teardown);
    upstream.on('close', teardown);
    upstream.write(head);
    client.on('data', (chunk: Buffer) => {
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.resume();
    if (kind !== 'control') {
      upstream.on('data', (chunk: Buffer) => {
        if (!client.write(chunk)) upstream.pause();
      });
      client.on('drain', () => upstream.resume());
      return;
    }
    // Control: whole lines only, so injected lines never split one of the relay's.
    let tail: Buffer = Buffer.alloc(0);
    const inject = (bytes: Buffer): void => void client.write(bytes);
    controls.add(inject);
    client.once('close', () => controls.delete(inject));
    upstream.on('data', (chunk: Buffer) => {
      const data = Buffer.concat([tail, chunk]);
      const cut = data.lastIndexOf(0x0a) + 1;
      tail = data.subarray(cut);
      if (cut === 0) return;
      let lines: Buffer = data.subarray(0, cut);
      if (options.stripMux === true) lines = stripMuxFeature(lines);
      client.write(lines);
    });
  };

  const runScript = async (
    client: TLSSocket,
    kind: ConnectionKind,
    firstLine: Record<string, unknown>,
    head: Buffer,
    rest: Buffer,
    script: Script,
  ): Promise<void> => {
    const queue: Buffer[] = rest.length > 0 ? [rest] : [];
    let wake: (() => void) | null = null;
    client.on('data', (chunk: Buffer) => {
      queue.push(chunk);
      wake?.();
    });
    client.once('close', () => wake?.());
    client.resume();
    let upstream: TLSSocket | null = null;
    const ctx: ScriptContext = {
      kind,
      firstLine,
      async relayAnswer(timeoutMs = 5_000) {
        upstream = await dialUpstream();
        track(upstream);
        upstream.write(head);
        let got: Buffer = Buffer.alloc(0);
        const deadline = Date.now() + timeoutMs;
        while (got.indexOf(0x0a) === -1) {
          const left = deadline - Date.now();
          if (left <= 0 || upstream.destroyed) throw new Error('relay did not answer');
          const chunk = await Promise.race([
            once(upstream, 'data').then(([c]) => c as Buffer),
            new Promise<null>((resolve) => setTimeout(() => resolve(null), left)),
          ]);
          if (chunk !== null) got = Buffer.concat([got, chunk]);
        }
        // What the relay says after its answer is not passed on: the script speaks from here.
        upstream.on('data', () => undefined);
        return got.subarray(0, got.indexOf(0x0a) + 1);
      },
      send(bytes) {
        if (!client.destroyed) client.write(bytes);
      },
      async nextClientBytes(timeoutMs = 2_000) {
        const deadline = Date.now() + timeoutMs;
        while (queue.length === 0 && !client.destroyed) {
          const left = deadline - Date.now();
          if (left <= 0) return null;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, left);
            wake = () => {
              clearTimeout(timer);
              wake = null;
              resolve();
            };
          });
        }
        return queue.shift() ?? null;
      },
      get clientClosed() {
        return client.destroyed;
      },
    };
    running += 1;
    try {
      await script(ctx);
    } finally {
      running -= 1;
      client.destroy();
      (upstream as TLSSocket | null)?.destroy();
    }
  };

  const server: Server = createServer(
    { cert: options.pki.serverEc.cert, key: options.pki.serverEc.key, allowHalfOpen: true },
    (client) => {
      track(client);
      client.on('error', () => undefined);
      let buffered = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        buffered = Buffer.concat([buffered, chunk]);
        const newline = buffered.indexOf(0x0a);
        if (newline === -1) {
          if (buffered.length > MAX_FIRST_LINE) client.destroy();
          return;
        }
        client.off('data', onData);
        client.pause();
        let firstLine: Record<string, unknown>;
        try {
          firstLine = JSON.parse(buffered.subarray(0, newline).toString('utf8')) as Record<
            string,
            unknown
          >;
        } catch {
          client.destroy();
          return;
        }
        const kind = kindOf(firstLine);
        seen[kind] += 1;
        const head = buffered.subarray(0, newline + 1);
        const rest = buffered.subarray(newline + 1);
        const script = scripts[kind];
        const done =
          script === null
            ? passThrough(client, kind, buffered)
            : runScript(client, kind, firstLine, head, rest, script);
        done.catch(() => client.destroy());
      };
      client.on('data', onData);
    },
  );
  // Raw connections too, so close() also ends one still in its TLS handshake.
  const raw = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    raw.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => raw.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    setScript(kind, script) {
      scripts[kind] = script;
    },
    injectControl(bytes) {
      for (const inject of controls) inject(bytes);
      return controls.size;
    },
    cut(kind) {
      const live = [...passed[kind]];
      for (const socket of live) socket.destroy();
      return live.length;
    },
    get scriptsRunning() {
      return running;
    },
    async close() {
      for (const socket of [...sockets, ...raw]) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function stripMuxFeature(lines: Buffer): Buffer {
  const out = lines
    .toString('utf8')
    .split('\n')
    .map((line) => {
      if (!line.includes('tcp_mux')) return line;
      const message = JSON.parse(line) as Record<string, unknown>;
      const strip = (holder: unknown): void => {
        if (holder === null || typeof holder !== 'object') return;
        const record = holder as Record<string, unknown>;
        if (Array.isArray(record['features']))
          record['features'] = record['features'].filter((f) => f !== 'tcp_mux');
      };
      // hello_response lists features, and auth_response repeats them in server_info.
      strip(message);
      strip(message['server_info']);
      return JSON.stringify(message);
    });
  return Buffer.from(out.join('\n'));
}

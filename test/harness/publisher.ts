// A publishing computer on the wire (docs/protocol.md "Published servers"), for relay tests and
// as the engine's reference: a control session that registers a name, a serving connection
// that answers the relay's OPENs by dialling 127.0.0.1:port, and the consumer's side of a
// tunnel to it (tunnel_info with `server`, streams over tcp_mux or classic data connections).
// Built on the shared wire code (src-main/protocol) only, not on the engine.
//
//   const pub = await publish({ relay, token, name: 'office-pc', ports: [3389], targets: { 3389: rdp.port } });
//   await pub.openServing();
//   const tunnel = await reachServer({ relay, token: aliceToken, server: 'office-pc', port: 3389 });
//   const socket = await connectTcp(tunnel.localPort);

import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { LineDecoder, type JsonObject } from '../../src-main/protocol/codec';
import { MuxConnection, type MuxStream } from '../../src-main/protocol/mux-connection';
import {
  readRegisterResponse,
  readServerOpen,
  type ServerOpen,
} from '../../src-main/protocol/server-messages';
import { connectRawClient, type RawRelayClient, type RelayAccess } from './relay';

type Relay = Pick<RelayAccess, 'host' | 'port' | 'caPem'>;
const PING_INTERVAL_MS = 30_000;

/** A control session past hello and auth; one leading relay `hello` is skipped. */
export async function authedSession(relay: Relay, token: string): Promise<RawRelayClient> {
  const client = await connectRawClient(relay);
  client.send({ type: 'hello', version: '1.0', features: ['tcp_stream', 'tcp_mux'] });
  let answer = await client.next();
  if (answer['type'] === 'hello') answer = await client.next();
  if (answer['type'] !== 'hello_response')
    throw new Error(`hello answered ${JSON.stringify(answer)}`);
  client.send({ type: 'auth', token });
  const auth = await client.next();
  if (auth['type'] !== 'auth_response') throw new Error(`auth answered ${JSON.stringify(auth)}`);
  return client;
}

/**
 * A TLS data connection whose first line is `first`, sent `silentMs` after the handshake (a
 * warm-pool connection waits); resolves with the answer, the bytes after it, and whether a
 * leading relay hello was skipped.
 */
export async function dataConnection(
  relay: Relay,
  first: JsonObject,
  tlsOptions: ConnectionOptions = {},
  silentMs = 0,
): Promise<{ socket: Socket; answer: JsonObject; rest: Buffer; greeted: boolean }> {
  const socket = tlsConnect({
    host: relay.host,
    port: relay.port,
    ca: relay.caPem,
    servername: 'localhost',
    ...({ allowHalfOpen: true } as ConnectionOptions),
    ...tlsOptions,
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  const decoder = new LineDecoder(64 * 1024);
  let skipped = false;
  const answered = new Promise<{
    socket: Socket;
    answer: JsonObject;
    rest: Buffer;
    greeted: boolean;
  }>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      let data = chunk;
      for (;;) {
        const answer = decoder.push(data, 1)[0];
        if (answer === undefined) return;
        // The relay greets a connection that stayed silent: one leading hello is not the answer.
        if (answer['type'] === 'hello' && !skipped) {
          skipped = true;
          data = decoder.takeRest();
          continue;
        }
        socket.off('data', onData);
        socket.pause();
        resolve({ socket, answer, rest: decoder.takeRest(), greeted: skipped });
        return;
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('data connection closed before its answer')));
  });
  if (silentMs > 0) await new Promise((resolve) => setTimeout(resolve, silentMs));
  socket.write(JSON.stringify(first) + '\n');
  return answered;
}

export interface PublisherOptions {
  readonly relay: Relay;
  readonly token: string;
  readonly name: string;
  readonly ports: readonly number[];
  readonly publicKey?: string | null;
  readonly allowedSubs?: readonly string[];
  /** The local port that serves each published port (default: the same number). */
  readonly targets?: Readonly<Record<number, number>>;
  /** Never answer the relay's OPENs (a computer that hangs): they are only recorded. */
  readonly hold?: boolean;
}

export interface Publisher {
  /** The last register_response (or error) the relay sent. */
  readonly answer: JsonObject;
  readonly tunnelId: string;
  readonly serveToken: string;
  readonly control: RawRelayClient;
  /** Every OPEN payload the relay sent, in order. */
  readonly opens: ServerOpen[];
  /** Streams being carried now. */
  readonly active: number;
  /** Opens a serving connection (a new one takes over from the last). */
  openServing(): Promise<MuxConnection>;
  /** Destroys the serving connections (the relay sees them go). */
  dropServing(): void;
  /** Destroys the control connection. */
  dropControl(): void;
  /** A new control session sending the same register; resolves with the relay's answer. */
  reconnect(token?: string): Promise<JsonObject>;
  close(): void;
}

function registerMessage(options: PublisherOptions): JsonObject {
  return {
    type: 'register',
    tunnel_info: {
      name: options.name,
      protocol: 'tcp',
      ports: [...options.ports],
      ...(options.publicKey !== undefined ? { public_key: options.publicKey } : {}),
      ...(options.allowedSubs !== undefined ? { allowed_subs: [...options.allowedSubs] } : {}),
    },
  };
}

/** Registers `name`; throws with the relay's answer when it is refused. */
export async function publish(options: PublisherOptions): Promise<Publisher> {
  let control = await authedSession(options.relay, options.token);
  control.send(registerMessage(options));
  let answer = await control.next();
  const registered = readRegisterResponse(answer);
  if (registered === null) {
    control.destroy();
    throw Object.assign(new Error(`register refused: ${JSON.stringify(answer)}`), { answer });
  }
  const serving = new Set<MuxConnection>();
  const carried = new Set<Socket>();
  const opens: ServerOpen[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const onOpen = (stream: MuxStream, payload: Buffer): void => {
    const open = readServerOpen(payload);
    if (open === null || !options.ports.includes(open.port)) {
      stream.refuse({
        type: 'error',
        code: 'data_transfer_failed',
        message: 'not a published port',
        details: { reason: 'port_not_published' },
      });
      return;
    }
    opens.push(open);
    if (options.hold === true) return;
    const local = netConnect({
      host: '127.0.0.1',
      port: options.targets?.[open.port] ?? open.port,
      allowHalfOpen: true,
    });
    local.on('error', () => undefined);
    local.once('error', (error: NodeJS.ErrnoException) => {
      if (!local.connecting) return;
      stream.refuse({
        type: 'error',
        code: 'data_transfer_failed',
        message: error.message,
        details: { reason: error.code ?? 'connect_error' },
      });
    });
    local.once('connect', () => {
      local.setNoDelay(true);
      carried.add(local);
      local.once('close', () => carried.delete(local));
      stream.attach(local);
      stream.accept();
    });
    stream.onEnd = () => {
      if (local.connecting) local.destroy();
    };
  };

  const publisher: Publisher = {
    get answer() {
      return answer;
    },
    tunnelId: registered.tunnelId,
    serveToken: registered.serveToken,
    get control() {
      return control;
    },
    opens,
    get active() {
      return carried.size;
    },
    async openServing() {
      const {
        socket,
        answer: opened,
        rest,
      } = await dataConnection(options.relay, {
        type: 'mux_open',
        serve: registered.tunnelId,
        serve_token: registered.serveToken,
      });
      if (opened['type'] !== 'mux_response' || opened['status'] !== 'ok') {
        socket.destroy();
        throw Object.assign(new Error(`serve refused: ${JSON.stringify(opened)}`), {
          answer: opened,
        });
      }
      const timer = setInterval(() => conn.ping(Buffer.alloc(8)), PING_INTERVAL_MS);
      timer.unref();
      timers.add(timer);
      const conn: MuxConnection = new MuxConnection({
        socket,
        role: 'client',
        initial: rest,
        window: Number(opened['window']),
        maxStreams: Number(opened['max_streams']),
        onOpen,
        onClosed: () => {
          serving.delete(conn);
          clearInterval(timer);
          timers.delete(timer);
        },
      });
      serving.add(conn);
      return conn;
    },
    dropServing() {
      for (const conn of serving) conn.destroy();
    },
    dropControl() {
      control.destroy();
    },
    async reconnect(token = options.token) {
      control.destroy();
      control = await authedSession(options.relay, token);
      control.send(registerMessage(options));
      answer = await control.next();
      return answer;
    },
    close() {
      for (const timer of timers) clearInterval(timer);
      for (const conn of serving) conn.destroy();
      for (const socket of carried) socket.destroy();
      control.destroy();
    },
  };
  return publisher;
}

export interface ServerTunnel {
  /** A local listener whose connections reach the server through the relay. */
  readonly localPort: number;
  /** The tunnel_response. */
  readonly answer: JsonObject;
  readonly control: RawRelayClient;
  /** Refusals and resets of the streams, as the relay's error JSON (mux) or line (classic). */
  readonly failures: JsonObject[];
  close(): Promise<void>;
}

/**
 * The consumer's side: registers a tunnel to `server:port` and carries each local connection
 * as a mux stream (or, with `classic`, on a data connection of its own).
 */
export async function reachServer(options: {
  readonly relay: Relay;
  readonly token: string;
  readonly server: string;
  readonly port: number;
  readonly tunnelId?: string;
  readonly classic?: boolean;
}): Promise<ServerTunnel> {
  const control = await authedSession(options.relay, options.token);
  const tunnelId = options.tunnelId ?? `t-${options.server}-${options.port}`;
  control.send({
    type: 'tunnel_info',
    tunnel_id: tunnelId,
    local_port: 1,
    server: options.server,
    remote_port: options.port,
  });
  const answer = await control.next();
  if (answer['type'] !== 'tunnel_response') {
    control.destroy();
    throw Object.assign(new Error(`tunnel refused: ${JSON.stringify(answer)}`), { answer });
  }
  const open = { tunnel_id: tunnelId, stream_token: String(answer['stream_token']) };
  const failures: JsonObject[] = [];
  const sockets = new Set<Socket>();
  let mux: MuxConnection | null = null;
  if (options.classic !== true) {
    const {
      socket,
      answer: opened,
      rest,
    } = await dataConnection(options.relay, { type: 'mux_open' });
    if (opened['type'] !== 'mux_response')
      throw new Error(`mux refused: ${JSON.stringify(opened)}`);
    mux = new MuxConnection({
      socket,
      role: 'client',
      initial: rest,
      window: Number(opened['window']),
      maxStreams: Number(opened['max_streams']),
      onClosed: () => undefined,
    });
  }
  const onLocal = (local: Socket): void => {
    sockets.add(local);
    local.once('close', () => sockets.delete(local));
    local.on('error', () => undefined);
    local.setNoDelay(true);
    if (mux !== null) {
      const stream = mux.openStream(Buffer.from(JSON.stringify(open)));
      stream.onEnd = (end) => {
        if (end.payload !== null)
          failures.push(JSON.parse(end.payload.toString('utf8')) as JsonObject);
      };
      stream.attach(local);
      return;
    }
    local.pause();
    dataConnection(options.relay, { type: 'stream_open', ...open }).then(
      ({ socket, answer: response, rest }) => {
        if (response['type'] !== 'stream_response') {
          failures.push(response);
          socket.destroy();
          local.resetAndDestroy();
          return;
        }
        sockets.add(socket);
        if (rest.length > 0) local.write(rest);
        local.pipe(socket);
        socket.pipe(local);
        socket.resume();
        local.resume();
        socket.once('close', () => local.destroy());
        local.once('close', () => socket.destroy());
      },
      () => local.resetAndDestroy(),
    );
  };
  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, onLocal);
  const localPort = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    }),
  );
  return {
    localPort,
    answer,
    control,
    failures,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      mux?.destroy();
      control.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

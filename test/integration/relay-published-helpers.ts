// Shared parts of the published-server and greeting tests: the real relay process
// (relay-hardening-helpers.ts) with metrics and its JSON log, publishing computers and
// consumers on the wire (harness/publisher.ts), keys for `public_key`, target services, and one
// cleanup for all of them (afterEach). Owns no assertions.

import { generateKeyPairSync } from 'node:crypto';
import { createServer, connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import {
  publish,
  reachServer,
  type Publisher,
  type PublisherOptions,
  type ServerTunnel,
} from '../harness/publisher';
import { connectRawClient, type RawRelayClient } from '../harness/relay';
import {
  connectTcp,
  startEchoServer,
  startSinkServer,
  startSourceServer,
  type SinkServer,
  type SourceServer,
  type TestServer,
} from '../harness/traffic';
import {
  closeHardenedRelays,
  destroyAttackSockets,
  startHardenedRelay,
  type HardenedRelay,
  type HardenedRelayOptions,
} from './relay-hardening-helpers';

const closers: Array<() => unknown> = [];

/** Closes everything the helpers below started (afterEach). */
export async function cleanupPublished(): Promise<void> {
  for (const close of closers.splice(0).reverse()) {
    try {
      await close();
    } catch {
      // already gone
    }
  }
  destroyAttackSockets();
  await closeHardenedRelays();
}

export function relayProcess(options: HardenedRelayOptions = {}): Promise<HardenedRelay> {
  return startHardenedRelay(options);
}

export async function publisher(
  relay: HardenedRelay,
  sub: string,
  options: Omit<PublisherOptions, 'relay' | 'token'> & { tenant?: string },
): Promise<Publisher> {
  const { tenant, ...rest } = options;
  const pub = await publish({
    relay,
    token: await relay.token(sub, tenant !== undefined ? { tenant } : {}),
    ...rest,
  });
  closers.push(() => pub.close());
  return pub;
}

export async function consumer(
  relay: HardenedRelay,
  sub: string,
  options: { server: string; port: number; classic?: boolean; tunnelId?: string; tenant?: string },
): Promise<ServerTunnel> {
  const { tenant, ...rest } = options;
  const tunnel = await reachServer({
    relay,
    token: await relay.token(sub, tenant !== undefined ? { tenant } : {}),
    ...rest,
  });
  closers.push(() => tunnel.close());
  return tunnel;
}

/** A target service that hands each connection to `serve`. */
export async function target(serve: (socket: Socket) => void): Promise<TestServer> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    count += 1;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    serve(socket);
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
  const closing = {
    port,
    get connections() {
      return count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  closers.push(() => closing.close());
  return closing;
}

/** A plain TCP connection to a local port, closed after the test; `halfOpen` keeps writing after a FIN. */
export async function local(port: number, halfOpen = false): Promise<Socket> {
  const socket = halfOpen
    ? await new Promise<Socket>((resolve, reject) => {
        const s = netConnect({ host: '127.0.0.1', port, allowHalfOpen: true });
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      })
    : await connectTcp(port);
  socket.on('error', () => undefined);
  closers.push(() => socket.destroy());
  return socket;
}

export async function echo(): Promise<TestServer> {
  const server = await startEchoServer();
  closers.push(() => server.close());
  return server;
}

export async function sink(): Promise<SinkServer> {
  const server = await startSinkServer();
  closers.push(() => server.close());
  return server;
}

export async function source(bytes: number, seed: number): Promise<SourceServer> {
  const server = await startSourceServer(bytes, seed);
  closers.push(() => server.close());
  return server;
}

/** A line client that is closed after the test. */
export async function lines(relay: HardenedRelay): Promise<RawRelayClient> {
  const client = await connectRawClient(relay);
  closers.push(() => client.destroy());
  return client;
}

/** A raw TLS connection to the relay that sends nothing by itself. */
export async function silentTls(
  relay: HardenedRelay,
  options: ConnectionOptions = {},
): Promise<TLSSocket> {
  const socket = tlsConnect({
    host: relay.host,
    port: relay.port,
    ca: relay.caPem,
    servername: 'localhost',
    ...options,
  });
  socket.on('error', () => undefined);
  closers.push(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  return socket;
}

/** Every JSON line a socket receives, as it comes, with the time it came. */
export function collectLines(socket: Socket): Array<{ at: number; line: Record<string, unknown> }> {
  const seen: Array<{ at: number; line: Record<string, unknown> }> = [];
  let pending = '';
  socket.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const text = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (text.trim() !== '') seen.push({ at: Date.now(), line: JSON.parse(text) as never });
    }
  });
  return seen;
}

/** The base64 DER SPKI of a fresh key of `type` (what a publishing computer registers). */
export function publicKey(
  type: 'ec' | 'ed25519' | 'rsa' = 'ec',
  detail: { namedCurve?: string; modulusLength?: number } = {},
): string {
  const pair =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: detail.namedCurve ?? 'P-256' })
      : type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: detail.modulusLength ?? 2048 })
        : generateKeyPairSync('ed25519');
  return pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}

/** The relay's JSON log records of one event. */
export function events(
  relay: HardenedRelay,
  event: string,
): Array<{ level: string; event: string; details: Record<string, unknown> }> {
  return relay.logs.filter((record) => record.event === event);
}

export type { HardenedRelay, Publisher, ServerTunnel };

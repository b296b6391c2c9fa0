// The attacker of `npm run soak`, run as its own child process so its CPU is its own: the
// floods of docs/protocol.md#limits at once, each from addresses of 127.0.0.0/8 other than the
// legitimate client's, each keeping its own number of connections alive until told to stop.
// Reports what it did as one JSON line on stdout. Never reads answers it means to leave unread.

import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { encodeFrame, FrameType } from '../src-main/protocol/mux-frames';

export interface AttackPlan {
  readonly port: number;
  readonly caPem: string;
  /** A valid token of an abusive but authenticated client. */
  readonly token: string;
  /** Run only these attacks (by their names in the report); default all. */
  readonly only?: readonly string[];
}

export interface AttackCounts {
  [attack: string]: { opened: number; failed: number };
}

const HALF_CLIENT_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]);
const PINGS = Buffer.concat(
  Array.from({ length: 4_096 }, () => encodeFrame(FrameType.PING, 0, Buffer.from('soakping'))),
);
const UNKNOWN = Buffer.from('{"type":"teleport"}\n'.repeat(1_000));

let stopping = false;
const counts: AttackCounts = {};
const live = new Set<Socket>();

function count(attack: string, ok: boolean): void {
  const entry = (counts[attack] ??= { opened: 0, failed: 0 });
  if (ok) entry.opened += 1;
  else entry.failed += 1;
}

let sourceIndex = 0;
/** A small botnet: 127.0.1.1 .. 127.0.4.10, never 127.0.0.1 (the legitimate client's). */
function nextSource(): string {
  sourceIndex = (sourceIndex + 1) % 40;
  return `127.0.${1 + Math.floor(sourceIndex / 10)}.${1 + (sourceIndex % 10)}`;
}

function track<T extends Socket>(socket: T): T {
  live.add(socket);
  socket.on('error', () => undefined);
  socket.once('close', () => live.delete(socket));
  return socket;
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function tcp(plan: AttackPlan): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = track(
      netConnect({ host: '127.0.0.1', port: plan.port, localAddress: nextSource() }),
    );
    socket.once('connect', () => resolve(socket));
    socket.once('error', () => resolve(null));
  });
}

function tls(plan: AttackPlan): Promise<TLSSocket | null> {
  return new Promise((resolve) => {
    // tls.connect hands localAddress on to net.connect; its type does not list it.
    const options = {
      host: '127.0.0.1',
      port: plan.port,
      ca: plan.caPem,
      servername: 'localhost',
      localAddress: nextSource(),
    } as ConnectionOptions;
    const socket = track(tlsConnect(options));
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', () => resolve(null));
    socket.once('close', () => resolve(null));
  });
}

/** Keeps `width` copies of `one` running until stop. */
async function keep(width: number, one: () => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (!stopping) {
        await one();
        await pause(10);
      }
    }),
  );
}

/** Item 2: connect+close, half a ClientHello, silence. */
function handshakeFlood(plan: AttackPlan): Promise<void> {
  let turn = 0;
  return keep(60, async () => {
    const socket = await tcp(plan);
    count('handshake_flood', socket !== null);
    if (socket === null) return;
    turn += 1;
    if (turn % 3 === 0) socket.end();
    else if (turn % 3 === 1) socket.write(HALF_CLIENT_HELLO);
    await closed(socket);
  });
}

/** Item 4: sessions that say hello and nothing else, and mux connections that idle. */
function helloOnly(plan: AttackPlan): Promise<void> {
  return keep(100, async () => {
    const socket = await tls(plan);
    count('hello_only', socket !== null);
    if (socket === null) return;
    socket.write('{"type":"hello","version":"1.0","features":[]}\n');
    await closed(socket);
  });
}

function idleMux(plan: AttackPlan): Promise<void> {
  return keep(60, async () => {
    const socket = await tls(plan);
    count('idle_mux', socket !== null);
    if (socket === null) return;
    socket.write('{"type":"mux_open"}\n');
    await closed(socket);
  });
}

/** Item 3: PINGs as fast as the socket takes them, answers never read. */
function pingFlood(plan: AttackPlan): Promise<void> {
  return keep(4, async () => {
    const socket = await tls(plan);
    count('unread_ping_flood', socket !== null);
    if (socket === null) return;
    socket.pause();
    socket.write('{"type":"mux_open"}\n');
    while (!socket.destroyed && !stopping) {
      if (!socket.write(PINGS)) await Promise.race([closed(socket), drained(socket)]);
    }
  });
}

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.once('drain', () => resolve()));
}

/** Item 5: a long line as 1-byte TLS records, before auth and after. */
function slowLines(plan: AttackPlan, authenticated: boolean): Promise<void> {
  return keep(4, async () => {
    const socket = await tls(plan);
    count(
      authenticated ? 'one_byte_records_after_auth' : 'one_byte_records_before_auth',
      socket !== null,
    );
    if (socket === null) return;
    socket.on('data', () => undefined);
    if (authenticated) socket.write(`${JSON.stringify({ type: 'auth', token: plan.token })}\n`);
    socket.write('{"type":"heartbeat","pad":"');
    const byte = Buffer.from('a');
    while (!socket.destroyed && !stopping) {
      await new Promise<void>((resolve) => socket.write(byte, () => resolve()));
    }
  });
}

/** Item 12: unknown messages by the thousand, half of the sessions never reading the answers. */
function unknownFlood(plan: AttackPlan): Promise<void> {
  let turn = 0;
  return keep(4, async () => {
    const socket = await tls(plan);
    count('unknown_message_flood', socket !== null);
    if (socket === null) return;
    turn += 1;
    if (turn % 2 === 0) socket.on('data', () => undefined);
    else socket.pause();
    socket.write(`${JSON.stringify({ type: 'auth', token: plan.token })}\n`);
    while (!socket.destroyed && !stopping) {
      if (!socket.write(UNKNOWN)) await Promise.race([closed(socket), drained(socket)]);
      await pause(1);
    }
  });
}

/** Runs every attack until SIGTERM, then prints the counts and exits. */
export async function runAttacks(plan: AttackPlan): Promise<void> {
  const finish = (): void => {
    stopping = true;
    for (const socket of live) socket.destroy();
  };
  process.once('SIGTERM', finish);
  process.once('SIGINT', finish);
  const attacks: Record<string, () => Promise<void>> = {
    handshake_flood: () => handshakeFlood(plan),
    hello_only: () => helloOnly(plan),
    idle_mux: () => idleMux(plan),
    unread_ping_flood: () => pingFlood(plan),
    one_byte_records_before_auth: () => slowLines(plan, false),
    one_byte_records_after_auth: () => slowLines(plan, true),
    unknown_message_flood: () => unknownFlood(plan),
  };
  const chosen = plan.only ?? Object.keys(attacks);
  await Promise.all(chosen.map((name) => attacks[name]?.() ?? Promise.resolve()));
  process.stdout.write(`${JSON.stringify(counts)}\n`, () => process.exit(0));
}

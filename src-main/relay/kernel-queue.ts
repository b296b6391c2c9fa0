// How many bytes the kernel holds unsent or unacknowledged in a TCP socket's send queue, read
// from /proc/net/tcp and /proc/net/tcp6 (Linux; `tx_queue`), for the buffer ceiling
// (stream-budget.ts). Node has no API for a socket's send queue. Reads only; elsewhere there
// is no reader and the budget estimates instead.

import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { endianness } from 'node:os';
import { parseV6 } from './cidr';

/** socket key (procKeyOf) -> bytes in its send queue. */
export type SendQueues = ReadonlyMap<string, number>;

export type SendQueueReader = () => Promise<SendQueues>;

const LITTLE_ENDIAN = endianness() === 'LE';

/** A 32-bit word as /proc prints it: the address bytes in memory order, read as a host u32. */
function word(bytes: readonly number[]): string {
  const ordered = LITTLE_ENDIAN ? [...bytes].reverse() : bytes;
  return ordered
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
}

function addressHex(address: string): string | null {
  if (!address.includes(':')) {
    const bytes = address.split('.').map(Number);
    if (bytes.length !== 4 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255))
      return null;
    return word(bytes);
  }
  const value = parseV6(address);
  if (value === null) return null;
  let out = '';
  for (let w = 3; w >= 0; w--) {
    const bits = (value >> BigInt(w * 32)) & 0xffffffffn;
    out += word([24, 16, 8, 0].map((shift) => Number((bits >> BigInt(shift)) & 0xffn)));
  }
  return out;
}

function endpoint(address: string | undefined, port: number | undefined): string | null {
  if (address === undefined || port === undefined) return null;
  const hex = addressHex(address);
  return hex === null ? null : `${hex}:${port.toString(16).padStart(4, '0').toUpperCase()}`;
}

/** The key of a connected socket's line in /proc/net/tcp{,6}, or null if it has no addresses. */
export function procKeyOf(socket: Socket): string | null {
  const local = endpoint(socket.localAddress, socket.localPort);
  const remote = endpoint(socket.remoteAddress, socket.remotePort);
  return local === null || remote === null ? null : `${local} ${remote}`;
}

/**
 * States whose sockets the relay never writes to: TIME_WAIT, CLOSE, LISTEN. A machine that
 * closed many connections lists tens of thousands in TIME_WAIT; skipping them keeps a reading
 * as small as the sockets that can hold bytes.
 */
const IDLE_STATES: ReadonlySet<string> = new Set(['06', '07', '0A']);
const NEWLINE = 0x0a;
const SPACE = 0x20;
const COLON = 0x3a;

function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/**
 * Adds `LOCAL REMOTE` -> tx_queue of each whole line of /proc/net/tcp{,6} in bytes[from, to)
 * to `into`; the header and anything malformed are skipped. Reads bytes in place and makes a
 * string only for a socket it keeps: a reading runs every 250 ms while a client is over its
 * ceiling, over every socket of the machine.
 */
function parseLines(bytes: Buffer, from: number, to: number, into: Map<string, number>): void {
  let at = from;
  while (at < to) {
    let end = bytes.indexOf(NEWLINE, at);
    if (end === -1 || end > to) end = to;
    // "   1: 0100007F:8AF2 0100007F:A483 01 003F4000:00000010 ..."
    const colon = bytes.indexOf(': ', at, 'latin1');
    const keyStart = colon + 2;
    const localEnd = colon === -1 || colon > end ? -1 : bytes.indexOf(SPACE, keyStart);
    const keyEnd = localEnd === -1 || localEnd > end ? -1 : bytes.indexOf(SPACE, localEnd + 1);
    if (keyEnd !== -1 && keyEnd + 4 < end) {
      const state = String.fromCharCode(bytes[keyEnd + 1]!, bytes[keyEnd + 2]!);
      let tx = 0;
      let i = keyEnd + 4;
      for (; i < end && bytes[i] !== COLON; i++) {
        const digit = hexDigit(bytes[i]!);
        if (digit === -1) break;
        tx = tx * 16 + digit;
      }
      if (!IDLE_STATES.has(state) && bytes[i] === COLON && i > keyEnd + 4)
        into.set(bytes.toString('latin1', keyStart, keyEnd), tx);
    }
    at = end + 1;
  }
}

/** Parses /proc/net/tcp{,6} text into key -> tx_queue (sockets in idle states left out). */
export function parseProcTcp(
  text: string,
  into: Map<string, number> = new Map(),
): Map<string, number> {
  const bytes = Buffer.from(text, 'latin1');
  parseLines(bytes, 0, bytes.length, into);
  return into;
}

/** Read in pieces this size into one buffer, so a reading allocates almost nothing. */
const READ_CHUNK_BYTES = 64 * 1024;

async function readQueuesOf(path: string, into: Map<string, number>, chunk: Buffer): Promise<void> {
  const file = await open(path, 'r');
  try {
    // chunk[0, kept) holds the start of a line the last piece cut.
    let kept = 0;
    for (;;) {
      const { bytesRead } = await file.read(chunk, kept, chunk.length - kept, null);
      const filled = kept + bytesRead;
      if (bytesRead === 0) {
        parseLines(chunk, 0, filled, into);
        return;
      }
      const lastNewline = chunk.lastIndexOf(NEWLINE, filled - 1);
      if (lastNewline === -1) {
        // No line is this long in /proc/net/tcp (about 150 bytes): drop it rather than grow.
        kept = 0;
        continue;
      }
      parseLines(chunk, 0, lastNewline, into);
      kept = chunk.copy(chunk, 0, lastNewline + 1, filled);
    }
  } finally {
    await file.close();
  }
}

/** A reader of this machine's TCP send queues, or null where /proc/net/tcp does not exist. */
export function createProcSendQueueReader(
  paths: readonly string[] = ['/proc/net/tcp', '/proc/net/tcp6'],
): SendQueueReader | null {
  const present = paths.filter((path) => existsSync(path));
  if (present.length === 0) return null;
  return async () => {
    const queues = new Map<string, number>();
    const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    for (const path of present) {
      try {
        await readQueuesOf(path, queues, chunk);
      } catch {
        // A file that vanished or cannot be read just tells nothing this time.
      }
    }
    return queues;
  };
}

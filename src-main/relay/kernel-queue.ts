// How many bytes the kernel holds unsent or unacknowledged in a TCP socket's send queue, read
// from /proc/net/tcp and /proc/net/tcp6 (Linux; `tx_queue`), for the buffer ceiling
// (stream-budget.ts). Node has no API for a socket's send queue. Reads only; elsewhere there
// is no reader and the budget estimates instead.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
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

/** Parses /proc/net/tcp{,6} text into key -> tx_queue. */
export function parseProcTcp(
  text: string,
  into: Map<string, number> = new Map(),
): Map<string, number> {
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const fields = (lines[i] ?? '').trim().split(/\s+/);
    const queues = fields[4];
    if (fields.length < 5 || queues === undefined) continue;
    const tx = parseInt(queues.split(':')[0] ?? '', 16);
    if (!Number.isFinite(tx)) continue;
    into.set(`${fields[1]} ${fields[2]}`, tx);
  }
  return into;
}

/** A reader of this machine's TCP send queues, or null where /proc/net/tcp does not exist. */
export function createProcSendQueueReader(
  paths: readonly string[] = ['/proc/net/tcp', '/proc/net/tcp6'],
): SendQueueReader | null {
  const present = paths.filter((path) => existsSync(path));
  if (present.length === 0) return null;
  return async () => {
    const queues = new Map<string, number>();
    for (const path of present) {
      try {
        parseProcTcp(await readFile(path, 'utf8'), queues);
      } catch {
        // A file that vanished or cannot be read just tells nothing this time.
      }
    }
    return queues;
  };
}

// The ceiling on bytes the relay holds for stream peers that do not read, per client and per
// tenant (docs/protocol.md#limits). A stream of an owner over either ceiling gets no more
// credit (tcp_mux) and is not read (classic) until the owner is back under it; no byte is
// dropped. Counts what stream handlers report (heldBytes); owns no socket.

import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Clock } from '../shared/clock';
import { procKeyOf, type SendQueueReader, type SendQueues } from './kernel-queue';
import type { StreamSlot, StreamTable } from './stream-table';

export const DEFAULT_MAX_BUFFERED_BYTES_PER_CLIENT = 64 * 1024 * 1024;
export const DEFAULT_MAX_BUFFERED_BYTES_PER_TENANT = 256 * 1024 * 1024;
/** How often streams held back are looked at again. */
const RECHECK_MS = 50;
/** Linux's default tcp_wmem maximum, where /proc does not tell. */
const FALLBACK_SEND_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * The most a kernel send buffer grows to (tcp_wmem's maximum). Node cannot read a socket's
 * send queue, so a socket that has stopped taking writes is taken to hold this much (or what
 * it was given, if less) in the kernel.
 */
export function kernelSendBufferBytes(path = '/proc/sys/net/ipv4/tcp_wmem'): number {
  try {
    const max = Number(readFileSync(path, 'utf8').trim().split(/\s+/)[2]);
    return Number.isInteger(max) && max > 0 ? max : FALLBACK_SEND_BUFFER_BYTES;
  } catch {
    return FALLBACK_SEND_BUFFER_BYTES;
  }
}

/** A socket that took no write for this long is taken to have sent what it was given. */
export const SEND_QUIET_MS = 1_000;
/** The kernel's send queues are read at most this often, and only while an owner is over. */
const MEASURE_INTERVAL_MS = 250;

/**
 * What one socket the relay writes to holds for its peer: its queued writes plus the kernel's
 * share. Where the kernel's send queue can be read (kernel-queue.ts) that share is the last
 * reading plus what was written since; before the first reading it is everything written.
 * Elsewhere it is estimated: what was written since the socket was last quiet (no write for
 * SEND_QUIET_MS), or since the stream began once writes queue up. Never more than a full send
 * buffer (kernelSendBufferBytes).
 */
export class SendWatch {
  private burstBase = 0;
  private lastWriteAt = -Infinity;
  private key: string | null | undefined;
  private measuredQueue: number | null = null;
  private dispatchedAtMeasure = 0;

  constructor(
    private readonly socket: Socket,
    private readonly budget: Pick<StreamBudget, 'kernelBytes' | 'measures'>,
    private readonly clock: Clock,
  ) {}

  /** Call before each write to the socket. */
  wrote(): void {
    const now = this.clock.now();
    if (now - this.lastWriteAt >= SEND_QUIET_MS) this.burstBase = this.dispatched();
    this.lastWriteAt = now;
  }

  held(): number {
    if (this.socket.destroyed) return 0;
    const queued = this.socket.writableLength;
    const dispatched = this.dispatched();
    let kernel: number;
    if (this.budget.measures) {
      kernel =
        this.measuredQueue === null
          ? dispatched
          : this.measuredQueue + dispatched - this.dispatchedAtMeasure;
    } else if (queued > 0) {
      kernel = dispatched;
    } else if (this.clock.now() - this.lastWriteAt < SEND_QUIET_MS) {
      kernel = dispatched - this.burstBase;
    } else {
      kernel = 0;
    }
    return queued + Math.min(kernel, this.budget.kernelBytes);
  }

  /** Whether writes are queued in user space (the kernel took all it would). */
  get isBackedUp(): boolean {
    return !this.socket.destroyed && this.socket.writableLength > 0;
  }

  /** Takes a reading of the kernel's send queues (kernel-queue.ts). */
  measure(queues: SendQueues): void {
    if (this.socket.destroyed) return;
    this.key ??= procKeyOf(this.socket);
    const queue = this.key === null ? undefined : queues.get(this.key);
    if (queue === undefined) return;
    this.measuredQueue = queue;
    this.dispatchedAtMeasure = this.dispatched();
  }

  private dispatched(): number {
    return Math.max(0, this.socket.bytesWritten - this.socket.writableLength);
  }
}

export interface StreamBudgetOptions {
  readonly clock: Clock;
  readonly table: StreamTable;
  /** 0 turns the ceiling off. */
  readonly perClient: number;
  readonly perTenant: number;
  /** What a send buffer that stopped taking writes is taken to hold (kernelSendBufferBytes). */
  readonly kernelBytes: number;
  /** Reads the kernel's send queues; null where they cannot be read (SendWatch estimates). */
  readonly readQueues?: SendQueueReader | null;
  /** Told each time a stream is held back. */
  readonly onHold?: () => void;
}

export class StreamBudget {
  private readonly held = new Set<StreamSlot>();
  private readonly memo = new Map<string, { at: number; over: boolean }>();
  private timer: unknown = null;
  private closed = false;
  private measuring = false;
  private measuredAt = -Infinity;

  constructor(private readonly options: StreamBudgetOptions) {}

  get perClient(): number {
    return this.options.perClient;
  }

  get perTenant(): number {
    return this.options.perTenant;
  }

  get kernelBytes(): number {
    return this.options.kernelBytes;
  }

  /** Whether the kernel's send queues are read (else SendWatch estimates them). */
  get measures(): boolean {
    return this.options.readQueues != null;
  }

  /** Bytes held for every stream now (the metric). */
  totalHeld(): number {
    let total = 0;
    for (const slot of this.options.table.all()) total += slot.carried?.heldBytes() ?? 0;
    return total;
  }

  /**
   * Whether `slot`'s owner is over a ceiling; if so the slot is remembered and its stream's
   * resumeHeld() is called once the owner is back under. Answers are reused within one
   * millisecond, since every chunk of every stream asks.
   */
  shouldHold(slot: StreamSlot): boolean {
    const over = this.ownerOver(slot);
    if (over && !this.held.has(slot)) {
      this.held.add(slot);
      this.options.onHold?.();
      this.schedule();
    }
    return over;
  }

  /** Stops the re-check timer (relay shutdown). */
  close(): void {
    this.closed = true;
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private ownerOver(slot: StreamSlot): boolean {
    const { perClient, perTenant } = this.options;
    const { clientKey, tenantId } = slot.owner;
    const over =
      (perClient > 0 &&
        this.isOver(`c:${clientKey}`, () => this.sumClient(clientKey), perClient)) ||
      (perTenant > 0 && this.isOver(`t:${tenantId}`, () => this.sumTenant(tenantId), perTenant));
    if (over) this.measureSoon();
    return over;
  }

  /** Over by estimate: read what the kernel really holds, then look at held streams again. */
  private measureSoon(): void {
    const read = this.options.readQueues;
    if (read == null || this.measuring || this.closed) return;
    if (this.options.clock.now() - this.measuredAt < MEASURE_INTERVAL_MS) return;
    this.measuring = true;
    read().then(
      (queues) => {
        this.measuring = false;
        this.measuredAt = this.options.clock.now();
        for (const slot of this.options.table.all()) slot.carried?.measure?.(queues);
        this.recheck();
      },
      () => {
        this.measuring = false;
        this.measuredAt = this.options.clock.now();
      },
    );
  }

  private isOver(key: string, sum: () => number, ceiling: number): boolean {
    const now = this.options.clock.now();
    const memo = this.memo.get(key);
    if (memo !== undefined && memo.at === now) return memo.over;
    const over = sum() > ceiling;
    this.memo.set(key, { at: now, over });
    return over;
  }

  private sumClient(clientKey: string): number {
    let total = 0;
    for (const slot of this.options.table.slotsOfClient(clientKey))
      total += slot.carried?.heldBytes() ?? 0;
    return total;
  }

  private sumTenant(tenantId: string): number {
    let total = 0;
    for (const slot of this.options.table.slotsOfTenant(tenantId))
      total += slot.carried?.heldBytes() ?? 0;
    return total;
  }

  private recheck(): void {
    this.memo.clear();
    for (const slot of [...this.held]) {
      if (!slot.isReleased && this.ownerOver(slot)) continue;
      this.held.delete(slot);
      if (!slot.isReleased) slot.carried?.resumeHeld();
    }
    this.memo.clear();
  }

  private schedule(): void {
    if (this.closed || this.timer !== null) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      this.recheck();
      if (this.held.size > 0) this.schedule();
    }, RECHECK_MS);
  }
}

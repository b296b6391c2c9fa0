// The relay's open data streams, classic and tcp_mux alike (docs/protocol.md#limits): a slot per
// stream counted per tenant and per client (tenant + subject), idle and half-closed streams
// reaped, and every stream of a registration closed when the registration expires. Owns the
// counting and the timers; closing a stream is the handler's callback, never a socket here.

import type { Clock } from '../shared/clock';

/** One hour without a byte either way (Envoy's tcp_proxy default; HAProxy `timeout tunnel`). */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 60 * 60_000;
/** After a FIN one way, this long without a byte (Linux's own tcp_fin_timeout for FIN-WAIT-2). */
export const DEFAULT_STREAM_HALF_CLOSED_TIMEOUT_MS = 60_000;
/** One client's streams, across all its connections: one full mux connection's worth. */
export const DEFAULT_MAX_STREAMS_PER_CLIENT = 256;
const MIN_SWEEP_MS = 25;
const MAX_SWEEP_MS = 5_000;

export type ReapReason = 'idle' | 'half_closed' | 'registration_expired';

/** Who a stream belongs to, and the limits that apply to it. */
export interface StreamOwner {
  readonly tenantId: string;
  readonly maxPerTenant: number;
  /** Tenant and subject together: one user of one tenant. */
  readonly clientKey: string;
  readonly maxPerClient: number;
  /** The registration (tunnel) the stream was opened on; its expiry ends the stream. */
  readonly registration: object;
}

/** What the table needs from a carried stream: its state and a way to end it. */
export interface CarriedStream {
  /** True once either side has sent its FIN (the stream is half-closed). */
  isHalfClosed(): boolean;
  /** Ends the stream both ways (a reset); its hooks release the slot. */
  close(reason: ReapReason): void;
  /** Bytes the relay holds for this stream's peers that do not read (stream-budget.ts). */
  heldBytes(): number;
  /** The owner is back under its buffer ceiling: read and grant credit again. */
  resumeHeld(): void;
  /** A reading of the kernel's send queues (kernel-queue.ts), for heldBytes(). */
  measure?(queues: ReadonlyMap<string, number>): void;
}

export type Reservation =
  | { readonly ok: true; readonly slot: StreamSlot }
  | { readonly ok: false; readonly scope: 'client' | 'tenant'; readonly limit: number };

export interface StreamTableOptions {
  readonly clock: Clock;
  /** 0 turns the idle reaper off. */
  readonly idleTimeoutMs: number;
  /** 0 turns the half-closed reaper off. */
  readonly halfClosedTimeoutMs: number;
  /** Told about every stream the table ends (metrics, log). */
  readonly onReap?: (slot: StreamSlot, reason: ReapReason) => void;
}

export class StreamSlot {
  /** Payload bytes either way so far (the activity the reaper watches). */
  bytes = 0;
  /** @internal */
  carried: CarriedStream | null = null;
  private seenBytes = 0;
  private lastActiveAt: number;
  private halfClosedAt: number | null = null;
  private released = false;

  constructor(
    readonly owner: StreamOwner,
    private readonly table: StreamTable,
    now: number,
  ) {
    this.lastActiveAt = now;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** The stream carries bytes from now on; the reapers watch it. */
  attach(carried: CarriedStream): void {
    if (this.released) return;
    this.carried = carried;
    this.table.watch(this);
  }

  /** Frees the slot; safe to call on every path, any number of times. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.table.forget(this);
  }

  /** @internal The reaper's verdict at `now`, or null to keep the stream. */
  verdict(now: number, idleMs: number, halfClosedMs: number): ReapReason | null {
    if (this.carried === null) return null;
    if (this.bytes !== this.seenBytes) {
      this.seenBytes = this.bytes;
      this.lastActiveAt = now;
    }
    if (this.halfClosedAt === null && this.carried.isHalfClosed()) this.halfClosedAt = now;
    if (this.halfClosedAt !== null && halfClosedMs > 0) {
      const quietSince = Math.max(this.lastActiveAt, this.halfClosedAt);
      if (now - quietSince >= halfClosedMs) return 'half_closed';
    }
    if (idleMs > 0 && now - this.lastActiveAt >= idleMs) return 'idle';
    return null;
  }

  /** @internal */
  end(reason: ReapReason): void {
    const carried = this.carried;
    this.release();
    carried?.close(reason);
  }
}

export class StreamTable {
  private readonly slots = new Set<StreamSlot>();
  private readonly perTenant = new Map<string, Set<StreamSlot>>();
  private readonly perClient = new Map<string, Set<StreamSlot>>();
  private readonly byRegistration = new Map<object, Set<StreamSlot>>();
  private readonly watched = new Set<StreamSlot>();
  private timer: unknown = null;
  private closed = false;

  constructor(private readonly options: StreamTableOptions) {}

  get idleTimeoutMs(): number {
    return this.options.idleTimeoutMs;
  }

  get halfClosedTimeoutMs(): number {
    return this.options.halfClosedTimeoutMs;
  }

  /** Streams holding a slot (dialling or carrying bytes). */
  get size(): number {
    return this.slots.size;
  }

  countForTenant(tenantId: string): number {
    return this.perTenant.get(tenantId)?.size ?? 0;
  }

  countForClient(clientKey: string): number {
    return this.perClient.get(clientKey)?.size ?? 0;
  }

  /** The slots of one client and of one tenant (for the buffer budget). */
  slotsOfClient(clientKey: string): ReadonlySet<StreamSlot> {
    return this.perClient.get(clientKey) ?? NONE;
  }

  slotsOfTenant(tenantId: string): ReadonlySet<StreamSlot> {
    return this.perTenant.get(tenantId) ?? NONE;
  }

  all(): IterableIterator<StreamSlot> {
    return this.slots.values();
  }

  /** Takes a slot if neither the client's nor the tenant's limit is reached. */
  reserve(owner: StreamOwner): Reservation {
    const client = this.countForClient(owner.clientKey);
    if (client >= owner.maxPerClient)
      return { ok: false, scope: 'client', limit: owner.maxPerClient };
    const tenant = this.countForTenant(owner.tenantId);
    if (tenant >= owner.maxPerTenant)
      return { ok: false, scope: 'tenant', limit: owner.maxPerTenant };
    const slot = new StreamSlot(owner, this, this.options.clock.now());
    this.slots.add(slot);
    addTo(this.perClient, owner.clientKey, slot);
    addTo(this.perTenant, owner.tenantId, slot);
    addTo(this.byRegistration, owner.registration, slot);
    return { ok: true, slot };
  }

  /** The registration expired (its owner did not come back within the grace period). */
  closeRegistration(registration: object): number {
    const slots = [...(this.byRegistration.get(registration) ?? [])];
    for (const slot of slots) this.reap(slot, 'registration_expired');
    return slots.length;
  }

  /** Runs the reapers once (the timer calls this; tests may too). */
  sweep(): void {
    const now = this.options.clock.now();
    const { idleTimeoutMs, halfClosedTimeoutMs } = this.options;
    for (const slot of [...this.watched]) {
      const reason = slot.verdict(now, idleTimeoutMs, halfClosedTimeoutMs);
      if (reason !== null) this.reap(slot, reason);
    }
  }

  /** Stops the timer (relay shutdown); slots still held are left to their sockets. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** @internal */
  watch(slot: StreamSlot): void {
    this.watched.add(slot);
    this.schedule();
  }

  /** @internal */
  forget(slot: StreamSlot): void {
    if (!this.slots.delete(slot)) return;
    this.watched.delete(slot);
    const { clientKey, tenantId, registration } = slot.owner;
    removeFrom(this.perClient, clientKey, slot);
    removeFrom(this.perTenant, tenantId, slot);
    removeFrom(this.byRegistration, registration, slot);
  }

  private reap(slot: StreamSlot, reason: ReapReason): void {
    if (slot.isReleased) return;
    this.options.onReap?.(slot, reason);
    slot.end(reason);
  }

  private sweepIntervalMs(): number | null {
    const timeouts = [this.options.idleTimeoutMs, this.options.halfClosedTimeoutMs].filter(
      (ms) => ms > 0,
    );
    if (timeouts.length === 0) return null;
    // A quarter of the shortest timeout: a stream goes at most 25 % late.
    return Math.min(MAX_SWEEP_MS, Math.max(MIN_SWEEP_MS, Math.min(...timeouts) / 4));
  }

  private schedule(): void {
    if (this.closed || this.timer !== null || this.watched.size === 0) return;
    const interval = this.sweepIntervalMs();
    if (interval === null) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      this.sweep();
      this.schedule();
    }, interval);
  }
}

const NONE: ReadonlySet<StreamSlot> = new Set();

function addTo<K>(map: Map<K, Set<StreamSlot>>, key: K, slot: StreamSlot): void {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  set.add(slot);
}

function removeFrom<K>(map: Map<K, Set<StreamSlot>>, key: K, slot: StreamSlot): void {
  const set = map.get(key);
  set?.delete(slot);
  if (set?.size === 0) map.delete(key);
}

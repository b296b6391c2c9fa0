// Target name lookups with bounds (docs/protocol.md#limits): at most `perClient` lookups in
// flight per client and `total` for the relay, a deadline on each, one lookup per name at a
// time (others join it), and a small LRU cache that keeps answers for their DNS TTL (capped)
// and failures briefly. Owns no resolver: it wraps one (dns-resolver.ts, or a test's).

import type { LookupAddress } from 'node:dns';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../shared/clock';

export const DEFAULT_LOOKUP_TIMEOUT_MS = 5_000;
export const DEFAULT_LOOKUPS_PER_CLIENT = 4;
export const DEFAULT_LOOKUPS_TOTAL = 32;
export const DEFAULT_LOOKUP_CACHE_ENTRIES = 1_000;
export const DEFAULT_LOOKUP_MAX_TTL_MS = 60_000;
export const DEFAULT_LOOKUP_NEGATIVE_TTL_MS = 5_000;
/** Lookups made without a client (none today) share this key. */
const NO_CLIENT = '';

/** An answer; `ttlMs` absent means "do not cache" (an injected resolver that knows no TTL). */
export interface ResolvedAddress extends LookupAddress {
  readonly ttlMs?: number;
}

export type RawResolve = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export type LookupOutcome = 'ok' | 'cached' | 'joined' | 'failed' | 'timeout';

/**
 * Both deadlines are timeouts: ours, and c-ares giving up on a silent server first (its tries
 * end a little inside ours, dns-resolver.ts), which is the usual way a dead name ends.
 */
const TIMEOUT_CODES: ReadonlySet<string> = new Set(['lookup_timeout', 'ETIMEOUT']);

export interface LookupBounds {
  readonly timeoutMs: number;
  readonly perClient: number;
  readonly total: number;
  readonly cacheEntries: number;
  readonly maxTtlMs: number;
  readonly negativeTtlMs: number;
}

export interface LookupServiceOptions extends Partial<LookupBounds> {
  readonly resolve: RawResolve;
  readonly clock: Clock;
  readonly onOutcome?: (outcome: LookupOutcome) => void;
}

/** A failed lookup; `code` is the resolver's (ENOTFOUND, ETIMEOUT...) or lookup_timeout. */
export class LookupError extends Error {
  override readonly name = 'LookupError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type CacheEntry =
  | { readonly ok: true; readonly addresses: readonly LookupAddress[] }
  | { readonly ok: false; readonly error: LookupError };

/** A counting semaphore with FIFO waiters that can give up. */
class Slots {
  private used = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.used;
  }

  get idle(): boolean {
    return this.used === 0 && this.waiters.length === 0;
  }

  /**
   * Resolves when a slot is taken. cancel() gives the slot up whatever happened meanwhile:
   * a waiter is withdrawn, a slot already handed over is released.
   */
  acquire(): { taken: Promise<void>; cancel(): void } {
    if (this.used < this.limit && this.waiters.length === 0) {
      this.used += 1;
      return { taken: Promise.resolve(), cancel: () => this.release() };
    }
    let wake!: () => void;
    const taken = new Promise<void>((resolve) => (wake = resolve));
    let granted = false;
    const waiter = (): void => {
      this.used += 1;
      granted = true;
      wake();
    };
    this.waiters.push(waiter);
    return {
      taken,
      cancel: () => {
        if (granted) {
          this.release();
          return;
        }
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
      },
    };
  }

  release(): void {
    this.used -= 1;
    const next = this.waiters.shift();
    if (next !== undefined) next();
  }
}

export class LookupService {
  readonly bounds: LookupBounds;
  private readonly total: Slots;
  private readonly perClient = new Map<string, Slots>();
  private readonly inFlight = new Map<string, Promise<readonly LookupAddress[]>>();
  private readonly cache: LRUCache<string, CacheEntry>;

  constructor(private readonly options: LookupServiceOptions) {
    this.bounds = {
      timeoutMs: options.timeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS,
      perClient: options.perClient ?? DEFAULT_LOOKUPS_PER_CLIENT,
      total: options.total ?? DEFAULT_LOOKUPS_TOTAL,
      cacheEntries: options.cacheEntries ?? DEFAULT_LOOKUP_CACHE_ENTRIES,
      maxTtlMs: options.maxTtlMs ?? DEFAULT_LOOKUP_MAX_TTL_MS,
      negativeTtlMs: options.negativeTtlMs ?? DEFAULT_LOOKUP_NEGATIVE_TTL_MS,
    };
    this.total = new Slots(Math.max(1, this.bounds.total));
    const clock = options.clock;
    this.cache = new LRUCache<string, CacheEntry>({
      max: Math.max(1, this.bounds.cacheEntries),
      ttlAutopurge: false,
      ttlResolution: 0,
      // Expiry on the relay's clock, so tests can move time.
      perf: { now: () => clock.now() },
    });
  }

  /** Lookups running now (not counting callers that joined one or wait for a slot). */
  get inFlightCount(): number {
    return this.total.inUse;
  }

  /** All addresses of `hostname`, for `client` (clientKeyOf). Rejects with LookupError. */
  async lookup(hostname: string, client: string = NO_CLIENT): Promise<readonly LookupAddress[]> {
    const key = hostname.toLowerCase();
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.options.onOutcome?.('cached');
      if (cached.ok) return cached.addresses;
      throw cached.error;
    }
    const deadline = this.deadline(hostname);
    try {
      const running = this.inFlight.get(key);
      const addresses = await Promise.race([
        running ?? this.start(key, hostname, client, deadline.expired),
        deadline.expired,
      ]);
      this.options.onOutcome?.(running === undefined ? 'ok' : 'joined');
      return addresses;
    } catch (error) {
      const failure =
        error instanceof LookupError
          ? error
          : new LookupError('lookup_failed', `cannot resolve ${hostname}`);
      this.options.onOutcome?.(TIMEOUT_CODES.has(failure.code) ? 'timeout' : 'failed');
      throw failure;
    } finally {
      deadline.clear();
    }
  }

  /**
   * Waits for one of the client's slots and one of the relay's (giving up at the deadline),
   * then resolves. The slots stay taken until the resolver settles, even when the caller has
   * stopped waiting: that is what bounds the resolver's load. Only a running lookup is joined
   * by callers of other clients, never one still waiting for this client's slot.
   */
  private async start(
    key: string,
    hostname: string,
    client: string,
    expired: Promise<never>,
  ): Promise<readonly LookupAddress[]> {
    const clientSlots = this.slotsFor(client);
    const mine = await this.take(clientSlots, expired);
    const relay = await this.take(this.total, expired).catch((error: unknown) => {
      mine.cancel();
      this.forgetIdle(client, clientSlots);
      throw error;
    });
    const free = (): void => {
      relay.cancel();
      mine.cancel();
      this.forgetIdle(client, clientSlots);
    };
    // Someone started the same name while this one waited: join it instead.
    const running = this.inFlight.get(key);
    if (running !== undefined) {
      free();
      return running;
    }
    const lookup = this.resolveNow(key, hostname).finally(() => {
      free();
      if (this.inFlight.get(key) === lookup) this.inFlight.delete(key);
    });
    this.inFlight.set(key, lookup);
    lookup.catch(() => undefined);
    return lookup;
  }

  private async take(slots: Slots, expired: Promise<never>): Promise<{ cancel(): void }> {
    const ticket = slots.acquire();
    try {
      await Promise.race([ticket.taken, expired]);
    } catch (error) {
      ticket.cancel();
      throw error;
    }
    return ticket;
  }

  private async resolveNow(key: string, hostname: string): Promise<readonly LookupAddress[]> {
    let answer: readonly ResolvedAddress[];
    try {
      answer = await this.options.resolve(hostname);
      if (answer.length === 0) throw new LookupError('ENOTFOUND', `${hostname} has no address`);
    } catch (error) {
      const failure =
        error instanceof LookupError
          ? error
          : new LookupError(
              (error as NodeJS.ErrnoException).code ?? 'lookup_failed',
              `cannot resolve ${hostname}: ${(error as Error).message}`,
            );
      if (this.bounds.negativeTtlMs > 0)
        this.cache.set(key, { ok: false, error: failure }, { ttl: this.bounds.negativeTtlMs });
      throw failure;
    }
    const addresses = answer.map(({ address, family }) => ({ address, family }));
    const ttls = answer.map((entry) => entry.ttlMs);
    if (ttls.every((ttl): ttl is number => ttl !== undefined)) {
      const ttl = Math.min(this.bounds.maxTtlMs, ...ttls);
      if (ttl > 0) this.cache.set(key, { ok: true, addresses }, { ttl });
    }
    return addresses;
  }

  private deadline(hostname: string): { expired: Promise<never>; clear(): void } {
    let timer: unknown = null;
    const expired = new Promise<never>((_, reject) => {
      timer = this.options.clock.setTimeout(
        () =>
          reject(
            new LookupError(
              'lookup_timeout',
              `lookup of ${hostname} took longer than ${this.bounds.timeoutMs} ms`,
            ),
          ),
        this.bounds.timeoutMs,
      );
    });
    expired.catch(() => undefined);
    return { expired, clear: () => this.options.clock.clearTimeout(timer) };
  }

  private slotsFor(client: string): Slots {
    let slots = this.perClient.get(client);
    if (slots === undefined) {
      slots = new Slots(Math.max(1, this.bounds.perClient));
      this.perClient.set(client, slots);
    }
    return slots;
  }

  private forgetIdle(client: string, slots: Slots): void {
    if (slots.idle && this.perClient.get(client) === slots) this.perClient.delete(client);
  }
}

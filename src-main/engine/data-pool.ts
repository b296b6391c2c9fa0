// Warm pool of ready data connections to one relay (docs/protocol.md "Data streams"): TLS
// handshakes done ahead of time so a new local connection costs one write, refilled in the
// background and replaced before the relay's 60 s idle limit. Owns idle sockets only; a taken
// socket is the caller's.

import type net from 'node:net';
import type { LogFn } from './log';
import { baseDelayMs } from './backoff';
import type { Clock } from '../shared/clock';

/** The relay drops data connections idle before stream_open for 60 s; replace well before. */
export const POOL_MAX_IDLE_MS = 45_000;

export interface DataPoolOptions {
  readonly connect: () => Promise<net.Socket>;
  readonly size: number;
  readonly clock: Clock;
  readonly log: LogFn;
  readonly maxIdleMs?: number;
}

interface Pooled {
  readonly socket: net.Socket;
  readonly timer: unknown;
  readonly onGone: () => void;
}

export class DataPool {
  private readonly ready: Pooled[] = [];
  private opening = 0;
  private running = false;
  private failures = 0;
  private retryTimer: unknown = null;
  /** take() calls waiting for a refill already under way. */
  private readonly waiters: { resolve: (s: net.Socket) => void; reject: (e: unknown) => void }[] =
    [];

  constructor(private readonly options: DataPoolOptions) {}

  get readyCount(): number {
    return this.ready.length;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.failures = 0;
    this.refill();
  }

  /** Destroys idle connections and stops refilling; sockets already taken are untouched. */
  stop(): void {
    this.running = false;
    // Waiters get a connection of their own rather than one from a stopped pool.
    for (const waiter of this.waiters.splice(0))
      this.options.connect().then(waiter.resolve, waiter.reject);
    if (this.retryTimer !== null) this.options.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    for (const pooled of this.ready.splice(0)) {
      this.detach(pooled);
      pooled.socket.destroy();
    }
  }

  /**
   * A ready connection: from the pool when one is there; else the next refill already under
   * way (it started earlier, so it is ready sooner than a new one); else opened now.
   */
  async take(): Promise<net.Socket> {
    for (;;) {
      const pooled = this.ready.shift();
      if (pooled === undefined) break;
      this.detach(pooled);
      if (!pooled.socket.destroyed && pooled.socket.writable && pooled.socket.readable) {
        this.refill();
        return pooled.socket;
      }
      pooled.socket.destroy();
    }
    this.refill();
    if (this.running && this.opening > this.waiters.length) {
      return new Promise<net.Socket>((resolve, reject) => this.waiters.push({ resolve, reject }));
    }
    return this.options.connect();
  }

  private refill(): void {
    if (!this.running || this.retryTimer !== null) return;
    while (this.ready.length + this.opening < this.options.size) this.openOne();
  }

  private openOne(): void {
    this.opening += 1;
    this.options.connect().then(
      (socket) => {
        this.opening -= 1;
        const waiter = this.waiters.shift();
        if (waiter !== undefined) {
          waiter.resolve(socket);
          this.failures = 0;
          this.refill();
          return;
        }
        if (!this.running) {
          socket.destroy();
          return;
        }
        this.failures = 0;
        this.add(socket);
      },
      (err: unknown) => {
        this.opening -= 1;
        // A waiter whose refill failed tries once on its own connection.
        const waiter = this.waiters.shift();
        if (waiter !== undefined) this.options.connect().then(waiter.resolve, waiter.reject);
        if (!this.running) return;
        this.failures += 1;
        const delay = baseDelayMs(this.failures);
        this.options.log('debug', 'pool_connect_failed', null, {
          reason: err instanceof Error ? err.message : String(err),
          retry_ms: delay,
        });
        if (this.retryTimer === null) {
          this.retryTimer = this.options.clock.setTimeout(() => {
            this.retryTimer = null;
            this.refill();
          }, delay);
        }
      },
    );
  }

  private add(socket: net.Socket): void {
    const onGone = (): void => {
      const index = this.ready.indexOf(pooled);
      if (index === -1) return;
      this.ready.splice(index, 1);
      this.detach(pooled);
      socket.destroy();
      this.refill();
    };
    const timer = this.options.clock.setTimeout(onGone, this.options.maxIdleMs ?? POOL_MAX_IDLE_MS);
    const pooled: Pooled = { socket, timer, onGone };
    socket.on('error', onGone);
    socket.on('end', onGone);
    socket.on('close', onGone);
    this.ready.push(pooled);
  }

  private detach(pooled: Pooled): void {
    this.options.clock.clearTimeout(pooled.timer);
    pooled.socket.removeListener('error', pooled.onGone);
    pooled.socket.removeListener('end', pooled.onGone);
    pooled.socket.removeListener('close', pooled.onGone);
  }
}

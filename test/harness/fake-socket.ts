// A stand-in for net.Socket in unit tests of code that reads a peer's bytes (mux connection,
// control session): the test emits 'data' itself and sees every write. Writes are taken at once
// (`flush: 'auto'`) or only when the test calls flushAll() (a peer that does not read).
// Covers only what those modules call; no real I/O.

import { EventEmitter } from 'node:events';
import type net from 'node:net';

export class FakeSocket extends EventEmitter {
  destroyed = false;
  writableLength = 0;
  writableFinished = false;
  readableEnded = false;
  isPaused = false;
  ended = false;
  readonly written: Buffer[] = [];
  private readonly pending: (() => void)[] = [];

  constructor(private readonly flush: 'auto' | 'manual' = 'auto') {
    super();
  }

  /** This fake as the socket type the code under test expects. */
  get asSocket(): net.Socket {
    return this as unknown as net.Socket;
  }

  write(chunk: Buffer | string, cb?: (error?: Error | null) => void): boolean {
    if (this.destroyed) return false;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.written.push(bytes);
    this.writableLength += bytes.length;
    const done = (): void => {
      this.writableLength -= bytes.length;
      cb?.(null);
    };
    if (this.flush === 'auto') queueMicrotask(done);
    else this.pending.push(done);
    return this.writableLength < 16 * 1024;
  }

  /** The peer takes everything written so far (manual mode). */
  flushAll(): void {
    for (const done of this.pending.splice(0)) done();
    this.emit('drain');
  }

  get writtenBytes(): number {
    return this.written.reduce((sum, b) => sum + b.length, 0);
  }

  pause(): this {
    this.isPaused = true;
    return this;
  }

  resume(): this {
    this.isPaused = false;
    return this;
  }

  cork(): void {}
  uncork(): void {}
  setNoDelay(): this {
    return this;
  }

  end(): this {
    this.ended = true;
    this.writableFinished = true;
    return this;
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    queueMicrotask(() => this.emit('close', false));
    return this;
  }

  resetAndDestroy(): this {
    return this.destroy();
  }
}

/** Lets queued microtasks (write callbacks, 'close') run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

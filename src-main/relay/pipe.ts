// Carries raw bytes both ways between two sockets
// (docs/protocol.md#data-streams-feature-tcp_stream): honours write() returning false ('drain'), so
// no hop buffers more than a socket's high-water mark plus one chunk; stops reading while the owner
// is over its buffer ceiling (holdBack, stream-budget.ts); passes a FIN as a FIN (end(), with
// allowHalfOpen on both sockets) and a reset as a reset (resetAndDestroy()). Owns the listeners it
// adds and nothing else.

import type { Socket } from 'node:net';
import { resetSocket } from '../protocol/socket-reset';

export type Direction = 'to_target' | 'to_client';

export interface LinkHooks {
  onBytes(direction: Direction, bytes: number): void;
  /** Called once, when both sockets have closed. */
  onClosed(summary: { readonly reset: boolean; readonly error: string | null }): void;
  /** Asked after each chunk: true stops reading that side until resume(). */
  holdBack?(direction: Direction): boolean;
}

export interface Link {
  /** Reads again on a side that holdBack stopped (unless it waits for 'drain'). */
  resume(): void;
}

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

export function linkSockets(client: Socket, target: Socket, hooks: LinkHooks): Link {
  const resumers: Array<() => void> = [];
  let closed = 0;
  let reset = false;
  let firstError: string | null = null;

  const forward = (from: Socket, to: Socket, direction: Direction): void => {
    let waiting = false;
    let heldBack = false;
    from.on('data', (chunk: Buffer) => {
      hooks.onBytes(direction, chunk.length);
      if (!to.write(chunk) && !waiting) {
        waiting = true;
        from.pause();
        to.once('drain', () => {
          waiting = false;
          if (!heldBack) from.resume();
        });
      }
      if (!heldBack && hooks.holdBack?.(direction) === true) {
        heldBack = true;
        from.pause();
      }
    });
    resumers.push(() => {
      if (!heldBack) return;
      heldBack = false;
      if (!waiting && !from.destroyed) from.resume();
    });
    from.on('end', () => {
      if (!to.destroyed) to.end();
    });
    from.on('error', (error: NodeJS.ErrnoException) => {
      firstError ??= error.code ?? error.message;
      if (error.code !== undefined && RESET_CODES.has(error.code)) {
        reset = true;
        resetSocket(to);
      } else {
        to.destroy();
      }
    });
    from.on('close', () => {
      // A socket that closes without its peer ever seeing end or error (destroyed locally,
      // timed out) takes the other side down too.
      if (!from.readableEnded && !to.destroyed) to.destroy();
      closed += 1;
      if (closed === 2) hooks.onClosed({ reset, error: firstError });
    });
    // Both directions done (FIN each way, all written): nothing more can flow.
    from.on('end', () => {
      if (from.writableFinished) from.destroy();
    });
    from.on('finish', () => {
      if (from.readableEnded) from.destroy();
    });
  };
  forward(client, target, 'to_target');
  forward(target, client, 'to_client');
  return {
    resume: () => {
      for (const resume of resumers) resume();
    },
  };
}

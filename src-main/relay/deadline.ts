// Timers for the phases of a connection (docs/protocol.md#limits): an absolute deadline that
// activity does not move, and an idle watch that activity does. Both on the injected clock;
// the idle watch arms one timer per period however often it is touched.

import type { Clock } from '../shared/clock';

export interface Deadline {
  cancel(): void;
}

/** Node runs a longer timer at once (TimeoutOverflowWarning): longer waits are re-armed. */
const MAX_TIMER_MS = 2_147_483_647;

/** Calls `onExpire` once, `ms` from now, unless cancelled. `ms` <= 0 means never. */
export function startDeadline(clock: Clock, ms: number, onExpire: () => void): Deadline {
  if (ms <= 0) return { cancel: () => undefined };
  const at = clock.now() + ms;
  let handle: unknown = null;
  const arm = (delay: number): void => {
    handle = clock.setTimeout(() => {
      handle = null;
      const left = at - clock.now();
      if (left > 0) arm(Math.min(left, MAX_TIMER_MS));
      else onExpire();
    }, delay);
  };
  arm(Math.min(ms, MAX_TIMER_MS));
  return {
    cancel: () => {
      if (handle !== null) clock.clearTimeout(handle);
      handle = null;
    },
  };
}

/** Calls `onIdle` once nothing has touched it for `ms`. `ms` <= 0 means never. */
export class IdleWatch {
  private last: number;
  private handle: unknown = null;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly ms: number,
    private readonly onIdle: () => void,
  ) {
    this.last = clock.now();
    if (ms > 0) this.arm(Math.min(ms, MAX_TIMER_MS));
  }

  /** Activity: the idle period starts again (cheap: no timer is touched). */
  touch(): void {
    this.last = this.clock.now();
  }

  cancel(): void {
    this.stopped = true;
    if (this.handle !== null) this.clock.clearTimeout(this.handle);
    this.handle = null;
  }

  private arm(delay: number): void {
    this.handle = this.clock.setTimeout(() => {
      this.handle = null;
      if (this.stopped) return;
      const idleFor = this.clock.now() - this.last;
      if (idleFor >= this.ms) {
        this.stopped = true;
        this.onIdle();
      } else {
        this.arm(Math.min(this.ms - idleFor, MAX_TIMER_MS));
      }
    }, delay);
  }
}

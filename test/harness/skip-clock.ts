// A Clock for tests of real servers: it runs on real time (sockets, TLS and token checks see
// a normal clock), and `advance(ms)` jumps it forward, firing at once the timers that fall due,
// so a test waits out a grace period or an interval without sleeping through it.
import type { Clock } from '../../src-main/shared/clock';

interface Timer {
  readonly dueAt: number;
  readonly fn: () => void;
  readonly real: ReturnType<typeof setTimeout>;
}

export interface SkipClock extends Clock {
  /** Moves time forward by `ms`, firing every timer due by then, earliest first. */
  advance(ms: number): void;
}

export function createSkipClock(): SkipClock {
  let offset = 0;
  let nextId = 1;
  const timers = new Map<number, Timer>();
  const now = () => Date.now() + offset;
  const fire = (id: number) => {
    const timer = timers.get(id);
    if (!timer) return;
    timers.delete(id);
    clearTimeout(timer.real);
    timer.fn();
  };
  return {
    now,
    setTimeout(fn, ms) {
      const id = nextId++;
      const wait = Math.max(0, ms);
      timers.set(id, { dueAt: now() + wait, fn, real: setTimeout(() => fire(id), wait) });
      return id;
    },
    clearTimeout(handle) {
      const timer = timers.get(handle as number);
      if (timer) clearTimeout(timer.real);
      timers.delete(handle as number);
    },
    advance(ms) {
      offset += ms;
      for (;;) {
        const due = [...timers].filter(([, t]) => t.dueAt <= now());
        if (due.length === 0) return;
        due.sort((a, b) => a[1].dueAt - b[1].dueAt);
        fire(due[0]![0]);
      }
    },
  };
}

// engine.snapshot() against the real relay over real TLS with a hand-driven clock: reading a
// snapshot changes nothing (no rate sampled, no seq bumped, no push), and rates move only
// when the throttle pushes, sampled once per push, with a rising seq.

import { afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../../src-main/engine/engine';
import type { Clock } from '../../src-main/shared/clock';
import type { EngineSnapshot } from '../../src-main/shared/model';
import { startTestRelay } from '../harness/relay';
import { echoRoundTrip, freePort, Pattern, startEchoServer } from '../harness/traffic';
import { tunnel } from './system-stack';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Time moves only by jump(); timers fire only by fireDue(), so nothing runs behind the test. */
class HandClock implements Clock {
  private time = 1_700_000_000_000;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  jump(ms: number): void {
    this.time += ms;
  }

  /** Fires the timers due by now, once each; returns how many fired. */
  fireDue(): number {
    const due = [...this.timers].filter(([, t]) => t.at <= this.time);
    for (const [id, t] of due) {
      this.timers.delete(id);
      t.fn();
    }
    return due.length;
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The snapshot without its timestamp, which follows the clock. */
function content(snapshot: EngineSnapshot): Omit<EngineSnapshot, 'at'> {
  const { at: _at, ...rest } = snapshot;
  return rest;
}

describe('engine.snapshot()', () => {
  it('changes nothing when read: equal twice in a row, no rate sampled, no seq bumped, no push', async () => {
    const relay = await startTestRelay({ logLevel: 'error' });
    closers.push(() => relay.close());
    const target = await startEchoServer();
    closers.push(() => target.close());
    const clock = new HandClock();
    const token = await relay.token();
    const engine = createEngine({
      // The client speaks first: `auto` would wait for a hello on this clock's timer.
      relay: relay.endpoint({ opener: 'client' }),
      tunnels: [tunnel('t-a', await freePort(), target.port)],
      getToken: () => Promise.resolve(token),
      clock,
    });
    closers.push(() => engine.close());
    const pushes: EngineSnapshot[] = [];
    engine.on('snapshot', (s) => pushes.push(s));
    engine.connect();
    await until('active', () => pushes.at(-1)?.state === 'active');
    const localPort = engine.snapshot().tunnels[0]!.localPort;

    const moved = 64 * 1024;
    const echo = await echoRoundTrip(localPort, new Pattern(moved, 3));
    expect(echo.received.sha256).toBe(echo.sent);
    await until('counters caught up', () => engine.snapshot().tunnels[0]!.bytesIn >= moved);
    // Two seconds pass with no push (the throttle's timer has not been fired).
    clock.jump(2_000);
    const pushesBefore = pushes.length;
    const lastPush = pushes.at(-1)!;

    const first = engine.snapshot();
    const second = engine.snapshot();
    expect(second).toEqual(first);
    expect(first.seq).toBe(lastPush.seq);
    expect(first.tunnels[0]).toMatchObject({ bytesIn: moved, bytesOut: moved });
    // Rates are the last push's: reading did not sample them over the two seconds.
    expect(first.tunnels[0]!.rateInBps).toBe(lastPush.tunnels[0]!.rateInBps);
    expect(first.tunnels[0]!.rateOutBps).toBe(lastPush.tunnels[0]!.rateOutBps);
    expect(pushes).toHaveLength(pushesBefore);

    // The throttle's tick samples once and pushes once, with the next seq.
    expect(clock.fireDue()).toBeGreaterThan(0);
    expect(pushes).toHaveLength(pushesBefore + 1);
    const tick = pushes.at(-1)!;
    expect(tick.seq).toBe(lastPush.seq + 1);
    expect(tick.tunnels[0]!.rateInBps).toBeGreaterThan(0);
    expect(tick.tunnels[0]!.rateOutBps).toBeGreaterThan(0);
    expect(content(engine.snapshot())).toEqual(content(tick));
    expect(engine.snapshot().seq).toBe(tick.seq);
  });
});

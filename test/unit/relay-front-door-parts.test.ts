// The pure parts of the relay's front door on an injected clock: source keys (IPv6 by /64),
// slot pools per key and in total, absolute deadlines and idle watches (also past Node's
// 24.8-day timer limit), limits fitted to the open-file limit, the refusal log's budgets and
// the penalties per source.

import { describe, expect, it } from 'vitest';
import { SlotPool, sourceKeyOf } from '../../src-main/relay/connection-limits';
import { IdleWatch, startDeadline } from '../../src-main/relay/deadline';
import { createLogger } from '../../src-main/relay/log';
import { RefusalLog } from '../../src-main/relay/refusal-log';
import { DEFAULT_MAX_SOURCES, SourcePenalties } from '../../src-main/relay/source-penalties';
import {
  DEFAULT_FRONT_DOOR_LIMITS,
  readOpenFileLimit,
  resolveFrontDoorLimits,
} from '../../src-main/relay/relay-limits';
import { FakeClock } from './engine-fake-clock';

describe('sourceKeyOf', () => {
  it('keeps IPv4, unwraps IPv4-mapped IPv6 and groups IPv6 by /64', () => {
    expect(sourceKeyOf('192.0.2.7')).toBe('192.0.2.7');
    expect(sourceKeyOf('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(sourceKeyOf('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(sourceKeyOf('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(sourceKeyOf('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(sourceKeyOf(undefined)).toBe('unknown');
  });
});

describe('SlotPool', () => {
  it('caps per key and in total, and a released slot is free again, once', () => {
    const changes: number[] = [];
    const pool = new SlotPool({ perKey: 2, total: 3 }, (held) => changes.push(held));
    const a1 = pool.take('a');
    const a2 = pool.take('a');
    expect(pool.take('a')).toEqual({ ok: false, scope: 'per_key' });
    expect(pool.check('a')).toEqual({ ok: false, scope: 'per_key' });
    expect(pool.check('b')).toBeNull();
    expect(pool.take('b').ok).toBe(true);
    expect(pool.take('c')).toEqual({ ok: false, scope: 'total' });
    if (!a1.ok || !a2.ok) throw new Error('slots expected');
    a1.slot.release();
    a1.slot.release();
    expect(pool.size).toBe(2);
    expect(pool.countFor('a')).toBe(1);
    expect(pool.take('c').ok).toBe(true);
    expect(changes).toEqual([1, 2, 3, 2, 3]);
  });
});

describe('deadlines', () => {
  it('fires an absolute deadline once, whatever happens meanwhile, unless cancelled', () => {
    const clock = new FakeClock();
    let fired = 0;
    startDeadline(clock, 1_000, () => (fired += 1));
    const cancelled = startDeadline(clock, 1_000, () => (fired += 10));
    cancelled.cancel();
    clock.advance(999);
    expect(fired).toBe(0);
    clock.advance(1);
    expect(fired).toBe(1);
    clock.advance(10_000);
    expect(fired).toBe(1);
    startDeadline(clock, 0, () => (fired += 100));
    clock.advance(10_000);
    expect(fired).toBe(1);
  });

  it('waits out a deadline longer than Node’s largest timer instead of firing at once', () => {
    const clock = new FakeClock();
    let fired = false;
    const thirtyDays = 30 * 86_400_000;
    startDeadline(clock, thirtyDays, () => (fired = true));
    clock.advance(2_147_483_647);
    expect(fired).toBe(false);
    clock.advance(thirtyDays - 2_147_483_647 - 1);
    expect(fired).toBe(false);
    clock.advance(1);
    expect(fired).toBe(true);
  });

  it('fires an idle watch only after a full period without a touch, with one timer at a time', () => {
    const clock = new FakeClock();
    let idle = 0;
    const watch = new IdleWatch(clock, 1_000, () => (idle += 1));
    for (let i = 0; i < 10; i++) {
      clock.advance(600);
      watch.touch();
    }
    expect(idle).toBe(0);
    expect(clock.pending).toBe(1);
    clock.advance(1_000);
    expect(idle).toBe(1);
    clock.advance(5_000);
    expect(idle).toBe(1);
    expect(clock.pending).toBe(0);
  });
});

describe('resolveFrontDoorLimits', () => {
  it('fits defaulted totals to the open-file limit and keeps configured ones', () => {
    const fitted = resolveFrontDoorLimits({}, 300);
    expect(fitted.limits.maxHandshakes).toBe(Math.floor((300 - 64) * 0.15));
    expect(fitted.limits.maxHandshakesPerSource).toBe(32);
    // A per-source cap never exceeds its total.
    expect(resolveFrontDoorLimits({}, 200).limits.maxHandshakesPerSource).toBe(20);
    expect(fitted.scaled).toHaveProperty('maxConnections');
    const configured = resolveFrontDoorLimits({ maxHandshakes: 400 }, 300);
    expect(configured.limits.maxHandshakes).toBe(400);
    expect(configured.scaled).not.toHaveProperty('maxHandshakes');
    const roomy = resolveFrontDoorLimits({}, 1_048_576);
    expect(roomy.limits).toEqual(DEFAULT_FRONT_DOOR_LIMITS);
    expect(resolveFrontDoorLimits({}, null).limits).toEqual(DEFAULT_FRONT_DOOR_LIMITS);
  });

  it('reads the soft open-file limit from /proc/self/limits', () => {
    const text = [
      'Limit                     Soft Limit           Hard Limit           Units',
      'Max open files            300                  4096                 files',
    ].join('\n');
    expect(readOpenFileLimit(() => text)).toBe(300);
    expect(
      readOpenFileLimit(() => {
        throw new Error('ENOENT');
      }),
    ).toBeNull();
  });
});

describe('RefusalLog', () => {
  function setup(options: Partial<ConstructorParameters<typeof RefusalLog>[0]> = {}) {
    const clock = new FakeClock();
    const lines: Array<{ event: string; details: Record<string, unknown> }> = [];
    const log = createLogger({ clock, sink: (line) => lines.push(JSON.parse(line) as never) });
    let suppressed = 0;
    const refusals = new RefusalLog({
      log,
      clock,
      perConnection: 3,
      perSource: 5,
      total: 8,
      windowMs: 60_000,
      onSuppressed: (count) => (suppressed += count),
      ...options,
    });
    return { clock, lines, refusals, suppressed: () => suppressed };
  }

  it('writes a connection’s first records and, when it closes, how many it dropped', () => {
    const { lines, refusals, suppressed } = setup();
    const scope = refusals.forConnection('192.0.2.1');
    for (let i = 0; i < 100; i++) scope.log('warn', 'request_refused', { i });
    scope.close();
    scope.close();
    expect(lines.filter((l) => l.event === 'request_refused')).toHaveLength(3);
    expect(lines.at(-1)).toMatchObject({
      event: 'refusals_suppressed',
      details: { scope: 'connection', suppressed: 97 },
    });
    expect(suppressed()).toBe(97);
  });

  it('holds each source and the relay to a budget per window, with one summary each', () => {
    const { clock, lines, refusals } = setup();
    for (let i = 0; i < 20; i++) refusals.log('192.0.2.1', 'warn', 'framing_error');
    for (let i = 0; i < 20; i++) refusals.log('192.0.2.2', 'warn', 'framing_error');
    for (let i = 0; i < 20; i++) refusals.log(`198.51.100.${i}`, 'warn', 'framing_error');
    // 5 from the first source, 3 from the second before the relay's 8 are spent.
    expect(lines.filter((l) => l.event === 'framing_error')).toHaveLength(8);
    clock.advance(60_000);
    const summaries = lines.filter((l) => l.event === 'refusals_suppressed');
    expect(summaries).toEqual([
      expect.objectContaining({
        details: expect.objectContaining({ remote: '192.0.2.1', suppressed: 15 }),
      }),
      expect.objectContaining({
        details: expect.objectContaining({ scope: 'relay', suppressed: 37 }),
      }),
    ]);
    // A new window, a new budget.
    refusals.log('192.0.2.1', 'warn', 'framing_error');
    expect(lines.at(-1)?.event).toBe('framing_error');
    refusals.close();
  });
});

describe('SourcePenalties', () => {
  const AMOUNTS = {
    read_budget: 20_000,
    line_too_long: 5_000,
    deadline: 10_000,
    first_line_timeout: 1_000,
  };

  it('remembers at most maxSources sources, forgetting the least recently penalised first', () => {
    const penalties = new SourcePenalties({
      clock: new FakeClock(),
      minMs: 15_000,
      maxMs: 60_000,
      amountsMs: AMOUNTS,
      maxSources: 3,
    });
    for (const source of ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4'])
      penalties.penalise(source, 'read_budget');
    expect(penalties.isPenalised('192.0.2.1')).toBe(false);
    for (const source of ['192.0.2.2', '192.0.2.3', '192.0.2.4'])
      expect(penalties.isPenalised(source)).toBe(true);
  });

  it('takes no memory up front for the sources it may remember', () => {
    // lru-cache's `max` preallocates every slot: 1.5 MiB per table at the default 65,536.
    const before = process.memoryUsage().heapUsed;
    const tables = Array.from(
      { length: 8 },
      () =>
        new SourcePenalties({
          clock: new FakeClock(),
          minMs: 15_000,
          maxMs: 60_000,
          amountsMs: AMOUNTS,
          maxSources: DEFAULT_MAX_SOURCES,
        }),
    );
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(1024 * 1024);
    expect(tables).toHaveLength(8);
  });

  it('refuses a source while its penalty stands above the threshold, and lets it back as it decays', () => {
    const clock = new FakeClock();
    const penalties = new SourcePenalties({
      clock,
      minMs: 15_000,
      maxMs: 60_000,
      amountsMs: {
        read_budget: 10_000,
        line_too_long: 5_000,
        deadline: 10_000,
        first_line_timeout: 1_000,
      },
    });
    penalties.penalise('192.0.2.1', 'read_budget');
    expect(penalties.isPenalised('192.0.2.1')).toBe(false);
    penalties.penalise('192.0.2.1', 'line_too_long');
    expect(penalties.isPenalised('192.0.2.1')).toBe(false);
    penalties.penalise('192.0.2.1', 'first_line_timeout');
    // 16 s standing: over the 15 s threshold, for one more second.
    expect(penalties.isPenalised('192.0.2.1')).toBe(true);
    expect(penalties.isPenalised('192.0.2.2')).toBe(false);
    clock.advance(999);
    expect(penalties.isPenalised('192.0.2.1')).toBe(true);
    clock.advance(1);
    expect(penalties.isPenalised('192.0.2.1')).toBe(false);
    // Never more than the maximum, however much is added.
    for (let i = 0; i < 100; i++) penalties.penalise('192.0.2.3', 'deadline');
    clock.advance(60_000 - 15_000);
    expect(penalties.isPenalised('192.0.2.3')).toBe(false);
  });

  it('does nothing with a threshold of 0', () => {
    const penalties = new SourcePenalties({
      clock: new FakeClock(),
      minMs: 0,
      maxMs: 60_000,
      amountsMs: { read_budget: 100_000, line_too_long: 0, deadline: 0, first_line_timeout: 0 },
    });
    penalties.penalise('192.0.2.1', 'read_budget');
    expect(penalties.isPenalised('192.0.2.1')).toBe(false);
  });
});

// Stream slots per client and per tenant, the idle and half-closed reapers, closing a
// registration's streams, and the buffer ceiling's hold and resume, on an injected clock.

import { describe, expect, it } from 'vitest';
import { StreamBudget } from '../../src-main/relay/stream-budget';
import {
  StreamTable,
  type CarriedStream,
  type ReapReason,
  type StreamOwner,
} from '../../src-main/relay/stream-table';
import { FakeClock } from './engine-fake-clock';

const registration = { id: 't-1' };

function owner(sub: string, overrides: Partial<StreamOwner> = {}): StreamOwner {
  return {
    tenantId: 'acme',
    maxPerTenant: 10,
    clientKey: `acme\u0000${sub}`,
    maxPerClient: 3,
    registration,
    ...overrides,
  };
}

interface FakeStream extends CarriedStream {
  halfClosed: boolean;
  held: number;
  closedWith: ReapReason | null;
  resumed: number;
}

function carried(): FakeStream {
  const stream: FakeStream = {
    halfClosed: false,
    held: 0,
    closedWith: null,
    resumed: 0,
    isHalfClosed: () => stream.halfClosed,
    close: (reason) => (stream.closedWith = reason),
    heldBytes: () => stream.held,
    resumeHeld: () => (stream.resumed += 1),
  };
  return stream;
}

function table(clock: FakeClock, idleTimeoutMs = 60_000, halfClosedTimeoutMs = 10_000) {
  const reaped: ReapReason[] = [];
  const t = new StreamTable({
    clock,
    idleTimeoutMs,
    halfClosedTimeoutMs,
    onReap: (_slot, reason) => reaped.push(reason),
  });
  return { t, reaped };
}

describe('stream limits', () => {
  it("refuses a client's stream beyond its own limit while another client of the tenant still gets one", () => {
    const { t } = table(new FakeClock());
    for (let i = 0; i < 3; i++) expect(t.reserve(owner('alice')).ok).toBe(true);
    expect(t.reserve(owner('alice'))).toEqual({ ok: false, scope: 'client', limit: 3 });
    expect(t.reserve(owner('bob')).ok).toBe(true);
    expect(t.countForClient('acme\u0000alice')).toBe(3);
    expect(t.countForTenant('acme')).toBe(4);
  });

  it('refuses at the tenant limit whoever asks', () => {
    const { t } = table(new FakeClock());
    for (const sub of ['a', 'b', 'c', 'd', 'e'])
      for (let i = 0; i < 2; i++) expect(t.reserve(owner(sub)).ok).toBe(true);
    expect(t.reserve(owner('f'))).toEqual({ ok: false, scope: 'tenant', limit: 10 });
  });

  it('gives a slot back exactly once, however many paths release it', () => {
    const { t } = table(new FakeClock());
    const first = t.reserve(owner('alice'));
    if (!first.ok) throw new Error('refused');
    first.slot.release();
    first.slot.release();
    expect(t.size).toBe(0);
    for (let i = 0; i < 3; i++) expect(t.reserve(owner('alice')).ok).toBe(true);
    expect(t.reserve(owner('alice')).ok).toBe(false);
  });
});

describe('reapers', () => {
  it('resets a stream that moved no byte for the idle timeout, and spares one that keeps moving', () => {
    const clock = new FakeClock();
    const { t, reaped } = table(clock, 60_000, 10_000);
    const quiet = t.reserve(owner('alice'));
    const busy = t.reserve(owner('alice'));
    if (!quiet.ok || !busy.ok) throw new Error('refused');
    const quietStream = carried();
    const busyStream = carried();
    quiet.slot.attach(quietStream);
    busy.slot.attach(busyStream);
    for (let s = 0; s < 70; s++) {
      busy.slot.bytes += 100;
      clock.advance(1_000);
    }
    expect(quietStream.closedWith).toBe('idle');
    expect(busyStream.closedWith).toBeNull();
    expect(reaped).toEqual(['idle']);
    expect(t.size).toBe(1);
  });

  it('resets a half-closed stream after the shorter timeout once nothing moves', () => {
    const clock = new FakeClock();
    const { t } = table(clock, 3_600_000, 10_000);
    const r = t.reserve(owner('alice'));
    if (!r.ok) throw new Error('refused');
    const stream = carried();
    r.slot.attach(stream);
    clock.advance(5_000);
    stream.halfClosed = true;
    // Bytes still flowing the other way keep a half-closed stream alive.
    for (let s = 0; s < 20; s++) {
      r.slot.bytes += 1;
      clock.advance(1_000);
    }
    expect(stream.closedWith).toBeNull();
    clock.advance(13_000);
    expect(stream.closedWith).toBe('half_closed');
    expect(t.size).toBe(0);
  });

  it('never reaps with both timeouts off, and schedules no timer', () => {
    const clock = new FakeClock();
    const { t } = table(clock, 0, 0);
    const r = t.reserve(owner('alice'));
    if (!r.ok) throw new Error('refused');
    const stream = carried();
    stream.halfClosed = true;
    r.slot.attach(stream);
    expect(clock.pending).toBe(0);
    clock.advance(24 * 3_600_000);
    expect(stream.closedWith).toBeNull();
  });

  it("closes every stream of an expired registration and no other's", () => {
    const clock = new FakeClock();
    const { t, reaped } = table(clock);
    const other = { id: 't-2' };
    const streams = [owner('alice'), owner('alice'), owner('alice', { registration: other })].map(
      (o) => {
        const r = t.reserve(o);
        if (!r.ok) throw new Error('refused');
        const s = carried();
        r.slot.attach(s);
        return s;
      },
    );
    expect(t.closeRegistration(registration)).toBe(2);
    expect(streams.map((s) => s.closedWith)).toEqual([
      'registration_expired',
      'registration_expired',
      null,
    ]);
    expect(reaped).toEqual(['registration_expired', 'registration_expired']);
    expect(t.countForClient('acme\u0000alice')).toBe(1);
  });
});

describe('buffer ceiling', () => {
  function budgetSetup(perClient: number, perTenant: number) {
    const clock = new FakeClock();
    const { t } = table(clock, 0, 0);
    let holds = 0;
    const budget = new StreamBudget({
      clock,
      table: t,
      perClient,
      perTenant,
      kernelBytes: 4 << 20,
      readQueues: null,
      onHold: () => (holds += 1),
    });
    const open = (sub: string) => {
      const r = t.reserve(owner(sub));
      if (!r.ok) throw new Error('refused');
      const s = carried();
      r.slot.attach(s);
      return { slot: r.slot, stream: s };
    };
    return { clock, budget, open, holds: () => holds };
  }

  it("holds back every stream of a client over its ceiling, not another client's, and resumes below it", () => {
    const { clock, budget, open, holds } = budgetSetup(1_000, 1_000_000);
    const stuck = open('alice');
    const busy = open('alice');
    const other = open('bob');
    stuck.stream.held = 1_500;
    expect(budget.shouldHold(busy.slot)).toBe(true);
    expect(budget.shouldHold(stuck.slot)).toBe(true);
    expect(budget.shouldHold(other.slot)).toBe(false);
    expect(holds()).toBe(2);
    clock.advance(200);
    expect(busy.stream.resumed).toBe(0);
    stuck.stream.held = 0;
    clock.advance(100);
    expect(busy.stream.resumed).toBe(1);
    expect(stuck.stream.resumed).toBe(1);
    expect(budget.shouldHold(busy.slot)).toBe(false);
  });

  it('holds back the whole tenant over the tenant ceiling', () => {
    const { budget, open } = budgetSetup(1_000_000, 2_000);
    const a = open('alice');
    const b = open('bob');
    a.stream.held = 1_200;
    b.stream.held = 1_200;
    expect(budget.shouldHold(a.slot)).toBe(true);
    expect(budget.shouldHold(b.slot)).toBe(true);
    expect(budget.totalHeld()).toBe(2_400);
  });

  it('resumes a held stream whose slot was released without calling it', () => {
    const { clock, budget, open } = budgetSetup(1_000, 1_000_000);
    const stuck = open('alice');
    stuck.stream.held = 5_000;
    expect(budget.shouldHold(stuck.slot)).toBe(true);
    stuck.slot.release();
    clock.advance(100);
    expect(stuck.stream.resumed).toBe(0);
    expect(clock.pending).toBe(0);
  });
});

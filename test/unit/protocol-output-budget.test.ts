// The bound on what a mux connection owes a peer that does not read (docs/protocol.md#limits):
// reading pauses past the soft limit and resumes once the peer has taken half of it back, the
// connection closes past the hard limit or after the stall deadline, and DATA (bounded by
// credit instead) never counts. Injected clock; no sockets.
import { describe, expect, it } from 'vitest';
import { FakeSocket, settle } from '../harness/fake-socket';
import { FakeClock } from './engine-fake-clock';
import { MuxConnection } from '../../src-main/protocol/mux-connection';
import { encodeFrame, FrameType } from '../../src-main/protocol/mux-frames';
import {
  MUX_CONTROL_OUTPUT_HARD_FACTOR,
  MUX_CONTROL_OUTPUT_LIMIT,
  MUX_OUTPUT_STALL_MS,
  OutputBudget,
} from '../../src-main/protocol/mux-output-budget';

function budget(clock = new FakeClock()): {
  b: OutputBudget;
  events: string[];
  clock: FakeClock;
} {
  const events: string[] = [];
  const b = new OutputBudget({
    softLimit: 1000,
    hardLimit: 4000,
    stallMs: 5_000,
    clock,
    pause: () => events.push('pause'),
    resume: () => events.push('resume'),
    overflow: (reason) => events.push(`overflow ${reason}`),
  });
  return { b, events, clock };
}

describe('OutputBudget', () => {
  it('pauses above the soft limit and resumes once half of it has been taken', () => {
    const { b, events } = budget();
    for (let i = 0; i < 11; i++) b.charge(100);
    expect(events).toEqual(['pause']);
    expect(b.isPaused).toBe(true);
    for (let i = 0; i < 5; i++) b.flushed();
    expect(events).toEqual(['pause']);
    b.flushed();
    expect(events).toEqual(['pause', 'resume']);
    expect(b.unsentBytes).toBe(500);
    expect(b.pauses).toBe(1);
  });

  it('closes past the hard limit at once', () => {
    const { b, events } = budget();
    b.charge(3_000);
    b.charge(1_001);
    expect(events).toEqual(['pause', expect.stringMatching(/^overflow .*limit 4000/)]);
  });

  it('closes a connection paused for longer than the stall deadline, and not one that drains in time', () => {
    const first = budget();
    first.b.charge(1_001);
    first.clock.advance(4_999);
    expect(first.events).toEqual(['pause']);
    first.clock.advance(1);
    expect(first.events).toEqual(['pause', expect.stringMatching(/^overflow .*for 5000 ms/)]);

    const second = budget();
    second.b.charge(1_001);
    second.clock.advance(4_000);
    second.b.flushed();
    second.clock.advance(10_000);
    expect(second.events).toEqual(['pause', 'resume']);
    expect(second.clock.pending).toBe(0);
  });

  it('leaves no timer behind once disposed', () => {
    const { b, clock, events } = budget();
    b.charge(2_000);
    b.dispose();
    clock.advance(60_000);
    b.charge(10_000);
    expect(events).toEqual(['pause']);
    expect(clock.pending).toBe(0);
  });
});

const PING = encodeFrame(FrameType.PING, 0, Buffer.alloc(8, 7));

describe('a mux connection whose peer does not read', () => {
  it('stops reading PINGs once their PONGs pass the limit, and reads again when they are taken', async () => {
    const socket = new FakeSocket('manual');
    let closed: string | null | undefined;
    new MuxConnection({
      socket: socket.asSocket,
      role: 'relay',
      onOpen: () => undefined,
      onClosed: (error) => (closed = error),
    });
    expect(socket.isPaused).toBe(false);
    const chunk = Buffer.concat(Array.from({ length: 900 }, () => PING));
    let chunks = 0;
    while (!socket.isPaused && chunks < 1000) {
      socket.emit('data', chunk);
      chunks += 1;
    }
    expect(socket.isPaused).toBe(true);
    // One write per chunk of PINGs, and reading stopped just past the limit.
    expect(socket.written).toHaveLength(chunks);
    expect(socket.writtenBytes).toBeGreaterThan(MUX_CONTROL_OUTPUT_LIMIT);
    expect(socket.writtenBytes).toBeLessThan(MUX_CONTROL_OUTPUT_LIMIT + chunk.length * 2);
    socket.flushAll();
    expect(socket.isPaused).toBe(false);
    await settle();
    expect(closed).toBeUndefined();
  });

  it(`closes it ${MUX_OUTPUT_STALL_MS / 1000} s after pausing when the peer still has not read`, async () => {
    const socket = new FakeSocket('manual');
    const clock = new FakeClock();
    let closed: string | null | undefined;
    new MuxConnection({
      socket: socket.asSocket,
      role: 'relay',
      clock,
      onOpen: () => undefined,
      onClosed: (error) => (closed = error),
    });
    const chunk = Buffer.concat(Array.from({ length: 900 }, () => PING));
    while (!socket.isPaused) socket.emit('data', chunk);
    clock.advance(MUX_OUTPUT_STALL_MS - 1);
    await settle();
    expect(closed).toBeUndefined();
    clock.advance(1);
    await settle();
    expect(closed).toMatch(/^protocol_error: output_overflow: peer read none of \d+ bytes/);
  });

  it('closes it at once when one chunk alone owes more than the hard limit', async () => {
    const socket = new FakeSocket('manual');
    let closed: string | null | undefined;
    new MuxConnection({
      socket: socket.asSocket,
      role: 'relay',
      controlOutputLimit: 1024,
      onOpen: () => undefined,
      onClosed: (error) => (closed = error),
    });
    const pings = Math.ceil((1024 * MUX_CONTROL_OUTPUT_HARD_FACTOR) / PING.length) + 1;
    socket.emit('data', Buffer.concat(Array.from({ length: pings }, () => PING)));
    await settle();
    expect(closed).toMatch(/^protocol_error: output_overflow: .*limit 4096/);
  });

  it('does not count DATA: a stream may fill its window while the peer is slow', async () => {
    const socket = new FakeSocket('manual');
    let closed: string | null | undefined;
    const conn = new MuxConnection({
      socket: socket.asSocket,
      role: 'client',
      controlOutputLimit: 1024,
      onClosed: (error) => (closed = error),
    });
    const local = new FakeSocket();
    conn.openStream(Buffer.from('{}')).attach(local.asSocket);
    for (let i = 0; i < 16; i++) local.emit('data', Buffer.alloc(32 * 1024, i));
    await settle();
    expect(socket.writtenBytes).toBeGreaterThan(512 * 1024);
    expect(socket.isPaused).toBe(false);
    expect(closed).toBeUndefined();
  });
});

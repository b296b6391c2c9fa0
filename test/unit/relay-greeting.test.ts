// The relay's greeting at its front door on an injected clock (docs/protocol.md#opener): a
// connection silent for the delay gets the relay's hello, one that speaks first (its hello,
// auth with no hello, even part of a line) never does, the delay at 0 turns it off, and one
// that closes before its first line is logged with its duration. Fake sockets, no network.

import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src-main/protocol/codec';
import type { RelayContext } from '../../src-main/relay/context';
import { createFrontDoor } from '../../src-main/relay/front-door';
import { createLogger } from '../../src-main/relay/log';
import { RelayMetrics } from '../../src-main/relay/metrics';
import { RefusalLog } from '../../src-main/relay/refusal-log';
import { DEFAULT_FRONT_DOOR_LIMITS } from '../../src-main/relay/relay-limits';
import { SourcePenalties } from '../../src-main/relay/source-penalties';
import { FakeSocket } from '../harness/fake-socket';
import { FakeClock } from './engine-fake-clock';

function door(greetDelayMs = 200) {
  const clock = new FakeClock();
  const records: Array<{ event: string; level: string; details: Record<string, unknown> }> = [];
  const log = createLogger({ clock, sink: (line) => records.push(JSON.parse(line) as never) });
  const limits = { ...DEFAULT_FRONT_DOOR_LIMITS, greetDelayMs };
  const metrics = new RelayMetrics();
  const firstLines: JsonObject[] = [];
  const ctx = {
    clock,
    log,
    metrics,
    limits,
    version: '1.0',
    features: ['tcp_stream', 'published_servers'],
    refusals: new RefusalLog({
      log,
      clock,
      perConnection: 10,
      perSource: 20,
      total: 200,
      windowMs: 60_000,
    }),
    penalties: new SourcePenalties({
      clock,
      minMs: 0,
      maxMs: 0,
      amountsMs: { read_budget: 0, line_too_long: 0, deadline: 0, first_line_timeout: 0 },
    }),
    hit: (limit: string) => metrics.limitHitsTotal.inc({ limit }),
    track: () => undefined,
    isClosing: () => false,
  } as unknown as RelayContext;
  const frontDoor = createFrontDoor(ctx, null, {
    control: (_socket, first) => firstLines.push(first),
    mux: (_socket, first) => firstLines.push(first),
    data: (_socket, first) => firstLines.push(first),
  });
  const connect = (): FakeSocket => {
    const socket = new FakeSocket();
    Object.assign(socket, {
      remoteAddress: '192.0.2.7',
      writable: true,
      setKeepAlive: () => socket,
    });
    frontDoor.server.emit('connection', socket);
    return socket;
  };
  const lines = (socket: FakeSocket): JsonObject[] =>
    socket.written.map((chunk) => JSON.parse(chunk.toString()) as JsonObject);
  return { clock, connect, lines, firstLines, records, metrics };
}

const line = (message: JsonObject): Buffer => Buffer.from(JSON.stringify(message) + '\n');

describe('the relay greets', () => {
  it('sends its hello, once, to a connection silent for the delay, and takes its first line after', () => {
    const d = door(200);
    const socket = d.connect();
    d.clock.advance(199);
    expect(socket.written).toHaveLength(0);
    d.clock.advance(1);
    expect(d.lines(socket)).toEqual([
      { type: 'hello', version: '1.0', features: ['tcp_stream', 'published_servers'] },
    ]);
    d.clock.advance(10_000);
    expect(socket.written).toHaveLength(1);
    socket.emit('data', line({ type: 'auth', token: 'x' }));
    expect(d.firstLines).toEqual([{ type: 'auth', token: 'x' }]);
  });

  it('never greets a client that speaks first: hello, auth with no hello, or part of a line', () => {
    for (const first of [
      line({ type: 'hello', version: '1.0', features: [] }),
      line({ type: 'auth', token: 'v1-server-example' }),
      line({ type: 'stream_open', tunnel_id: 't', stream_token: 's' }),
    ]) {
      const d = door(200);
      const socket = d.connect();
      d.clock.advance(5);
      socket.emit('data', first);
      d.clock.advance(1_000);
      expect(socket.written).toHaveLength(0);
      expect(d.firstLines).toHaveLength(1);
    }
    const d = door(200);
    const socket = d.connect();
    socket.emit('data', Buffer.from('{"type":"hel'));
    d.clock.advance(1_000);
    socket.emit('data', Buffer.from('lo"}\n'));
    expect(socket.written).toHaveLength(0);
    expect(d.firstLines).toEqual([{ type: 'hello' }]);
  });

  it('does not greet at all with the delay at 0', () => {
    const d = door(0);
    const socket = d.connect();
    d.clock.advance(50_000);
    expect(socket.written).toHaveLength(0);
  });

  it('logs a connection that closes before its first line, with its duration, at info', async () => {
    const d = door(200);
    const quiet = d.connect();
    d.clock.advance(750);
    quiet.emit('close', false);
    const talked = d.connect();
    d.clock.advance(20);
    talked.emit('data', Buffer.from('{"ty'));
    talked.emit('close', false);
    const handedOn = d.connect();
    handedOn.emit('data', line({ type: 'hello' }));
    handedOn.emit('close', false);
    await Promise.resolve();
    const closed = d.records.filter((r) => r.event === 'closed_before_first_line');
    expect(closed.map((r) => [r.level, r.details])).toEqual([
      ['info', { remote: '192.0.2.7', duration_ms: 750, greeted: true, bytes: 0 }],
      ['info', { remote: '192.0.2.7', duration_ms: 20, greeted: false, bytes: 4 }],
    ]);
    const text = await d.metrics.text();
    expect(text).toContain('cloudbridge_relay_limit_hits_total{limit="greet_delay_ms"} 1');
  });
});

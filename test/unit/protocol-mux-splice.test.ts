// Two mux streams spliced frame to frame (src-main/protocol/mux-splice.ts, docs/protocol.md
// "Reaching a published server") and the relay-initiated streams under them, on fake sockets:
// DATA forwarded as it comes, WINDOW passed through one for one (nothing waits in between),
// FIN and RST carried both ways, the answer of the far side, a lost far connection before it,
// and the id and answer rules of relay-opened streams.

import { describe, expect, it } from 'vitest';
import { MuxConnection, type MuxStream } from '../../src-main/protocol/mux-connection';
import {
  encodeFrame,
  encodeWindow,
  FrameDecoder,
  FrameType,
  readWindowCredit,
  type Frame,
} from '../../src-main/protocol/mux-frames';
import { spliceStreams, type SpliceOptions } from '../../src-main/protocol/mux-splice';
import { FakeSocket, settle } from '../harness/fake-socket';

const WINDOW = 64 * 1024;

interface Side {
  readonly socket: FakeSocket;
  readonly conn: MuxConnection;
  closed: string | null | undefined;
  /** Frames written so far and not yet read by the test. */
  frames(): Frame[];
}

function side(
  role: 'client' | 'relay',
  onOpen?: (stream: MuxStream, payload: Buffer) => void,
): Side {
  const socket = new FakeSocket();
  const decoder = new FrameDecoder();
  let seen = 0;
  const result: Side = {
    socket,
    closed: undefined,
    conn: new MuxConnection({
      socket: socket.asSocket,
      role,
      window: WINDOW,
      maxStreams: 8,
      ...(onOpen ? { onOpen } : {}),
      onClosed: (error) => {
        result.closed = error;
      },
    }),
    frames() {
      const fresh = socket.written.slice(seen);
      seen = socket.written.length;
      return fresh.flatMap((chunk) => decoder.push(chunk));
    },
  };
  return result;
}

/** A consumer's connection with its OPEN accepted, spliced to a stream the relay opened. */
function spliced(options: Partial<SpliceOptions> = {}) {
  let inbound: MuxStream | null = null;
  const consumer = side('relay', (stream) => {
    inbound = stream;
  });
  consumer.socket.emit('data', encodeFrame(FrameType.OPEN, 1, Buffer.from('{}')));
  const server = side('relay');
  const outbound = server.conn.openStream(Buffer.from('{"port":22}'));
  const log: string[] = [];
  const ends: Array<{ reset: boolean }> = [];
  spliceStreams(inbound as unknown as MuxStream, outbound, {
    onAnswer: (refusal) => {
      log.push(refusal === null ? 'ok' : `refused ${refusal.toString()}`);
      if (refusal === null) (inbound as unknown as MuxStream).accept();
    },
    onUnanswered: () => log.push('unanswered'),
    onEnd: (end) => ends.push(end),
    ...options,
  });
  return { consumer, server, inbound: inbound as unknown as MuxStream, outbound, log, ends };
}

const data = (id: number, size: number): Buffer =>
  encodeFrame(FrameType.DATA, id, Buffer.alloc(size, 7));

describe('mux splice', () => {
  it('opens the relay’s stream with an even id and forwards the consumer’s DATA as it comes', () => {
    const s = spliced();
    const opened = s.server.frames();
    expect(opened.map((f) => [f.type, f.streamId])).toEqual([[FrameType.OPEN, 2]]);
    // Pipelined before the far side answered: it goes on at once, within the far credit.
    s.consumer.socket.emit('data', data(1, 1000));
    expect(s.server.frames().map((f) => [f.type, f.streamId, f.payload.length])).toEqual([
      [FrameType.DATA, 2, 1000],
    ]);
    s.server.socket.emit('data', encodeFrame(FrameType.OPEN_OK, 2));
    expect(s.log).toEqual(['ok']);
    expect(s.consumer.frames().map((f) => f.type)).toEqual([FrameType.OPEN_OK]);
  });

  it('passes each WINDOW on one for one, so the consumer never gets credit the far end did not give', () => {
    const s = spliced();
    s.server.socket.emit('data', encodeFrame(FrameType.OPEN_OK, 2));
    s.consumer.frames();
    s.server.frames();
    // A whole window from the consumer: all of it forwarded, no credit back yet.
    s.consumer.socket.emit('data', data(1, WINDOW));
    expect(s.server.frames().reduce((n, f) => n + f.payload.length, 0)).toBe(WINDOW);
    expect(s.consumer.frames()).toEqual([]);
    // The server grants 1234: the consumer gets exactly that.
    s.server.socket.emit('data', encodeWindow(2, 1234));
    const grants = s.consumer.frames();
    expect(grants.map((f) => [f.type, f.streamId, readWindowCredit(f)])).toEqual([
      [FrameType.WINDOW, 1, 1234],
    ]);
    // One byte beyond what was passed on is the consumer's protocol error.
    s.consumer.socket.emit('data', data(1, 1235));
    expect(s.consumer.closed ?? s.consumer.socket.destroyed).toBeTruthy();
  });

  it('carries the far side’s DATA and FIN to the consumer, and ends cleanly after both FINs', () => {
    const s = spliced();
    s.server.socket.emit('data', encodeFrame(FrameType.OPEN_OK, 2));
    s.consumer.frames();
    s.server.frames();
    s.server.socket.emit('data', Buffer.concat([data(2, 500), encodeFrame(FrameType.FIN, 2)]));
    expect(s.consumer.frames().map((f) => [f.type, f.streamId])).toEqual([
      [FrameType.DATA, 1],
      [FrameType.FIN, 1],
    ]);
    expect(s.ends).toEqual([]);
    // Half-closed: the consumer may still send.
    s.consumer.socket.emit('data', data(1, 10));
    s.consumer.socket.emit('data', encodeFrame(FrameType.FIN, 1));
    expect(s.server.frames().map((f) => f.type)).toEqual([FrameType.DATA, FrameType.FIN]);
    expect(s.ends).toEqual([{ reset: false, error: null }]);
    expect(s.consumer.conn.streamCount + s.server.conn.streamCount).toBe(0);
  });

  it('carries a reset either way, without forwarding its payload', () => {
    const a = spliced();
    a.server.socket.emit('data', encodeFrame(FrameType.OPEN_OK, 2));
    a.server.frames();
    a.consumer.socket.emit('data', encodeFrame(FrameType.RST, 1, Buffer.from('{"secret":1}')));
    expect(a.server.frames().map((f) => [f.type, f.streamId, f.payload.length])).toEqual([
      [FrameType.RST, 2, 0],
    ]);
    expect(a.ends).toEqual([{ reset: true, error: 'peer_reset' }]);

    const b = spliced();
    b.server.socket.emit('data', encodeFrame(FrameType.OPEN_OK, 2));
    b.consumer.frames();
    b.server.socket.emit('data', encodeFrame(FrameType.RST, 2));
    expect(b.consumer.frames().map((f) => f.type)).toEqual([FrameType.RST]);
    expect(b.ends[0]?.reset).toBe(true);
  });

  it('leaves the consumer’s answer to the caller when the far side refuses or goes before answering', async () => {
    const refused = spliced();
    refused.server.socket.emit(
      'data',
      encodeFrame(FrameType.OPEN_ERR, 2, Buffer.from('{"code":"x"}')),
    );
    expect(refused.log).toEqual(['refused {"code":"x"}']);
    // A caller that did not refuse the consumer's stream in onAnswer: it is reset, not left open.
    expect(refused.consumer.frames().map((f) => f.type)).toEqual([FrameType.RST]);
    expect(refused.ends.map((e) => e.reset)).toEqual([true]);

    // The far connection goes before it answered: the caller refuses the consumer's OPEN.
    let lostInbound: MuxStream | null = null;
    const lost = spliced({
      onUnanswered: () => lostInbound?.refuse({ type: 'error', code: 'data_transfer_failed' }),
    });
    lostInbound = lost.inbound;
    lost.consumer.frames();
    lost.server.conn.destroy();
    await settle();
    expect(lost.consumer.frames().map((f) => f.type)).toEqual([FrameType.OPEN_ERR]);
    expect(lost.ends).toEqual([{ reset: true, error: 'data_transfer_failed' }]);
  });

  it('refuses to splice a stream onto one that may send less than it may receive', () => {
    let inbound: MuxStream | null = null;
    const consumer = side('relay', (stream) => {
      inbound = stream;
    });
    consumer.socket.emit('data', encodeFrame(FrameType.OPEN, 1, Buffer.from('{}')));
    const socket = new FakeSocket();
    const narrow = new MuxConnection({
      socket: socket.asSocket,
      role: 'relay',
      window: WINDOW / 2,
      onClosed: () => undefined,
    });
    const outbound = narrow.openStream(Buffer.alloc(0));
    expect(() =>
      spliceStreams(inbound as unknown as MuxStream, outbound, {
        onAnswer: () => undefined,
        onUnanswered: () => undefined,
        onEnd: () => undefined,
      }),
    ).toThrow(/far stream/);
  });
});

describe('relay-initiated streams', () => {
  it('lets a serving client answer even ids, and refuses odd ones or OPENs to a client that serves none', () => {
    const opened: number[] = [];
    const serving = side('client', (stream) => {
      opened.push(stream.id);
      stream.accept();
    });
    serving.socket.emit('data', encodeFrame(FrameType.OPEN, 2, Buffer.from('{}')));
    expect(opened).toEqual([2]);
    expect(serving.frames().map((f) => [f.type, f.streamId])).toEqual([[FrameType.OPEN_OK, 2]]);
    serving.socket.emit('data', encodeFrame(FrameType.OPEN, 3, Buffer.from('{}')));
    expect(serving.closed ?? serving.socket.destroyed).toBeTruthy();

    const plain = side('client');
    plain.socket.emit('data', encodeFrame(FrameType.OPEN, 2, Buffer.from('{}')));
    expect(plain.socket.destroyed).toBe(true);
  });

  it('treats DATA before OPEN_OK, an answer to a stream the peer opened, and a second answer as protocol errors', () => {
    for (const frames of [
      [data(2, 1)],
      [encodeFrame(FrameType.FIN, 2)],
      [encodeFrame(FrameType.OPEN_OK, 2), encodeFrame(FrameType.OPEN_OK, 2)],
    ]) {
      const relay = side('relay');
      relay.conn.openStream(Buffer.alloc(0));
      relay.socket.emit('data', Buffer.concat(frames));
      expect(relay.socket.destroyed).toBe(true);
    }
    const relay = side('relay', () => undefined);
    relay.socket.emit(
      'data',
      Buffer.concat([
        encodeFrame(FrameType.OPEN, 1, Buffer.alloc(0)),
        encodeFrame(FrameType.OPEN_OK, 1),
      ]),
    );
    expect(relay.socket.destroyed).toBe(true);
  });
});

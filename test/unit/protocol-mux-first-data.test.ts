// A new stream's first frame waits for its first bytes (src-main/protocol/mux-connection.ts
// openStream and MuxStream.accept `withFirstData`): the client's OPEN and the relay's OPEN_OK
// leave in one write with the stream's first DATA, so a new connection costs one TLS record and
// one read at the peer fewer each way; with nothing to send they still leave once the event
// loop has polled again. On a fake socket that joins what is written while corked, as Node's
// writev joins it into one TLS record.

import { describe, expect, it } from 'vitest';
import { MuxConnection, type MuxStream } from '../../src-main/protocol/mux-connection';
import {
  encodeFrame,
  FrameDecoder,
  FrameType,
  type Frame,
} from '../../src-main/protocol/mux-frames';
import { FakeSocket } from '../harness/fake-socket';

/** One entry per write that reaches the wire: what was written while corked leaves together. */
class CorkingSocket extends FakeSocket {
  readonly flushes: Buffer[] = [];
  private corks = 0;
  private held: Buffer[] = [];

  override cork(): void {
    this.corks += 1;
  }

  override uncork(): void {
    if (this.corks === 0) return;
    this.corks -= 1;
    if (this.corks > 0 || this.held.length === 0) return;
    this.flushes.push(Buffer.concat(this.held));
    this.held = [];
  }

  override write(chunk: Buffer | string, cb?: (error?: Error | null) => void): boolean {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.corks > 0) this.held.push(bytes);
    else this.flushes.push(bytes);
    return super.write(bytes, cb);
  }
}

function connection(role: 'client' | 'relay', onOpen?: (stream: MuxStream) => void) {
  const socket = new CorkingSocket();
  const releases: (() => void)[] = [];
  const conn = new MuxConnection({
    socket: socket.asSocket,
    role,
    ...(onOpen ? { onOpen } : {}),
    onClosed: () => undefined,
    // The test says when the event loop has polled again.
    afterNextPoll: (release) => releases.push(release),
  });
  const frames = (flush: Buffer): [FrameType, number][] =>
    new FrameDecoder().push(flush).map((f: Frame) => [f.type, f.streamId]);
  return { socket, conn, releases, frames };
}

describe('a new stream and its first bytes', () => {
  it('sends the client’s OPEN and the first DATA in one write', () => {
    const c = connection('client');
    const stream = c.conn.openStream(Buffer.from('{"tunnel_id":"t"}'), { withFirstData: true });
    expect(c.socket.flushes).toHaveLength(0);
    expect(stream.sendData(Buffer.from('x'))).toBe(1);
    expect(c.socket.flushes).toHaveLength(1);
    expect(c.frames(c.socket.flushes[0]!)).toEqual([
      [FrameType.OPEN, 1],
      [FrameType.DATA, 1],
    ]);
  });

  it('sends the OPEN alone once the loop has polled again when the program sends nothing', () => {
    const c = connection('client');
    c.conn.openStream(Buffer.from('{}'), { withFirstData: true });
    expect(c.socket.flushes).toHaveLength(0);
    expect(c.releases).toHaveLength(1);
    c.releases[0]!();
    expect(c.socket.flushes.map((f) => c.frames(f))).toEqual([[[FrameType.OPEN, 1]]]);
    // Released once: a later DATA is a write of its own.
    c.releases[0]!();
    expect(c.socket.flushes).toHaveLength(1);
  });

  it('sends an OPEN at once when not asked to wait', () => {
    const c = connection('client');
    c.conn.openStream(Buffer.from('{}'));
    expect(c.socket.flushes.map((f) => c.frames(f))).toEqual([[[FrameType.OPEN, 1]]]);
    expect(c.releases).toHaveLength(0);
  });

  it('sends the relay’s OPEN_OK ahead of the target’s first bytes, in one write', () => {
    let inbound: MuxStream | null = null;
    const r = connection('relay', (stream) => {
      inbound = stream;
    });
    r.socket.emit('data', encodeFrame(FrameType.OPEN, 1, Buffer.from('{}')));
    const stream = inbound as unknown as MuxStream;
    stream.accept({ withFirstData: true });
    expect(r.socket.flushes).toHaveLength(0);
    stream.sendData(Buffer.from('SSH-2.0-x\r\n'));
    expect(r.socket.flushes.map((f) => r.frames(f))).toEqual([
      [
        [FrameType.OPEN_OK, 1],
        [FrameType.DATA, 1],
      ],
    ]);
  });

  it('lets an OPEN go after two turns of setImmediate by default', async () => {
    const socket = new CorkingSocket();
    const conn = new MuxConnection({ socket: socket.asSocket, role: 'client', onClosed: () => {} });
    conn.openStream(Buffer.from('{}'), { withFirstData: true });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(socket.flushes).toHaveLength(0);
    await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
    expect(socket.flushes).toHaveLength(1);
  });
});

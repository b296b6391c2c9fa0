// A tap where the relay's view of a serving connection can be read: a TLS proxy holding the
// relay's own certificate and key (so a publishing computer that pins the relay accepts it),
// placed at the relay's `--public-endpoint`. It decrypts the outer TLS exactly as the relay
// does, decodes the mux frames, and keeps the first bytes of every stream's DATA both ways,
// then forwards everything unchanged to the relay over TLS. Owns no assertions.

import type { AddressInfo, Socket } from 'node:net';
import tls from 'node:tls';
import { FrameDecoder, FrameType } from '../../src-main/protocol/mux-frames';

/** Bytes kept per stream and direction (enough for the handshakes and first records). */
const KEPT_PER_STREAM = 64 * 1024;
const MAX_TEXT_WINDOW = 256;

export interface TappedStream {
  /** The relay's DATA towards the publishing computer (the consumer's bytes as forwarded). */
  toServer: Buffer;
  /** The publishing computer's DATA towards the relay. */
  fromServer: Buffer;
}

export interface TapProxy {
  readonly port: number;
  /** Where to forward (the relay's port), set once the relay listens. */
  upstream: number;
  /** Stream id -> its first bytes, for every stream the relay opened on a serving connection. */
  readonly streams: Map<number, TappedStream>;
  /** DATA payload bytes seen in all, both directions. */
  readonly dataBytes: number;
  /** True when `text` appeared in any DATA the tap forwarded (searched across frame edges). */
  sawText(text: string): boolean;
  close(): Promise<void>;
}

/** Watches one direction of a serving connection: lines first, then mux frames. */
class DirectionTap {
  private lines = true;
  private pending = Buffer.alloc(0);
  private readonly frames = new FrameDecoder();
  private tail = '';

  constructor(
    private readonly onData: (streamId: number, payload: Buffer) => void,
    private readonly onText: (window: string) => void,
    /** The line after which frames start in this direction. */
    private readonly lastLineType: string,
  ) {}

  push(chunk: Buffer): void {
    let data = chunk;
    while (this.lines) {
      this.pending = Buffer.concat([this.pending, data]);
      const newline = this.pending.indexOf(0x0a);
      if (newline === -1) return;
      const line = JSON.parse(this.pending.subarray(0, newline).toString('utf8')) as {
        type?: string;
      };
      data = this.pending.subarray(newline + 1);
      this.pending = Buffer.alloc(0);
      if (line.type === this.lastLineType) this.lines = false;
    }
    for (const frame of this.frames.push(data)) {
      if (frame.type !== FrameType.DATA) continue;
      this.onData(frame.streamId, frame.payload);
      const text = this.tail + frame.payload.toString('latin1');
      this.onText(text);
      this.tail = text.slice(-MAX_TEXT_WINDOW);
    }
  }
}

/**
 * Starts the tap; `markers` are the texts looked for in every DATA payload it forwards (so a
 * test can show that plaintext it sent never reached the relay, or that it did).
 */
export async function startTapProxy(
  relayCert: { cert: string; key: string },
  caPem: string,
  markers: readonly string[],
): Promise<TapProxy> {
  const streams = new Map<number, TappedStream>();
  const found = new Set<string>();
  const sockets = new Set<Socket>();
  let dataBytes = 0;
  const keep = (id: number, key: keyof TappedStream, payload: Buffer): void => {
    dataBytes += payload.length;
    const entry = streams.get(id) ?? { toServer: Buffer.alloc(0), fromServer: Buffer.alloc(0) };
    if (entry[key].length < KEPT_PER_STREAM)
      entry[key] = Buffer.concat([
        entry[key],
        payload.subarray(0, KEPT_PER_STREAM - entry[key].length),
      ]);
    streams.set(id, entry);
  };
  const text = (window: string): void => {
    for (const marker of markers) if (window.includes(marker)) found.add(marker);
  };
  const tap: TapProxy = {
    port: 0,
    upstream: 0,
    streams,
    get dataBytes() {
      return dataBytes;
    },
    sawText: (marker) => found.has(marker),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server = tls.createServer(
    { cert: relayCert.cert, key: relayCert.key, minVersion: 'TLSv1.3', allowHalfOpen: true },
    (client) => {
      sockets.add(client);
      client.once('close', () => sockets.delete(client));
      const upstream = tls.connect({
        host: '127.0.0.1',
        port: tap.upstream,
        ca: caPem,
        servername: 'localhost',
        allowHalfOpen: true,
      } as tls.ConnectionOptions);
      sockets.add(upstream);
      upstream.once('close', () => sockets.delete(upstream));
      const toRelay = new DirectionTap(
        (id, payload) => keep(id, 'fromServer', payload),
        text,
        'mux_open',
      );
      const fromRelay = new DirectionTap(
        (id, payload) => keep(id, 'toServer', payload),
        text,
        'mux_response',
      );
      client.on('data', (chunk: Buffer) => {
        toRelay.push(chunk);
        if (!upstream.write(chunk)) client.pause();
      });
      upstream.on('drain', () => client.resume());
      upstream.on('data', (chunk: Buffer) => {
        fromRelay.push(chunk);
        if (!client.write(chunk)) upstream.pause();
      });
      client.on('drain', () => upstream.resume());
      client.on('end', () => upstream.end());
      upstream.on('end', () => client.end());
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  (tap as { port: number }).port = (server.address() as AddressInfo).port;
  return tap;
}

// A TCP proxy on 127.0.0.1 that injects network faults between a client and a relay:
// pass bytes through, swallow them (a half-open peer: TCP stays up, nothing arrives),
// or cut one connection. Byte-level only; it never parses or changes what it forwards.

import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';

export type FaultMode = 'pass' | 'swallow';

interface Pair {
  /** 0 for the first connection accepted, 1 for the next, ... */
  readonly index: number;
  readonly client: Socket;
  readonly upstream: Socket;
}

export interface FaultProxy {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections currently open. */
  readonly open: number;
  /** `swallow`: bytes in both directions are read and dropped; the sockets stay open. */
  setMode(mode: FaultMode): void;
  /**
   * Resets only the connection accepted as number `index` (0 = first); false if it is not
   * open. A client that opens its control connection first can lose it alone this way.
   */
  cut(index: number): boolean;
  /** Accept indexes of the connections open now. */
  openIndexes(): number[];
  close(): Promise<void>;
}

export async function startFaultProxy(target: {
  host?: string;
  port: number;
}): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  let mode: FaultMode = 'pass';
  let accepted = 0;

  const forward = (from: Socket, to: Socket): void => {
    from.on('data', (data: Buffer) => {
      if (mode === 'swallow') return;
      if (!to.write(data)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
    from.on('end', () => {
      if (mode === 'pass') to.end();
    });
  };

  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = createConnection({
      host: target.host ?? '127.0.0.1',
      port: target.port,
      allowHalfOpen: true,
    });
    const pair: Pair = { index: accepted++, client, upstream };
    pairs.add(pair);
    const teardown = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', teardown);
    upstream.on('error', teardown);
    client.on('close', teardown);
    upstream.on('close', teardown);
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    get accepted() {
      return accepted;
    },
    get open() {
      return pairs.size;
    },
    setMode(next) {
      mode = next;
    },
    cut(index) {
      const pair = [...pairs].find((p) => p.index === index);
      if (pair === undefined) return false;
      pair.client.resetAndDestroy();
      pair.upstream.resetAndDestroy();
      return true;
    },
    openIndexes() {
      return [...pairs].map((p) => p.index).sort((a, b) => a - b);
    },
    close() {
      for (const pair of [...pairs]) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

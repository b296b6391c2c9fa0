// A TLS-terminating proxy between the engine and a test relay that reads the control
// connection's lines: it records what the client sends and can hold a chosen client line (and
// everything after it on that connection) until released, so a test can keep a registration
// in flight while it changes the tunnels. Data and mux connections pass through untouched.

import net from 'node:net';
import tls from 'node:tls';
import { LineDecoder, type JsonObject } from '../../src-main/protocol/codec';
import type { RelayEndpoint } from '../../src-main/engine/types';
import type { TestPki } from '../harness/pki';

export interface GateProxy {
  readonly port: number;
  endpoint(): RelayEndpoint;
  /** Every line the client sent on control connections, in order. */
  readonly clientLines: JsonObject[];
  /** Control connections accepted so far (a reconnect makes a second one). */
  readonly controlConnections: number;
  /** From now on, the next client line of `type` and all after it wait for release(). */
  holdNext(type: string): void;
  /** True while a line is being held. */
  readonly holding: boolean;
  release(): void;
  close(): Promise<void>;
}

interface Held {
  readonly lines: Buffer[];
  readonly upstream: tls.TLSSocket;
}

export async function startGateProxy(
  pki: TestPki,
  relay: { readonly host: string; readonly port: number },
): Promise<GateProxy> {
  const sockets = new Set<net.Socket>();
  const clientLines: JsonObject[] = [];
  let controlConnections = 0;
  let holdType: string | null = null;
  let held: Held | null = null;

  const server = tls.createServer(
    { cert: pki.serverEc.cert, key: pki.serverEc.key, minVersion: 'TLSv1.3', allowHalfOpen: true },
    (client) => {
      const upstream = tls.connect({
        socket: net.connect({ host: relay.host, port: relay.port, allowHalfOpen: true }),
        ca: pki.caPem,
        servername: 'localhost',
      });
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
        s.on('close', () => sockets.delete(s));
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      upstream.on('data', (chunk: Buffer) => client.write(chunk));
      upstream.on('end', () => client.end());
      client.on('end', () => upstream.end());
      // The first line says what the connection is: a control session opens with hello or auth.
      let kind: 'unknown' | 'control' | 'other' = 'unknown';
      const decoder = new LineDecoder();
      let pending = Buffer.alloc(0);
      client.on('data', (chunk: Buffer) => {
        if (kind === 'other') {
          upstream.write(chunk);
          return;
        }
        pending = Buffer.concat([pending, chunk]);
        for (;;) {
          const newline = pending.indexOf(0x0a);
          if (newline === -1) break;
          const line = pending.subarray(0, newline + 1);
          pending = pending.subarray(newline + 1);
          const [message] = decoder.push(line);
          if (kind === 'unknown') {
            kind = message?.type === 'hello' || message?.type === 'auth' ? 'control' : 'other';
            if (kind === 'control') controlConnections += 1;
          }
          if (kind === 'other') {
            upstream.write(Buffer.concat([line, pending]));
            pending = Buffer.alloc(0);
            return;
          }
          if (message !== undefined) clientLines.push(message);
          if (held === null && holdType !== null && message?.type === holdType) {
            holdType = null;
            held = { lines: [], upstream };
          }
          if (held !== null && held.upstream === upstream) held.lines.push(Buffer.from(line));
          else upstream.write(line);
        }
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    endpoint: () => ({ host: '127.0.0.1', port, ca: pki.caPem, serverName: 'localhost' }),
    clientLines,
    get controlConnections() {
      return controlConnections;
    },
    holdNext(type) {
      holdType = type;
    },
    get holding() {
      return held !== null;
    },
    release() {
      const was = held;
      held = null;
      holdType = null;
      if (was !== null) for (const line of was.lines) was.upstream.write(line);
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

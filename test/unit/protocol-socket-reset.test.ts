// resetSocket() (src-main/protocol/socket-reset.ts) on loopback: a reset reaches the peer as a
// reset, and a socket whose FIN is already on its way (end() called, shutdown in flight) is
// still closed: libuv refuses that reset, and Node would then drop the handle without a
// 'close' event, leaking the descriptor and leaving a stream that never ends.
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { rememberRawSocket, resetSocket } from '../../src-main/protocol/socket-reset';
import { sharedTestPki } from '../harness/relay';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

/** Resolves true once `socket` emits 'close', false after `ms`. */
function closes(socket: net.Socket, ms = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe('resetSocket', () => {
  it('resets a plain socket: the peer sees ECONNRESET', async () => {
    const accepted: net.Socket[] = [];
    const port = await listen(net.createServer((s) => accepted.push(s)));
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    await new Promise((r) => setTimeout(r, 20));
    const peer = accepted[0]!;
    const peerError = new Promise<string>((resolve) => {
      peer.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      peer.once('end', () => resolve('end'));
    });
    const closed = closes(client);
    resetSocket(client);
    expect(await closed).toBe(true);
    expect(await peerError).toBe('ECONNRESET');
  });

  it('closes a plain socket whose end() is still in flight, and emits no error', async () => {
    const port = await listen(net.createServer((s) => s.on('error', () => undefined)));
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    const errors: string[] = [];
    client.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? 'error'));
    const closed = closes(client);
    client.end();
    await new Promise((r) => process.nextTick(r));
    resetSocket(client);
    expect(await closed).toBe(true);
    expect(errors).toEqual([]);
  });

  it('closes a TLS socket and the TCP socket beneath it when the TLS end() is in flight', async () => {
    const pki = await sharedTestPki();
    const port = await listen(
      tls.createServer({ cert: pki.serverEc.cert, key: pki.serverEc.key }, (s) =>
        s.on('error', () => undefined),
      ),
    );
    const raw = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const secure = tls.connect({ socket: raw, ca: pki.caPem, servername: 'localhost' });
    rememberRawSocket(secure, raw);
    raw.on('error', () => undefined);
    secure.on('error', () => undefined);
    await once(secure, 'secureConnect');
    const closed = Promise.all([closes(raw), closes(secure)]);
    // As a forwarder does: the local side's FIN is passed on, then the relay's answer fails it.
    secure.end();
    resetSocket(secure);
    expect(await closed).toEqual([true, true]);
  });
});

// One local socket <-> one data connection (docs/protocol.md#data-streams-feature-tcp_stream),
// against a scripted relay end on loopback: local bytes follow stream_open at once (pipelining),
// bytes that arrive in the same chunk as stream_response reach the local side, and a refusal resets
// the local socket.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TunnelCounters } from '../../src-main/engine/counters';
import type { EngineError } from '../../src-main/engine/errors';
import { forwardStream } from '../../src-main/engine/stream-forwarder';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

/** A connected socket pair on loopback: [client side, server side]. */
async function pair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const client = net.connect({
    host: '127.0.0.1',
    port: (server.address() as net.AddressInfo).port,
    allowHalfOpen: true,
  });
  const [a, b] = await Promise.all([
    new Promise<net.Socket>((r) => client.once('connect', () => r(client))),
    accepted,
  ]);
  server.close();
  for (const s of [a, b]) s.on('error', () => undefined);
  closers.push(() => {
    a.destroy();
    b.destroy();
  });
  return [a, b];
}

function collect(socket: net.Socket): { text: () => string; ended: Promise<string> } {
  let text = '';
  socket.on('data', (c: Buffer) => (text += c.toString()));
  const ended = new Promise<string>((resolve) => {
    socket.once('end', () => resolve('end'));
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
  return { text: () => text, ended };
}

async function until(check: () => boolean): Promise<void> {
  const end = Date.now() + 3000;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('stream forwarder', () => {
  it('pipelines local bytes behind stream_open and hands on bytes that share a chunk with stream_response', async () => {
    const [app, local] = await pair(); // app = the program using the tunnel
    const [remote, relay] = await pair(); // relay = the relay's end of the data connection
    const counters = new TunnelCounters();
    let done: EngineError | null | undefined;
    forwardStream({
      local,
      remote,
      counters,
      openLine: Buffer.from('{"type":"stream_open","tunnel_id":"t","stream_token":"s"}\n'),
      onProgress: () => undefined,
      onDone: (e) => (done = e),
    });
    const atRelay = collect(relay);
    relay.resume();
    const atApp = collect(app);
    app.write('early bytes');
    // The relay has not answered yet, and already has the app's bytes.
    await until(() => atRelay.text().includes('early bytes'));
    expect(atRelay.text()).toBe(
      '{"type":"stream_open","tunnel_id":"t","stream_token":"s"}\nearly bytes',
    );
    relay.write('{"type":"stream_response","status":"ok"}\nleftover from the target');
    await until(() => atApp.text() === 'leftover from the target');
    relay.end('!');
    await expect(atApp.ended).resolves.toBe('end');
    expect(atApp.text()).toBe('leftover from the target!');
    app.end();
    await expect(atRelay.ended).resolves.toBe('end');
    await until(() => done !== undefined);
    expect(done).toBeNull();
    expect(counters).toMatchObject({
      bytesOut: 11,
      bytesIn: 25,
      openConnections: 0,
      totalConnections: 1,
      failedConnections: 0,
    });
  });

  it('resets the local socket and reports target_unreachable when the relay refuses the stream', async () => {
    const [app, local] = await pair();
    const [remote, relay] = await pair();
    const counters = new TunnelCounters();
    let done: EngineError | null | undefined;
    forwardStream({
      local,
      remote,
      counters,
      openLine: Buffer.from('{"type":"stream_open"}\n'),
      onProgress: () => undefined,
      onDone: (e) => (done = e),
    });
    relay.resume();
    const atApp = collect(app);
    relay.write(
      '{"type":"error","code":"data_transfer_failed","message":"connect ECONNREFUSED"}\n',
    );
    await expect(atApp.ended).resolves.toBe('ECONNRESET');
    await until(() => done !== undefined);
    expect(done?.code).toBe('target_unreachable');
    expect(counters).toMatchObject({ openConnections: 0, failedConnections: 1 });
  });

  it('fails the stream when the relay closes before answering', async () => {
    const [app, local] = await pair();
    const [remote, relay] = await pair();
    const counters = new TunnelCounters();
    let done: EngineError | null | undefined;
    forwardStream({
      local,
      remote,
      counters,
      openLine: Buffer.from('{"type":"stream_open"}\n'),
      onProgress: () => undefined,
      onDone: (e) => (done = e),
    });
    relay.resume();
    const atApp = collect(app);
    relay.end();
    await expect(atApp.ended).resolves.toBe('ECONNRESET');
    await until(() => done !== undefined);
    expect(done?.code).toBe('stream_failed');
  });
});

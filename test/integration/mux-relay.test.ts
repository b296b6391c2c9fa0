// The relay's tcp_mux handler spoken to frame by frame (docs/protocol.md "Multiplexed data
// streams"): a bare TLS client on 127.0.0.1, no engine in between. Pipelined DATA and FIN
// before OPEN_OK, credit grants, the per-connection stream limit, a wrong token on one stream
// while another goes on, and protocol errors (ids out of order, DATA beyond the window).

import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeFrame,
  FrameDecoder,
  FrameType,
  type Frame,
} from '../../src-main/protocol/mux-frames';
import {
  connectRawClient,
  startTestRelay,
  type RawRelayClient,
  type TestRelay,
  type TestRelayOptions,
} from '../harness/relay';
import { startEchoServer, type TestServer } from '../harness/traffic';

const relays: TestRelay[] = [];
const clients: RawRelayClient[] = [];
const servers: TestServer[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(relays.splice(0).map((relay) => relay.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function setup(
  options: TestRelayOptions = {},
): Promise<{ relay: TestRelay; tunnelId: string; token: string; echoPort: number }> {
  const relay = await startTestRelay(options);
  relays.push(relay);
  const echo = await startEchoServer();
  servers.push(echo);
  const control = await connectRawClient(relay);
  clients.push(control);
  control.send({ type: 'auth', token: await relay.token({ sub: 'mux' }) });
  expect(await control.next()).toMatchObject({ type: 'auth_response', status: 'ok' });
  control.send({
    type: 'tunnel_info',
    tunnel_id: 'mux-t',
    local_port: 10000,
    remote_host: 'echo.test',
    remote_port: echo.port,
  });
  const response = await control.next();
  expect(response).toMatchObject({ type: 'tunnel_response', status: 'ok' });
  return { relay, tunnelId: 'mux-t', token: String(response['stream_token']), echoPort: echo.port };
}

interface MuxPeer {
  readonly frames: Frame[];
  send(frame: Buffer): void;
  waitFor(what: string, check: (frames: Frame[]) => boolean, timeoutMs?: number): Promise<void>;
  closed(): Promise<void>;
}

async function openMux(relay: TestRelay, expectedWindow?: number): Promise<MuxPeer> {
  const client = await connectRawClient(relay);
  clients.push(client);
  client.send({ type: 'mux_open' });
  const reply = await client.next();
  expect(reply).toMatchObject({ type: 'mux_response', status: 'ok', max_frame: 65536 });
  if (expectedWindow !== undefined) expect(reply['window']).toBe(expectedWindow);
  const decoder = new FrameDecoder();
  const frames: Frame[] = [];
  const rest = client.detach();
  if (rest.length > 0) frames.push(...decoder.push(rest));
  client.socket.on('data', (chunk: Buffer) => frames.push(...decoder.push(chunk)));
  return {
    frames,
    send: (frame) => client.sendRaw(frame),
    waitFor: (what, check, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const tick = (): void => {
          if (check(frames)) return resolve();
          if (Date.now() - started > timeoutMs)
            return reject(new Error(`timed out waiting for ${what}`));
          setTimeout(tick, 10);
        };
        tick();
      }),
    closed: () => client.closed(10_000),
  };
}

function openPayload(tunnelId: string, token: string): Buffer {
  return Buffer.from(JSON.stringify({ tunnel_id: tunnelId, stream_token: token }));
}

function dataOf(frames: Frame[], id: number): Buffer {
  return Buffer.concat(
    frames.filter((f) => f.type === FrameType.DATA && f.streamId === id).map((f) => f.payload),
  );
}

function has(frames: Frame[], type: FrameType, id: number): boolean {
  return frames.some((f) => f.type === type && f.streamId === id);
}

const loopbackLookup: TestRelayOptions['lookup'] = (hostname) =>
  Promise.resolve([{ address: hostname === 'echo.test' ? '127.0.0.1' : hostname, family: 4 }]);

describe('relay tcp_mux handler', () => {
  it('holds DATA and FIN sent before OPEN_OK until the target is connected, then echoes them and grants credit', async () => {
    const { relay, tunnelId, token } = await setup({
      lookup: loopbackLookup,
      mux: { window: 64 * 1024 },
    });
    const mux = await openMux(relay, 64 * 1024);
    const body = Buffer.alloc(60_000, 0x61);
    mux.send(
      Buffer.concat([
        encodeFrame(FrameType.OPEN, 1, openPayload(tunnelId, token)),
        encodeFrame(FrameType.DATA, 1, body),
        encodeFrame(FrameType.FIN, 1),
      ]),
    );
    await mux.waitFor('echo and FIN', (frames) => has(frames, FrameType.FIN, 1));
    expect(mux.frames[0]).toMatchObject({ type: FrameType.OPEN_OK, streamId: 1 });
    expect(dataOf(mux.frames, 1).equals(body)).toBe(true);
    // On a stream still open for sending, 60,000 bytes written to the target (more than a
    // half window) earn credit back; after a FIN there is nothing left to grant.
    mux.send(
      Buffer.concat([
        encodeFrame(FrameType.OPEN, 3, openPayload(tunnelId, token)),
        encodeFrame(FrameType.DATA, 3, body),
      ]),
    );
    await mux.waitFor('credit for stream 3', (frames) => has(frames, FrameType.WINDOW, 3));
    // Credit comes once half a window has been written, for bytes written, never more.
    const credit = mux.frames
      .find((f) => f.type === FrameType.WINDOW && f.streamId === 3)
      ?.payload.readUInt32BE(0);
    expect(credit).toBeGreaterThanOrEqual(32 * 1024);
    expect(credit).toBeLessThanOrEqual(60_000);
    expect(has(mux.frames, FrameType.WINDOW, 1)).toBe(false);
    await mux.waitFor('ping answered', (frames) => {
      if (!frames.some((f) => f.type === FrameType.PONG))
        mux.send(encodeFrame(FrameType.PING, 0, Buffer.from('12345678')));
      return frames.some((f) => f.type === FrameType.PONG && f.payload.toString() === '12345678');
    });
  });

  it('refuses a stream over the per-connection limit and one with a wrong token, while an open stream goes on', async () => {
    const { relay, tunnelId, token } = await setup({
      lookup: loopbackLookup,
      mux: { maxStreams: 2 },
    });
    const mux = await openMux(relay);
    mux.send(encodeFrame(FrameType.OPEN, 1, openPayload(tunnelId, 'not-the-token')));
    mux.send(encodeFrame(FrameType.OPEN, 3, openPayload(tunnelId, token)));
    await mux.waitFor(
      'two answers',
      (frames) => has(frames, FrameType.OPEN_ERR, 1) && has(frames, FrameType.OPEN_OK, 3),
    );
    const refusal = mux.frames.find((f) => f.type === FrameType.OPEN_ERR && f.streamId === 1);
    expect(JSON.parse(String(refusal?.payload))).toMatchObject({
      type: 'error',
      code: 'invalid_token',
    });
    mux.send(encodeFrame(FrameType.OPEN, 5, openPayload(tunnelId, token)));
    mux.send(encodeFrame(FrameType.OPEN, 7, openPayload(tunnelId, token)));
    await mux.waitFor(
      'third stream refused',
      (frames) => has(frames, FrameType.OPEN_ERR, 7) && has(frames, FrameType.OPEN_OK, 5),
    );
    const limit = mux.frames.find((f) => f.type === FrameType.OPEN_ERR && f.streamId === 7);
    expect(JSON.parse(String(limit?.payload))).toMatchObject({
      code: 'connection_limit_reached',
      details: { reason: 'mux_streams' },
    });
    mux.send(encodeFrame(FrameType.DATA, 3, Buffer.from('still here')));
    await mux.waitFor('stream 3 echo', (frames) => dataOf(frames, 3).toString() === 'still here');
    expect(JSON.stringify(relay.logs)).not.toContain(token);
  });

  it('closes the connection on a stream id that does not increase, with one warning record', async () => {
    const { relay, tunnelId, token } = await setup({ lookup: loopbackLookup });
    const mux = await openMux(relay);
    mux.send(encodeFrame(FrameType.OPEN, 5, openPayload(tunnelId, token)));
    mux.send(encodeFrame(FrameType.OPEN, 3, openPayload(tunnelId, token)));
    await mux.closed();
    const records = relay.logs.filter((r) => r.event === 'mux_protocol_error');
    expect(records).toHaveLength(1);
    expect(String(records[0]?.details['error'])).toContain('not odd and increasing');
  });

  it('closes the connection when a client sends DATA beyond its window', async () => {
    // The target's name resolves slowly, so no credit can come back while the bytes arrive.
    const slowLookup: TestRelayOptions['lookup'] = (hostname) =>
      new Promise((resolve) =>
        setTimeout(
          () =>
            resolve([{ address: hostname === 'echo.test' ? '127.0.0.1' : hostname, family: 4 }]),
          1_000,
        ),
      );
    const { relay, tunnelId, token } = await setup({ lookup: slowLookup, mux: { window: 65_536 } });
    const mux = await openMux(relay, 65_536);
    mux.send(encodeFrame(FrameType.OPEN, 1, openPayload(tunnelId, token)));
    // A full window, then one byte more, all before OPEN_OK could have granted anything.
    mux.send(
      Buffer.concat([
        encodeFrame(FrameType.DATA, 1, Buffer.alloc(65_536, 1)),
        encodeFrame(FrameType.DATA, 1, Buffer.from('x')),
      ]),
    );
    await mux.closed();
    const records = relay.logs.filter((r) => r.event === 'mux_protocol_error');
    expect(records).toHaveLength(1);
    expect(String(records[0]?.details['error'])).toContain('beyond its window');
  });
});

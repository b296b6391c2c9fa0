// Dialect tolerance of the control session (docs/protocol.md#control-session,
// #relays-in-the-wild-tolerances), driven against tiny scripted relays on loopback: v2 and v1
// answers, a relay that speaks first, nested errors, answers without `type`, wrong tunnel_id
// echoes, register_response, heartbeats.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlSession, type ControlSessionOptions } from '../../src-main/engine/control-session';
import type { EngineError } from '../../src-main/engine/errors';
import { LineDecoder, type JsonObject } from '../../src-main/protocol/codec';
import type { TunnelInfoMessage } from '../../src-main/protocol/messages';
import type { LogRecord } from '../../src-main/shared/model';
import { systemClock } from '../../src-main/shared/clock';

interface Peer {
  send(message: JsonObject | string): void;
  next(timeoutMs?: number): Promise<JsonObject>;
  readonly received: JsonObject[];
  end(): void;
}

type Script = (peer: Peer) => Promise<void>;

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A relay that runs `script` on its first connection and records what the client sent. */
async function scriptedRelay(
  script: Script,
): Promise<{ port: number; received: JsonObject[]; done: Promise<void> }> {
  const received: JsonObject[] = [];
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    const decoder = new LineDecoder();
    const queue: JsonObject[] = [];
    const waiters: ((m: JsonObject) => void)[] = [];
    socket.on('data', (chunk: Buffer) => {
      for (const m of decoder.push(chunk)) {
        received.push(m);
        const w = waiters.shift();
        if (w) w(m);
        else queue.push(m);
      }
    });
    const peer: Peer = {
      send: (m) => socket.write(typeof m === 'string' ? m : JSON.stringify(m) + '\n'),
      next: (timeoutMs = 3000) =>
        new Promise((resolve, reject) => {
          const q = queue.shift();
          if (q) return resolve(q);
          const t = setTimeout(
            () => reject(new Error('relay script: nothing received')),
            timeoutMs,
          );
          waiters.push((m) => {
            clearTimeout(t);
            resolve(m);
          });
        }),
      received,
      end: () => socket.end(),
    };
    void script(peer).finally(resolveDone);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, received, done };
}

async function session(
  port: number,
  extra: Partial<ControlSessionOptions> = {},
): Promise<{ s: ControlSession; logs: LogRecord[]; closed: Promise<EngineError> }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((r, j) => socket.once('connect', r).once('error', j));
  const logs: LogRecord[] = [];
  let onClosed: (e: EngineError) => void = () => undefined;
  const closed = new Promise<EngineError>((r) => (onClosed = r));
  const s = new ControlSession({
    socket,
    clock: systemClock,
    log: (level, event, tunnel_id, details = {}) =>
      logs.push({ timestamp: '', level, event, tunnel_id, details }),
    opener: 'auto',
    clientVersion: '9.9.9',
    helloWaitMs: 100,
    requestTimeoutMs: 1500,
    onClosed,
    ...extra,
  });
  closers.push(() => s.close());
  return { s, logs, closed };
}

const TUNNEL: TunnelInfoMessage = {
  type: 'tunnel_info',
  tunnel_id: 'rdp-1',
  local_port: 13389,
  remote_host: '10.0.0.5',
  remote_port: 3389,
};
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlLXBsYWNlaG9sZGVy';

describe('control session dialects', () => {
  it('speaks v2: hello_response, auth_response ok, tunnel_response with stream_token', async () => {
    const relay = await scriptedRelay(async (p) => {
      expect((await p.next()).type).toBe('hello');
      p.send({ type: 'hello_response', version: '2.0.1', features: ['tls', 'tcp_stream'] });
      const auth = await p.next();
      expect(auth).toMatchObject({ type: 'auth', token: TOKEN });
      p.send({ type: 'auth_response', status: 'ok', client_id: 'c-1', tenant_id: 'acme' });
      expect(await p.next()).toMatchObject(TUNNEL);
      p.send({
        type: 'tunnel_response',
        status: 'ok',
        tunnel_id: 'rdp-1',
        stream_token: 'st-123456789',
      });
    });
    const { s } = await session(relay.port);
    const hs = await s.handshake(TOKEN, null);
    expect(hs).toMatchObject({
      opener: 'client',
      relayVersion: '2.0.1',
      clientId: 'c-1',
      tenantId: 'acme',
    });
    expect(hs.features).toContain('tcp_stream');
    const reg = await s.registerTunnel(TUNNEL);
    expect(reg).toEqual({
      ok: true,
      streamToken: 'st-123456789',
      reconnectToken: null,
      echoedId: null,
      v1Register: false,
    });
  });

  it('speaks v1: error answer to hello, SUCCESS in upper case, server_info features, register_response with a wrong id echo', async () => {
    const relay = await scriptedRelay(async (p) => {
      await p.next();
      p.send({ type: 'error', code: 4000, message: 'unknown message' });
      const auth = await p.next();
      expect(auth['client_info']).toEqual({ os: expect.any(String), version: '9.9.9' });
      expect(auth['reconnect_token']).toBe('rt-old-123456');
      p.send({
        type: 'auth_response',
        status: 'SUCCESS',
        server_info: { version: '1.0', features: ['heartbeat'] },
        reconnect_token: 'rt-new-123456',
      });
      await p.next();
      p.send({ type: 'register_response', tunnel_id: 'relay-assigned-77', config: {} });
    });
    const { s, logs } = await session(relay.port);
    const hs = await s.handshake(TOKEN, 'rt-old-123456');
    expect(hs).toMatchObject({ relayVersion: '1.0', reconnectToken: 'rt-new-123456' });
    expect(hs.features).toEqual(['heartbeat']);
    expect(logs.some((l) => l.event === 'hello_refused')).toBe(true);
    const reg = await s.registerTunnel(TUNNEL);
    expect(reg).toMatchObject({ ok: true, echoedId: 'relay-assigned-77', v1Register: true });
  });

  it('waits for a relay that speaks first and never sends it a hello', async () => {
    const relay = await scriptedRelay(async (p) => {
      p.send({ type: 'hello', version: '1.0', features: ['tcp_stream'] });
      const first = await p.next();
      if (first.type !== 'auth') {
        p.end(); // such relays close on anything but auth
        return;
      }
      p.send({ type: 'auth_response', status: 'ok' });
    });
    const { s } = await session(relay.port);
    const hs = await s.handshake(TOKEN, null);
    expect(hs.opener).toBe('server');
    expect(relay.received.map((m) => m.type)).toEqual(['auth']);
  });

  it('with opener pinned to server, fails clearly when the relay stays silent', async () => {
    const relay = await scriptedRelay(async () => new Promise((r) => setTimeout(r, 2000)));
    const { s } = await session(relay.port, { opener: 'server', requestTimeoutMs: 200 });
    await expect(s.handshake(TOKEN, null)).rejects.toMatchObject({ code: 'protocol_error' });
  });

  it('reads nested error objects with v1 numbers as a fatal invalid_token', async () => {
    const relay = await scriptedRelay(async (p) => {
      await p.next();
      p.send({ type: 'hello_response' });
      await p.next();
      p.send({ error: { code: 1002, message: 'token signature invalid' } });
    });
    const { s } = await session(relay.port);
    await expect(s.handshake(TOKEN, null)).rejects.toMatchObject({
      code: 'invalid_token',
      message: 'token signature invalid',
    });
  });

  it('reads an UPPER_CASE rate limit with details.retry_after', async () => {
    const relay = await scriptedRelay(async (p) => {
      await p.next();
      p.send({ type: 'hello_response' });
      await p.next();
      p.send({
        type: 'error',
        error: { code: 'RATE_LIMIT_EXCEEDED', message: 'slow down' },
        details: { retry_after: 7 },
      });
    });
    const { s } = await session(relay.port);
    await expect(s.handshake(TOKEN, null)).rejects.toMatchObject({
      code: 'rate_limit_exceeded',
      retryAfterSec: 7,
    });
  });

  it('accepts answers with no type at all, and keeps its own tunnel id when none is echoed', async () => {
    const relay = await scriptedRelay(async (p) => {
      await p.next();
      p.send({ version: '0.9' });
      await p.next();
      p.send({ status: 'Ok', client_id: 'old-client' });
      await p.next();
      p.send({ status: 'success' });
    });
    const { s } = await session(relay.port);
    const hs = await s.handshake(TOKEN, null);
    expect(hs.clientId).toBe('old-client');
    expect(await s.registerTunnel(TUNNEL)).toMatchObject({
      ok: true,
      echoedId: null,
      streamToken: null,
    });
  });

  it('reports a tunnel-level error without failing the session, and ignores unknown and server-pushed messages', async () => {
    const relay = await scriptedRelay(async (p) => {
      await p.next();
      p.send({ type: 'hello_response', features: ['tcp_stream'] });
      await p.next();
      p.send({ type: 'auth_response', status: 'ok' });
      p.send({
        type: 'tunnel_info',
        tunnel_id: 'pushed',
        local_port: 1,
        remote_host: 'x',
        remote_port: 2,
      });
      p.send({ type: 'surprise', payload: 1 });
      await p.next();
      p.send({ type: 'error', code: 'TUNNEL_EXISTS', message: 'taken' });
      await p.next();
      p.send({ type: 'tunnel_response', status: 'ok', stream_token: 'st-abcdefgh' });
    });
    const { s, logs } = await session(relay.port);
    await s.handshake(TOKEN, null);
    const first = await s.registerTunnel(TUNNEL);
    expect(first).toMatchObject({ ok: false, action: 'tunnel', error: { code: 'tunnel_exists' } });
    const second = await s.registerTunnel({ ...TUNNEL, tunnel_id: 'ssh-2' });
    expect(second).toMatchObject({ ok: true, streamToken: 'st-abcdefgh' });
    s.startHeartbeat(() => undefined);
    expect(s.isClosed).toBe(false);
    expect(
      logs.filter((l) => l.event === 'relay_message_ignored').map((l) => l.details['type']),
    ).toEqual(expect.arrayContaining(['tunnel_info', 'surprise']));
  });

  it('answers an unprompted server heartbeat', async () => {
    let answer: JsonObject | null = null;
    const relay = await scriptedRelay(async (p) => {
      await p.next();
      p.send({ type: 'hello_response' });
      await p.next();
      p.send({ type: 'auth_response', status: 'ok' });
      p.send({ type: 'heartbeat' });
      answer = await p.next();
    });
    const { s } = await session(relay.port);
    await s.handshake(TOKEN, null);
    s.startHeartbeat(() => undefined);
    await relay.done;
    expect(answer).toEqual({ type: 'heartbeat_response' });
  });

  it('declares the connection lost after two missed heartbeat answers, once the relay has answered one', async () => {
    const relay = await scriptedRelay(async (p) => {
      await p.next();
      p.send({ type: 'hello_response' });
      await p.next();
      p.send({ type: 'auth_response', status: 'ok' });
      const hb = await p.next();
      expect(hb.type).toBe('heartbeat');
      p.send({ type: 'heartbeat_response' });
      await new Promise((r) => setTimeout(r, 3000)); // then silence, socket open
    });
    const { s, closed } = await session(relay.port, {
      heartbeatIntervalMs: 100,
      heartbeatTimeoutMs: 60,
    });
    await s.handshake(TOKEN, null);
    const started = Date.now();
    s.startHeartbeat(() => ({ bytes_in: 1, bytes_out: 2, connected_since: null }));
    const err = await closed;
    expect(err.code).toBe('heartbeat_timeout');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('never times out a relay that has never answered a heartbeat', async () => {
    const relay = await scriptedRelay(async (p) => {
      await p.next();
      p.send({ type: 'hello_response' });
      await p.next();
      p.send({ type: 'auth_response', status: 'ok' });
      await new Promise((r) => setTimeout(r, 1500));
    });
    const { s } = await session(relay.port, { heartbeatIntervalMs: 50, heartbeatTimeoutMs: 20 });
    await s.handshake(TOKEN, null);
    s.startHeartbeat(() => undefined);
    await new Promise((r) => setTimeout(r, 600));
    expect(s.isClosed).toBe(false);
    expect(relay.received.filter((m) => m.type === 'heartbeat').length).toBeGreaterThanOrEqual(5);
  });

  it('closes with protocol_error on a malformed line', async () => {
    const relay = await scriptedRelay(async (p) => {
      await p.next();
      p.send('{"type":"hello_response"\n');
    });
    const { s } = await session(relay.port);
    await expect(s.handshake(TOKEN, null)).rejects.toMatchObject({ code: 'protocol_error' });
  });
});

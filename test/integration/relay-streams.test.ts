// Data streams through the real relay over TLS on 127.0.0.1
// (docs/protocol.md#data-streams-feature-tcp_stream): pipelined bytes after stream_open,
// checksummed transfers both ways, FIN passed as FIN, reset as reset, back-pressure,
// token/limit/allow-list refusals, DNS checked once per stream, the idle timeout, and streams
// outliving their control session.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  connect as netConnect,
  createServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { LookupAddress } from 'node:dns';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  connectRawClient,
  sharedTestPki,
  startTestRelay,
  type RawRelayClient,
  type TestRelay,
  type TestRelayOptions,
} from '../harness/relay';
import {
  freePort,
  Pattern,
  readAll,
  startEchoServer,
  startSinkServer,
  startSourceServer,
  writePattern,
  type TestServer,
} from '../harness/traffic';

const relays: TestRelay[] = [];
const clients: RawRelayClient[] = [];
const servers: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  await sharedTestPki();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(relays.splice(0).map((relay) => relay.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function relayWith(options: TestRelayOptions = {}): Promise<TestRelay> {
  const relay = await startTestRelay(options);
  relays.push(relay);
  return relay;
}

async function target<T extends TestServer>(server: Promise<T>): Promise<T> {
  const started = await server;
  servers.push(started);
  return started;
}

async function rawClient(relay: TestRelay): Promise<RawRelayClient> {
  const client = await connectRawClient(relay);
  clients.push(client);
  return client;
}

interface Registered {
  readonly control: RawRelayClient;
  readonly tunnelId: string;
  readonly streamToken: string;
}

async function register(
  relay: TestRelay,
  remotePort: number,
  options: { tunnelId?: string; host?: string; sub?: string; tenant?: string } = {},
): Promise<Registered> {
  const control = await rawClient(relay);
  control.send({
    type: 'auth',
    token: await relay.token({
      sub: options.sub ?? 'alice',
      ...(options.tenant ? { tenant: options.tenant } : {}),
    }),
  });
  expect(await control.next()).toMatchObject({ type: 'auth_response', status: 'ok' });
  const tunnelId = options.tunnelId ?? 'tunnel-1';
  control.send({
    type: 'tunnel_info',
    tunnel_id: tunnelId,
    local_port: 10000,
    remote_host: options.host ?? '127.0.0.1',
    remote_port: remotePort,
  });
  const response = await control.next();
  expect(response).toMatchObject({ type: 'tunnel_response', status: 'ok' });
  return { control, tunnelId, streamToken: String(response['stream_token']) };
}

/** Opens a data connection; `pipelined` goes in the same write as the stream_open line. */
async function openStream(
  relay: TestRelay,
  reg: Registered,
  pipelined: Buffer = Buffer.alloc(0),
): Promise<{ client: RawRelayClient; reply: Record<string, unknown>; rest: Buffer }> {
  const client = await rawClient(relay);
  client.sendRaw(
    Buffer.concat([
      Buffer.from(
        JSON.stringify({
          type: 'stream_open',
          tunnel_id: reg.tunnelId,
          stream_token: reg.streamToken,
        }) + '\n',
      ),
      pipelined,
    ]),
  );
  const reply = await client.next(12_000);
  return {
    client,
    reply,
    rest: reply['type'] === 'stream_response' ? client.detach() : Buffer.alloc(0),
  };
}

/** Polls a condition (bounded), for state the relay reaches after a socket event. */
async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Reads until FIN/close/error, hashing `initial` first. */
function readHashed(
  socket: Socket,
  initial: Buffer,
): Promise<{ bytes: number; sha256: string; ending: string; error?: string }> {
  return new Promise((resolve) => {
    const hash = createHash('sha256').update(initial);
    let bytes = initial.length;
    let done = false;
    const finish = (ending: string, error?: string): void => {
      if (done) return;
      done = true;
      resolve({ bytes, sha256: hash.digest('hex'), ending, ...(error ? { error } : {}) });
    };
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    socket.once('end', () => finish('end'));
    socket.once('error', (error: NodeJS.ErrnoException) => finish('error', error.code));
    socket.once('close', () => finish('close'));
  });
}

describe('data streams', () => {
  it('carries 8 MiB to an echo target and back intact, including bytes pipelined before stream_response', async () => {
    const relay = await relayWith();
    const echo = await target(startEchoServer());
    const reg = await register(relay, echo.port);
    const pattern = new Pattern(8 * 1024 * 1024, 11);
    const first = pattern.chunk(0);
    const { client, reply, rest } = await openStream(relay, reg, first);
    expect(reply).toEqual({ type: 'stream_response', status: 'ok' });
    const reading = readHashed(client.socket, rest);
    for (let i = 1; i < pattern.chunkCount; i++) {
      if (!client.socket.write(pattern.chunk(i)))
        await new Promise((resolve) => client.socket.once('drain', resolve));
    }
    client.socket.end();
    const received = await reading;
    expect(received).toMatchObject({
      bytes: pattern.totalBytes,
      sha256: pattern.sha256(),
      ending: 'end',
    });
    expect(relay.relay.stats().bytesToTarget).toBe(pattern.totalBytes);
    const metrics = await relay.relay.metricsText();
    expect(metrics).toContain(
      `cloudbridge_relay_transferred_bytes_total{direction="to_target"} ${pattern.totalBytes}`,
    );
    expect(metrics).toContain('cloudbridge_relay_streams_total{result="ok"} 1');
  });

  it('passes the client FIN to the target and still carries the reply after it (half-close)', async () => {
    const relay = await relayWith();
    const sink = await target(startSinkServer());
    const reg = await register(relay, sink.port);
    const { client, rest } = await openStream(relay, reg);
    const pattern = new Pattern(4 * 1024 * 1024, 5);
    const reading = readHashed(client.socket, rest);
    await writePattern(client.socket, pattern); // ends with FIN
    const seen = await sink.nextResult(30_000);
    expect(seen).toMatchObject({
      bytes: pattern.totalBytes,
      sha256: pattern.sha256(),
      ending: 'end',
    });
    const answer = `${pattern.totalBytes} ${pattern.sha256()}\n`;
    const received = await reading;
    expect(received).toMatchObject({
      bytes: answer.length,
      sha256: createHash('sha256').update(answer).digest('hex'),
      ending: 'end',
    });
  });

  it('carries 4 MiB from the target to the client and passes the target FIN on', async () => {
    const relay = await relayWith();
    const source = await target(startSourceServer(4 * 1024 * 1024, 9));
    const reg = await register(relay, source.port);
    const { client, rest } = await openStream(relay, reg);
    const received = await readHashed(client.socket, rest);
    expect(received).toMatchObject({
      bytes: source.pattern.totalBytes,
      sha256: source.pattern.sha256(),
      ending: 'end',
    });
  });

  it('passes a reset from the target on as a reset', async () => {
    const relay = await relayWith();
    const resetter: Server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => socket.resetAndDestroy());
    });
    await new Promise<void>((resolve) => resetter.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => new Promise<void>((resolve) => resetter.close(() => resolve())) });
    const reg = await register(relay, (resetter.address() as AddressInfo).port);
    const { client, reply } = await openStream(relay, reg);
    expect(reply['type']).toBe('stream_response');
    const reading = readHashed(client.socket, Buffer.alloc(0));
    client.socket.write('trigger');
    const result = await reading;
    expect(result.ending).toBe('error');
    expect(result.error).toBe('ECONNRESET');
  });

  it('passes a reset from the client on to the target as a reset', async () => {
    const relay = await relayWith();
    const seen: Array<string | undefined> = [];
    let connected!: () => void;
    const targetConnected = new Promise<void>((resolve) => (connected = resolve));
    let closed!: () => void;
    const targetClosed = new Promise<void>((resolve) => (closed = resolve));
    const recorder: Server = createServer((socket) => {
      socket.on('error', (error: NodeJS.ErrnoException) => seen.push(error.code));
      socket.on('end', () => seen.push('end'));
      socket.on('close', () => closed());
      connected();
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => new Promise<void>((resolve) => recorder.close(() => resolve())) });
    const reg = await register(relay, (recorder.address() as AddressInfo).port);
    // TLS over a TCP socket we hold, so the test can reset the TCP connection itself.
    const tcp = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect({ host: '127.0.0.1', port: relay.port }, () => resolve(s));
      s.once('error', reject);
    });
    const tls = tlsConnect({ socket: tcp, ca: relay.caPem, servername: 'localhost' });
    tls.on('error', () => undefined);
    await new Promise((resolve) => tls.once('secureConnect', resolve));
    tls.write(
      JSON.stringify({
        type: 'stream_open',
        tunnel_id: reg.tunnelId,
        stream_token: reg.streamToken,
      }) + '\n',
    );
    await new Promise((resolve) => tls.once('data', resolve));
    await targetConnected;
    tcp.resetAndDestroy();
    await targetClosed;
    expect(seen).toEqual(['ECONNRESET']);
  });

  it('stops reading from the client while the target does not read (back-pressure)', async () => {
    const relay = await relayWith();
    const stalled: Socket[] = [];
    const slow: Server = createServer((socket) => {
      socket.pause();
      stalled.push(socket);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    servers.push({
      close: () =>
        new Promise<void>((resolve) => {
          for (const socket of stalled) socket.destroy();
          slow.close(() => resolve());
        }),
    });
    const reg = await register(relay, (slow.address() as AddressInfo).port);
    const { client } = await openStream(relay, reg);
    const offered = 48 * 1024 * 1024;
    const chunk = Buffer.alloc(256 * 1024, 0x5a);
    let written = 0;
    // Write until the relay stops taking bytes for half a second.
    while (written < offered) {
      if (!client.socket.write(chunk)) {
        const drained = await Promise.race([
          new Promise<boolean>((resolve) => client.socket.once('drain', () => resolve(true))),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 500)),
        ]);
        if (!drained) break;
      }
      written += chunk.length;
    }
    expect(written).toBeLessThan(offered);
    // What the relay took is what the kernel buffers hold on both hops, not the whole offer.
    expect(relay.relay.stats().bytesToTarget).toBeLessThan(24 * 1024 * 1024);
  });

  it('survives the control session that registered the tunnel', async () => {
    const relay = await relayWith();
    const echo = await target(startEchoServer());
    const reg = await register(relay, echo.port);
    const { client, rest } = await openStream(relay, reg);
    expect(rest.length).toBe(0);
    reg.control.destroy();
    await until(() => relay.relay.stats().sessions === 0);
    const reading = readHashed(client.socket, Buffer.alloc(0));
    client.socket.end('still here');
    const received = await reading;
    expect(received).toMatchObject({
      bytes: 10,
      sha256: createHash('sha256').update('still here').digest('hex'),
      ending: 'end',
    });
  });
});

describe('data stream refusals', () => {
  it('refuses a wrong stream token and an unknown tunnel alike, and closes', async () => {
    const relay = await relayWith();
    const echo = await target(startEchoServer());
    const reg = await register(relay, echo.port);
    for (const attempt of [
      {
        ...reg,
        streamToken: reg.streamToken.slice(0, -2) + (reg.streamToken.endsWith('AA') ? 'BB' : 'AA'),
      },
      { ...reg, tunnelId: 'no-such-tunnel' },
    ]) {
      const { client, reply } = await openStream(relay, attempt);
      expect(reply).toMatchObject({ type: 'error', code: 'invalid_token' });
      await client.closed();
    }
    expect(echo.connections).toBe(0);
  });

  it('answers data_transfer_failed when the target refuses, and the tunnel stays usable', async () => {
    const relay = await relayWith();
    const port = await freePort();
    const reg = await register(relay, port);
    const { client, reply } = await openStream(relay, reg);
    expect(reply).toMatchObject({
      type: 'error',
      code: 'data_transfer_failed',
      details: { reason: 'ECONNREFUSED' },
    });
    await client.closed();
    reg.control.send({ type: 'heartbeat' });
    expect(await reg.control.next()).toMatchObject({ type: 'heartbeat_response' });
  });

  it('gives up dialling a target that never answers after the dial timeout', async () => {
    // A stopped process whose accept queue is full: the kernel drops further SYNs, so a
    // connect neither succeeds nor fails (the way an unreachable host behaves).
    const child = spawn(
      process.execPath,
      [
        '-e',
        "require('net').createServer().listen({ host: '127.0.0.1', port: 0, backlog: 1 }, function () { console.log(this.address().port); })",
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const fillers: Socket[] = [];
    servers.push({
      close: async () => {
        for (const socket of fillers) socket.destroy();
        child.kill('SIGKILL');
        await exited;
      },
    });
    const port = await new Promise<number>((resolve) =>
      child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
    );
    child.kill('SIGSTOP');
    for (let i = 0; i < 8; i++) {
      const socket = netConnect({ host: '127.0.0.1', port });
      socket.on('error', () => undefined);
      fillers.push(socket);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const relay = await relayWith({ dialTimeoutMs: 700 });
    const reg = await register(relay, port);
    const started = Date.now();
    const { client, reply } = await openStream(relay, reg);
    expect(reply).toMatchObject({
      type: 'error',
      code: 'data_transfer_failed',
      details: { reason: 'connect_timeout' },
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(650);
    await client.closed();
  });

  it('enforces the tenant connection limit while a stream is open', async () => {
    const relay = await relayWith({
      tenants: [{ id: 'acme', maxTunnels: 5, maxConnections: 1, allow: ['127.0.0.0/8'] }],
    });
    const echo = await target(startEchoServer());
    const reg = await register(relay, echo.port, { tenant: 'acme' });
    const first = await openStream(relay, reg);
    expect(first.reply['type']).toBe('stream_response');
    const second = await openStream(relay, reg);
    expect(second.reply).toMatchObject({ type: 'error', code: 'connection_limit_reached' });
    first.client.destroy();
    await until(() => relay.relay.stats().streams === 0);
    const third = await openStream(relay, reg);
    expect(third.reply['type']).toBe('stream_response');
  });

  it('resolves the target once per stream, checks every address, and dials only an allowed one', async () => {
    const echo = await target(startEchoServer());
    let answers: LookupAddress[][] = [
      [{ address: '127.0.0.1', family: 4 }], // at registration
      [{ address: '10.9.9.9', family: 4 }], // first stream: rebound outside the allow-list
      [
        { address: '10.9.9.9', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ], // second stream: only the allowed address is dialled
    ];
    const asked: string[] = [];
    const relay = await relayWith({
      allow: ['127.0.0.0/8'],
      lookup: (hostname) => {
        asked.push(hostname);
        const next = answers[0] ?? [];
        answers = answers.slice(1);
        return Promise.resolve(next);
      },
    });
    const reg = await register(relay, echo.port, { host: 'target.test' });
    const refused = await openStream(relay, reg);
    expect(refused.reply).toMatchObject({ type: 'error', code: 'ip_not_allowed' });
    const allowed = await openStream(relay, reg);
    expect(allowed.reply['type']).toBe('stream_response');
    const reading = readHashed(allowed.client.socket, allowed.rest);
    allowed.client.socket.end('ping');
    expect(await reading).toMatchObject({ bytes: 4, ending: 'end' });
    expect(asked).toEqual(['target.test', 'target.test', 'target.test']);
  });

  it('closes a data connection that sends nothing before stream_open within the idle timeout', async () => {
    const relay = await relayWith({ idleTimeoutMs: 300 });
    const echo = await target(startEchoServer());
    const idle = await rawClient(relay);
    const started = Date.now();
    await idle.closed(3_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    // An open stream is not idle-timed: quiet for longer than the timeout, it still works.
    const reg = await register(relay, echo.port);
    const { client } = await openStream(relay, reg);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const reading = readAll(client.socket);
    client.socket.end('late');
    expect(await reading).toMatchObject({ bytes: 4, ending: 'end' });
  });
});

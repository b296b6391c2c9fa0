// Drivers for the relay data-plane attack tests: a raw control client that registers one
// tunnel, a raw tcp_mux peer that can push as many bytes as the relay's credit allows, target
// servers that never read, and the memory a process and its sockets hold (/proc, `ss -tm`).
// Owns no relay logic; every socket it opens is handed to the caller's cleanup.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket as createUdpSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import {
  encodeFrame,
  FrameDecoder,
  FrameType,
  type Frame,
} from '../../src-main/protocol/mux-frames';
import {
  connectRawClient,
  spawnRelayProcess,
  type RawRelayClient,
  type RelayAccess,
  type RelayProcess,
} from '../harness/relay';

export interface Registered {
  readonly control: RawRelayClient;
  readonly tunnelId: string;
  readonly streamToken: string;
}

/** Authenticates as `sub` (and `tenant`) and registers one tunnel to host:port. */
export async function registerTunnel(
  relay: RelayAccess,
  options: { sub: string; tenant?: string; tunnelId: string; host: string; port: number },
  track: (client: RawRelayClient) => void,
): Promise<Registered> {
  const control = await connectRawClient(relay);
  track(control);
  control.send({
    type: 'auth',
    token: await relay.token({
      sub: options.sub,
      ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
    }),
  });
  const auth = await control.next();
  if (auth['type'] !== 'auth_response') throw new Error(`auth failed: ${JSON.stringify(auth)}`);
  control.send({
    type: 'tunnel_info',
    tunnel_id: options.tunnelId,
    local_port: 10000,
    remote_host: options.host,
    remote_port: options.port,
  });
  const response = await control.next(15_000);
  if (response['type'] !== 'tunnel_response')
    throw new Error(`registration failed: ${JSON.stringify(response)}`);
  return { control, tunnelId: options.tunnelId, streamToken: String(response['stream_token']) };
}

/** A data connection's stream_open line (the classic form). */
export function streamOpenLine(reg: Registered): string {
  return (
    JSON.stringify({
      type: 'stream_open',
      tunnel_id: reg.tunnelId,
      stream_token: reg.streamToken,
    }) + '\n'
  );
}

export interface MuxPeer {
  readonly client: RawRelayClient;
  readonly frames: Frame[];
  readonly window: number;
  /** Opens stream `id` on `reg`; returns the id. */
  open(reg: Registered, id: number): number;
  send(frame: Buffer): void;
  /** Keeps stream `id` sending zero bytes as far as the relay's credit goes, up to `limit`. */
  flood(id: number, limit: number): void;
  /** Bytes sent on stream `id` so far. */
  sent(id: number): number;
  /** WINDOW credit the relay granted on stream `id` so far. */
  granted(id: number): number;
  waitFor(what: string, check: (frames: Frame[]) => boolean, timeoutMs?: number): Promise<void>;
}

export async function openMuxPeer(
  relay: RelayAccess,
  track: (client: RawRelayClient) => void,
): Promise<MuxPeer> {
  const client = await connectRawClient(relay);
  track(client);
  client.send({ type: 'mux_open' });
  const reply = await client.next();
  if (reply['type'] !== 'mux_response') throw new Error(`mux_open: ${JSON.stringify(reply)}`);
  const window = Number(reply['window']);
  const decoder = new FrameDecoder();
  const frames: Frame[] = [];
  const credit = new Map<number, number>();
  const sentBytes = new Map<number, number>();
  const grantedBytes = new Map<number, number>();
  const floods = new Map<number, number>();
  const zeros = Buffer.alloc(64 * 1024);
  const pump = (id: number): void => {
    const limit = floods.get(id);
    if (limit === undefined) return;
    let left = credit.get(id) ?? 0;
    let sent = sentBytes.get(id) ?? 0;
    while (left > 0 && sent < limit && !client.socket.destroyed) {
      const n = Math.min(left, zeros.length, limit - sent);
      client.socket.write(encodeFrame(FrameType.DATA, id, zeros, 0, n));
      left -= n;
      sent += n;
    }
    credit.set(id, left);
    sentBytes.set(id, sent);
  };
  const onFrames = (incoming: Frame[]): void => {
    for (const frame of incoming) {
      frames.push(frame);
      if (frame.type === FrameType.WINDOW) {
        const add = frame.payload.readUInt32BE(0);
        credit.set(frame.streamId, (credit.get(frame.streamId) ?? 0) + add);
        grantedBytes.set(frame.streamId, (grantedBytes.get(frame.streamId) ?? 0) + add);
        pump(frame.streamId);
      }
    }
  };
  const rest = client.detach();
  if (rest.length > 0) onFrames(decoder.push(rest));
  client.socket.on('data', (chunk: Buffer) => onFrames(decoder.push(chunk)));
  return {
    client,
    frames,
    window,
    open(reg, id) {
      credit.set(id, window);
      const payload = Buffer.from(
        JSON.stringify({ tunnel_id: reg.tunnelId, stream_token: reg.streamToken }),
      );
      client.socket.write(encodeFrame(FrameType.OPEN, id, payload));
      return id;
    },
    send: (frame) => client.sendRaw(frame),
    flood(id, limit) {
      floods.set(id, limit);
      pump(id);
    },
    sent: (id) => sentBytes.get(id) ?? 0,
    granted: (id) => grantedBytes.get(id) ?? 0,
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
  };
}

export function hasFrame(frames: readonly Frame[], type: FrameType, id: number): boolean {
  return frames.some((f) => f.type === type && f.streamId === id);
}

export function errorOf(frames: readonly Frame[], id: number): Record<string, unknown> | null {
  const frame = frames.find(
    (f) => (f.type === FrameType.OPEN_ERR || f.type === FrameType.RST) && f.streamId === id,
  );
  if (frame === undefined || frame.payload.length === 0) return null;
  return JSON.parse(frame.payload.toString('utf8')) as Record<string, unknown>;
}

export interface StalledTarget {
  readonly port: number;
  readonly sockets: Set<Socket>;
  close(): Promise<void>;
}

/** Accepts connections and never reads from them (a target that does not read). */
export async function startStalledTarget(): Promise<StalledTarget> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.pause();
    socket.on('error', () => undefined);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Bytes the kernel holds for the TCP sockets of `pid` (rmem_alloc + wmem_queued, `ss -tm`). */
export function socketMemoryBytes(pid: number): number | null {
  let text: string;
  try {
    text = execFileSync('ss', ['-tmnpH'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } catch {
    return null;
  }
  let total = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!line.includes(`pid=${pid},`)) continue;
    // skmem is on the same line or the next, depending on the ss version.
    const mem = /skmem:\(r(\d+),rb\d+,t\d+,tb\d+,f\d+,w(\d+)/.exec(line + (lines[i + 1] ?? ''));
    if (mem) total += Number(mem[1]) + Number(mem[2]);
  }
  return total;
}

/** The kernel's TCP memory for the whole machine, in bytes (/proc/net/sockstat, 4 KiB pages). */
export function tcpMemoryBytes(): number {
  const match = /TCP:.* mem (\d+)/.exec(readFileSync('/proc/net/sockstat', 'utf8'));
  return match?.[1] ? Number(match[1]) * 4096 : 0;
}

/** The real relay process with a JSON config file and /metrics on an ephemeral port. */
export async function spawnConfiguredRelay(
  config: Record<string, unknown>,
  extraArgs: readonly string[] = [],
): Promise<RelayProcess & { metricsUrl: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-data-plane-'));
  const path = join(dir, 'relay.json');
  writeFileSync(path, JSON.stringify(config));
  try {
    const relay = await spawnRelayProcess({
      args: ['--config', path, '--metrics', '127.0.0.1:0', ...extraArgs],
    });
    const listening = relay.logs.find((r) => r.event === 'relay_listening');
    return Object.assign(relay, { metricsUrl: String(listening?.details['metrics']) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One sample of a metric (labels as written, e.g. `{reason="idle"}`), 0 when absent. */
export async function metricValue(url: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(url)).text();
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}${labels} `))
      return Number(line.slice(name.length + labels.length + 1));
  }
  return 0;
}

export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Polls `check` every 50 ms until it holds, failing after `timeoutMs`. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A classic data connection: stream_open, then the relay's answer line. */
export async function openClassicStream(
  relay: RelayAccess,
  reg: Registered,
  track: (client: RawRelayClient) => void,
): Promise<{ client: RawRelayClient; reply: Record<string, unknown> }> {
  const client = await connectRawClient(relay);
  track(client);
  client.sendRaw(streamOpenLine(reg));
  const reply = await client.next(15_000);
  if (reply['type'] === 'stream_response') client.detach();
  return { client, reply };
}

export interface FakeDnsServer {
  /** `HOST:PORT` for the relay's dns.servers. */
  readonly address: string;
  /** Names asked so far, in order. */
  readonly asked: string[];
  close(): Promise<void>;
}

/**
 * A DNS server on 127.0.0.1 (UDP) that answers the A records in `answers` at once (AAAA: an
 * empty answer) and never answers any other name: a resolver that is slow for those.
 */
export async function startFakeDns(answers: Record<string, string>): Promise<FakeDnsServer> {
  const socket = createUdpSocket('udp4');
  const asked: string[] = [];
  socket.on('message', (query, peer) => {
    if (query.length < 12) return;
    let offset = 12;
    const labels: string[] = [];
    while (offset < query.length && query[offset] !== 0) {
      const length = query[offset] ?? 0;
      labels.push(query.subarray(offset + 1, offset + 1 + length).toString('ascii'));
      offset += 1 + length;
    }
    const questionEnd = offset + 5;
    if (questionEnd > query.length) return;
    const type = query.readUInt16BE(offset + 1);
    const name = labels.join('.').toLowerCase();
    asked.push(name);
    const address = answers[name];
    if (address === undefined) return;
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180, 2);
    header.writeUInt16BE(1, 4);
    const records: Buffer[] = [];
    if (type === 1) {
      header.writeUInt16BE(1, 6);
      const record = Buffer.alloc(16);
      record.writeUInt16BE(0xc00c, 0);
      record.writeUInt16BE(1, 2);
      record.writeUInt16BE(1, 4);
      record.writeUInt32BE(60, 6);
      record.writeUInt16BE(4, 10);
      address.split('.').forEach((octet, i) => (record[12 + i] = Number(octet)));
      records.push(record);
    }
    socket.send(
      Buffer.concat([header, query.subarray(12, questionEnd), ...records]),
      peer.port,
      peer.address,
    );
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    asked,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

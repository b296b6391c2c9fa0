// Published servers end to end (docs/protocol.md "Published servers"), against the real relay
// process over TLS on 127.0.0.1: a publishing computer registers a name and serves it over
// its own mux connection, consumers of the same tenant reach `name:port` through the relay
// (mux streams spliced frame to frame, classic data connections), checksummed bytes both
// ways, half-close and reset carried, who connects told to the publisher, the listing, and
// the name kept through drops, reconnects and the grace period.

import { afterEach, describe, expect, it } from 'vitest';
import { Pattern, readAll, writePattern } from '../harness/traffic';
import { eventually, sleep } from './relay-hardening-helpers';
import {
  cleanupPublished,
  consumer,
  echo,
  events,
  lines,
  local,
  publicKey,
  publisher,
  relayProcess,
  sink,
  source,
  target,
} from './relay-published-helpers';

afterEach(cleanupPublished);

const MiB = 1024 * 1024;

async function roundTrip(port: number, bytes: number, seed: number): Promise<boolean> {
  const socket = await local(port);
  const pattern = new Pattern(bytes, seed);
  const reading = readAll(socket);
  await writePattern(socket, pattern);
  const got = await reading;
  socket.destroy();
  return got.ending === 'end' && got.bytes === bytes && got.sha256 === pattern.sha256();
}

describe('published servers', () => {
  it('carries 256 MiB each way with matching SHA-256 between a consumer and a published computer', async () => {
    const relay = await relayProcess();
    const up = await sink();
    const down = await source(256 * MiB, 11);
    const key = publicKey();
    const pub = await publisher(relay, 'office', {
      name: 'office-pc',
      ports: [22, 3389],
      publicKey: key,
      targets: { 22: up.port, 3389: down.port },
    });
    await pub.openServing();
    const toSink = await consumer(relay, 'alice', { server: 'office-pc', port: 22 });
    const toSource = await consumer(relay, 'alice', {
      server: 'office-pc',
      port: 3389,
      tunnelId: 't-rdp',
    });
    expect(toSink.answer).toMatchObject({
      type: 'tunnel_response',
      status: 'ok',
      server: 'office-pc',
      // The registered key, for the consumer to pin the inner TLS to.
      public_key: key,
    });
    const pattern = new Pattern(256 * MiB, 5);
    const upSocket = await local(toSink.localPort);
    const upReply = readAll(upSocket);
    const downSocket = await local(toSource.localPort);
    const downRead = readAll(downSocket);
    await writePattern(upSocket, pattern);
    const [uploaded, reply, downloaded] = await Promise.all([
      up.nextResult(110_000),
      upReply,
      downRead,
    ]);
    expect(uploaded).toMatchObject({ bytes: 256 * MiB, sha256: pattern.sha256(), ending: 'end' });
    // The sink answers after our FIN: the reply crossed a half-closed stream.
    expect(reply.ending).toBe('end');
    expect(downloaded).toMatchObject({
      bytes: 256 * MiB,
      sha256: down.pattern.sha256(),
      ending: 'end',
    });
    const closed = await eventually(
      () => events(relay, 'stream_closed'),
      (found) => found.length >= 2,
      10_000,
    );
    expect(closed.map((r) => r.details['reset'])).toEqual([false, false]);
    expect(await relay.metric('cloudbridge_relay_streams_active')).toBe(0);
  }, 120_000);

  it('carries a classic data connection to a published computer, pipelined bytes first', async () => {
    const relay = await relayProcess();
    const service = await echo();
    const pub = await publisher(relay, 'office', {
      name: 'build-box',
      ports: [22],
      targets: { 22: service.port },
    });
    await pub.openServing();
    const tunnel = await consumer(relay, 'alice', { server: 'build-box', port: 22, classic: true });
    expect(tunnel.answer['public_key']).toBeNull();
    expect(await roundTrip(tunnel.localPort, 8 * MiB, 2)).toBe(true);
    expect(await roundTrip(tunnel.localPort, 1, 3)).toBe(true);
  });

  it('tells the publishing computer the port and who connects, and keeps each port apart', async () => {
    const relay = await relayProcess();
    const a = await target((socket) => socket.end('port-a\n'));
    const b = await target((socket) => socket.end('port-b\n'));
    const pub = await publisher(relay, 'office', {
      name: 'office-pc',
      ports: [22, 80],
      targets: { 22: a.port, 80: b.port },
    });
    await pub.openServing();
    const ssh = await consumer(relay, 'alice', { server: 'office-pc', port: 22 });
    const web = await consumer(relay, 'bob', { server: 'office-pc', port: 80, tunnelId: 't-web' });
    const read = async (port: number): Promise<string> => {
      const socket = await local(port);
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      await new Promise((resolve) => socket.once('end', resolve));
      socket.end();
      return text;
    };
    expect(await read(ssh.localPort)).toBe('port-a\n');
    expect(await read(web.localPort)).toBe('port-b\n');
    expect(pub.opens).toEqual([
      {
        tunnel_id: pub.tunnelId,
        port: 22,
        sub: 'alice',
        tenant_id: 'default',
        remote: '127.0.0.1',
      },
      { tunnel_id: pub.tunnelId, port: 80, sub: 'bob', tenant_id: 'default', remote: '127.0.0.1' },
    ]);
  });

  it('passes a half-close from either side and keeps the other direction open', async () => {
    const relay = await relayProcess();
    let serverGot = '';
    const service = await target((socket) => {
      // The computer's service says hello and half-closes, then still reads.
      socket.end('hello\n');
      socket.on('data', (chunk: Buffer) => (serverGot += chunk.toString()));
    });
    const pub = await publisher(relay, 'office', {
      name: 'office-pc',
      ports: [22],
      targets: { 22: service.port },
    });
    await pub.openServing();
    const tunnel = await consumer(relay, 'alice', { server: 'office-pc', port: 22 });
    const socket = await local(tunnel.localPort, true);
    const socketClosed = new Promise((resolve) => socket.once('close', resolve));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    await new Promise((resolve) => socket.once('end', resolve));
    expect(text).toBe('hello\n');
    // The far side's FIN reached us; our direction is still open.
    socket.end('after your fin\n');
    await eventually(
      () => serverGot,
      (got) => got === 'after your fin\n',
      5_000,
    );
    expect(serverGot).toBe('after your fin\n');
    await socketClosed;
    const closed = await eventually(
      () => events(relay, 'stream_closed'),
      (found) => found.length === 1,
      5_000,
    );
    expect(closed[0]?.details['reset']).toBe(false);
  });

  it('carries a reset from the computer to the consumer and from the consumer to the computer', async () => {
    const relay = await relayProcess();
    const resets: string[] = [];
    const service = await target((socket) => {
      socket.once('data', (chunk: Buffer) => {
        if (chunk.toString() === 'reset me') socket.resetAndDestroy();
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resets.push(error.code ?? ''));
    });
    const pub = await publisher(relay, 'office', {
      name: 'office-pc',
      ports: [22],
      targets: { 22: service.port },
    });
    await pub.openServing();
    const tunnel = await consumer(relay, 'alice', { server: 'office-pc', port: 22 });
    const first = await local(tunnel.localPort);
    const firstEnd = readAll(first);
    first.write('reset me');
    expect(await firstEnd).toMatchObject({ ending: 'error', error: 'ECONNRESET' });

    const second = await local(tunnel.localPort);
    second.write('hold on');
    await eventually(
      () => pub.active,
      (n) => n === 1,
      5_000,
    );
    second.resetAndDestroy();
    await eventually(
      () => resets,
      (seen) => seen.includes('ECONNRESET'),
      5_000,
    );
    expect(resets).toContain('ECONNRESET');
    const closed = await eventually(
      () => events(relay, 'stream_closed'),
      (found) => found.length === 2,
      5_000,
    );
    expect(closed.map((r) => r.details['reset'])).toEqual([true, true]);
    expect(await relay.metric('cloudbridge_relay_streams_active')).toBe(0);
  });

  it('lists the servers an identity may reach, keyed or not, online or not', async () => {
    const relay = await relayProcess();
    const service = await echo();
    const office = await publisher(relay, 'office', {
      name: 'office-pc',
      ports: [3389, 22],
      publicKey: publicKey('ed25519'),
      targets: { 22: service.port },
    });
    await office.openServing();
    const lab = await publisher(relay, 'lab', {
      name: 'lab-pc',
      ports: [22],
      allowedSubs: ['bob'],
      targets: { 22: service.port },
    });
    await lab.openServing();
    // Registered but never served: not published, not listed.
    await publisher(relay, 'lab', { name: 'not-yet', ports: [22] });
    const list = async (sub: string): Promise<unknown> => {
      const client = await lines(relay);
      client.send({ type: 'auth', token: await relay.token(sub) });
      await client.next();
      client.send({ type: 'servers' });
      return client.next();
    };
    expect(await list('alice')).toEqual({
      type: 'servers_response',
      status: 'ok',
      servers: [{ name: 'office-pc', ports: [22, 3389], keyed: true, online: true }],
    });
    lab.dropServing();
    await eventually(
      () => events(relay, 'serving_closed'),
      (found) => found.length === 1,
      5_000,
    );
    expect(await list('bob')).toMatchObject({
      servers: [
        { name: 'lab-pc', ports: [22], keyed: false, online: false },
        { name: 'office-pc', online: true },
      ],
    });
  });

  it('keeps the name through a dropped serving connection, a dropped session and the grace period, and releases it after', async () => {
    const relay = await relayProcess({ args: ['--grace-ms', '2000'] });
    const service = await echo();
    const key = publicKey();
    const pub = await publisher(relay, 'office', {
      name: 'office-pc',
      ports: [22],
      publicKey: key,
      targets: { 22: service.port },
    });
    await pub.openServing();
    const tunnel = await consumer(relay, 'alice', { server: 'office-pc', port: 22 });
    expect(await roundTrip(tunnel.localPort, MiB, 1)).toBe(true);

    // The serving connection drops: offline, streams refused, the name still held.
    pub.dropServing();
    await eventually(
      () => events(relay, 'serving_closed'),
      (found) => found.length === 1,
      5_000,
    );
    expect(await roundTrip(tunnel.localPort, 10, 2)).toBe(false);
    expect(tunnel.failures.at(-1)).toMatchObject({
      code: 'data_transfer_failed',
      details: { reason: 'server_offline' },
    });
    await pub.openServing();
    expect(await roundTrip(tunnel.localPort, MiB, 3)).toBe(true);

    // The control session drops: the grace period keeps the name for this computer only.
    pub.dropControl();
    await eventually(
      () => events(relay, 'session_closed').filter((r) => r.details['servers_in_grace'] === 1),
      (found) => found.length === 1,
      5_000,
    );
    const other = await publisher(relay, 'mallory', { name: 'office-pc', ports: [22] }).catch(
      (error: { answer: unknown }) => error.answer,
    );
    expect(other).toMatchObject({
      type: 'error',
      code: 'tunnel_exists',
      v1_code: 2001,
      details: { reason: 'name_taken' },
    });
    const secondComputer = await publisher(relay, 'office', {
      name: 'office-pc',
      ports: [22],
      publicKey: publicKey(),
    }).catch((error: { answer: unknown }) => error.answer);
    expect(secondComputer).toMatchObject({
      code: 'tunnel_exists',
      details: { reason: 'public_key_mismatch' },
    });
    // Its serving connection still carries streams while the session is away.
    expect(await roundTrip(tunnel.localPort, MiB, 4)).toBe(true);
    const back = await pub.reconnect();
    expect(back).toMatchObject({
      type: 'register_response',
      status: 'success',
      tunnel_id: pub.tunnelId,
      serve_token: pub.serveToken,
      handed_back: true,
    });
    expect(await roundTrip(tunnel.localPort, MiB, 5)).toBe(true);

    // Gone for good: after the grace period the name is free and the old tunnel says so.
    pub.close();
    await eventually(
      () => events(relay, 'server_expired'),
      (found) => found.length === 1,
      6_000,
    );
    expect(await roundTrip(tunnel.localPort, 10, 6)).toBe(false);
    expect(tunnel.failures.at(-1)).toMatchObject({ details: { reason: 'server_changed' } });
    const successor = await publisher(relay, 'mallory', {
      name: 'office-pc',
      ports: [22],
      targets: { 22: service.port },
    });
    expect(successor.answer).toMatchObject({ status: 'success', handed_back: false });
    expect(successor.tunnelId).not.toBe(pub.tunnelId);
  }, 60_000);

  it('hands new streams to the newest serving connection and closes an older one once it is empty', async () => {
    const relay = await relayProcess();
    const service = await echo();
    const pub = await publisher(relay, 'office', {
      name: 'office-pc',
      ports: [22],
      targets: { 22: service.port },
    });
    const oldest = await pub.openServing();
    const tunnel = await consumer(relay, 'alice', { server: 'office-pc', port: 22 });
    const held = await local(tunnel.localPort);
    held.write('x');
    await eventually(
      () => pub.active,
      (n) => n === 1,
      5_000,
    );
    const newer = await pub.openServing();
    expect(await roundTrip(tunnel.localPort, MiB, 7)).toBe(true);
    expect(newer.isClosed).toBe(false);
    // The older one kept its stream, and goes with it.
    expect(oldest.isClosed).toBe(false);
    held.destroy();
    await eventually(
      () => oldest.isClosed,
      (closed) => closed,
      5_000,
    );
    expect(oldest.isClosed).toBe(true);
    expect(events(relay, 'serving_connection_replaced')).toHaveLength(1);
    await sleep(100);
    expect(await roundTrip(tunnel.localPort, 100, 8)).toBe(true);
  });

  it('holds no more than the credit in flight for a computer whose service does not read', async () => {
    const relay = await relayProcess();
    const paused = await target((socket) => socket.pause());
    const pub = await publisher(relay, 'office', {
      name: 'office-pc',
      ports: [22],
      targets: { 22: paused.port },
    });
    await pub.openServing();
    const tunnel = await consumer(relay, 'alice', { server: 'office-pc', port: 22 });
    await sleep(300);
    const rssBefore = relay.rss();
    const socket = await local(tunnel.localPort);
    const pattern = new Pattern(256 * MiB, 9);
    void writePattern(socket, pattern).catch(() => undefined);
    await sleep(3_000);
    const passed = await relay.metric(
      'cloudbridge_relay_transferred_bytes_total{direction="to_target"}',
    );
    // What crossed the relay is what the far end took: the kernels' buffers and one window.
    expect(passed).toBeLessThan(32 * MiB);
    expect(relay.rss() - rssBefore).toBeLessThan(24 * MiB);
    socket.destroy();
  });
});

// Published servers refused (docs/protocol.md "Published servers" and #limits), against the
// real relay process over TLS on 127.0.0.1: each bad request gets one clear error and leaves
// nothing running (no server held, no stream, no socket); every new bound is run into.

import { afterEach, describe, expect, it } from 'vitest';
import { authedSession, publish } from '../harness/publisher';
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
  type HardenedRelay,
} from './relay-published-helpers';

afterEach(cleanupPublished);

/** The relay's answer to `register` with this tunnel_info from `sub`. */
async function register(
  relay: HardenedRelay,
  sub: string,
  info: Record<string, unknown>,
  tenant?: string,
): Promise<Record<string, unknown>> {
  const session = await authedSession(
    relay,
    await relay.token(sub, tenant !== undefined ? { tenant } : {}),
  );
  session.send({ type: 'register', tunnel_info: info });
  const answer = await session.next();
  session.destroy();
  return answer;
}

/** The relay's answer to a tunnel_info naming `server`. */
async function tunnelTo(
  relay: HardenedRelay,
  sub: string,
  server: string,
  port: number,
  tenant?: string,
): Promise<Record<string, unknown>> {
  const session = await authedSession(
    relay,
    await relay.token(sub, tenant !== undefined ? { tenant } : {}),
  );
  session.send({ type: 'tunnel_info', tunnel_id: 't-1', local_port: 1, server, remote_port: port });
  const answer = await session.next();
  session.destroy();
  return answer;
}

/** Nothing left running: no stream, no server held beyond `servers`, no socket beyond a few. */
async function expectNothingLeft(relay: HardenedRelay, servers: number, fdsBefore: number) {
  expect(await relay.metric('cloudbridge_relay_streams_active')).toBe(0);
  const held =
    (await relay.metric('cloudbridge_relay_published_servers{state="online"}')) +
    (await relay.metric('cloudbridge_relay_published_servers{state="offline"}'));
  expect(held).toBe(servers);
  const fds = await eventually(
    () => relay.fds(),
    (n) => n <= fdsBefore + 2,
    5_000,
  );
  expect(fds).toBeLessThanOrEqual(fdsBefore + 2);
}

describe('published server refusals', () => {
  it('refuses register before auth with invalid_token, and each malformed tunnel_info naming its field', async () => {
    const relay = await relayProcess();
    const fdsBefore = relay.fds();
    const early = await lines(relay);
    early.send({ type: 'register', tunnel_info: { name: 'pc', protocol: 'tcp', ports: [22] } });
    expect(await early.next()).toMatchObject({
      code: 'invalid_token',
      details: { reason: 'not_authenticated' },
    });
    early.destroy();
    const good = { name: 'office-pc', protocol: 'tcp', ports: [22] };
    const cases: Array<[Record<string, unknown> | string, string, string]> = [
      ['not an object', 'tunnel_info', 'invalid_field'],
      [{ ...good, name: 'Office-PC' }, 'tunnel_info.name', 'invalid_name'],
      [{ ...good, name: '-pc' }, 'tunnel_info.name', 'invalid_name'],
      [{ ...good, name: 'a'.repeat(64) }, 'tunnel_info.name', 'invalid_name'],
      [{ ...good, name: 'office.pc' }, 'tunnel_info.name', 'invalid_name'],
      [{ ...good, name: 7 }, 'tunnel_info.name', 'invalid_name'],
      [{ ...good, protocol: 'udp' }, 'tunnel_info.protocol', 'unsupported_protocol'],
      [{ name: 'office-pc', ports: [22] }, 'tunnel_info.protocol', 'unsupported_protocol'],
      [{ ...good, ports: [] }, 'tunnel_info.ports', 'invalid_ports'],
      [{ ...good, ports: [0] }, 'tunnel_info.ports', 'invalid_ports'],
      [{ ...good, ports: [65536] }, 'tunnel_info.ports', 'invalid_ports'],
      [{ ...good, ports: [22, 22] }, 'tunnel_info.ports', 'invalid_ports'],
      [{ ...good, ports: ['22'] }, 'tunnel_info.ports', 'invalid_ports'],
      [
        { ...good, ports: Array.from({ length: 17 }, (_, i) => i + 1) },
        'tunnel_info.ports',
        'invalid_ports',
      ],
      [{ ...good, public_key: 'not base64!' }, 'tunnel_info.public_key', 'not_base64'],
      [{ ...good, public_key: 'AAAA' }, 'tunnel_info.public_key', 'not_spki'],
      [
        { ...good, public_key: publicKey('ec', { namedCurve: 'secp256k1' }) },
        'tunnel_info.public_key',
        'key_type_not_allowed',
      ],
      [
        { ...good, public_key: publicKey('rsa', { modulusLength: 1024 }) },
        'tunnel_info.public_key',
        'key_type_not_allowed',
      ],
      [
        { ...good, public_key: Buffer.alloc(3000, 1).toString('base64') },
        'tunnel_info.public_key',
        'too_large',
      ],
      [{ ...good, allowed_subs: [] }, 'tunnel_info.allowed_subs', 'invalid_subs'],
      [{ ...good, allowed_subs: [''] }, 'tunnel_info.allowed_subs', 'invalid_subs'],
      [{ ...good, allowed_subs: ['a', 'a'] }, 'tunnel_info.allowed_subs', 'invalid_subs'],
    ];
    // One session for all: a bad field fails that request, not the session.
    const session = await authedSession(relay, await relay.token('office'));
    for (const [info, field, reason] of cases) {
      session.send({ type: 'register', tunnel_info: info });
      expect(await session.next(), JSON.stringify(info).slice(0, 80)).toMatchObject({
        type: 'error',
        code: 'invalid_tunnel_info',
        v1_code: 2002,
        details: { field, reason },
      });
    }
    session.send({ type: 'register', tunnel_info: { ...good, public_key: publicKey('ed25519') } });
    expect(await session.next()).toMatchObject({ type: 'register_response', status: 'success' });
    session.destroy();
    await expectNothingLeft(relay, 1, fdsBefore);
  }, 60_000);

  it('refuses a name that exists in the tenant, and not one that exists only in another tenant', async () => {
    const relay = await relayProcess({
      config: {
        tenants: [
          { id: 'acme', allow: ['127.0.0.0/8'] },
          { id: 'globex', allow: ['127.0.0.0/8'] },
        ],
      },
    });
    const service = await echo();
    const acme = await publisher(relay, 'office', {
      tenant: 'acme',
      name: 'office-pc',
      ports: [22],
      targets: { 22: service.port },
    });
    await acme.openServing();
    expect(
      await register(
        relay,
        'intruder',
        { name: 'office-pc', protocol: 'tcp', ports: [22] },
        'acme',
      ),
    ).toMatchObject({ code: 'tunnel_exists', details: { reason: 'name_taken' } });
    // Another tenant's names are neither visible nor in the way.
    expect(await tunnelTo(relay, 'alice', 'office-pc', 22, 'globex')).toMatchObject({
      code: 'invalid_tunnel_info',
      details: { field: 'server', reason: 'unknown_server' },
    });
    const own = await register(
      relay,
      'other',
      { name: 'office-pc', protocol: 'tcp', ports: [22] },
      'globex',
    );
    expect(own).toMatchObject({ type: 'register_response', status: 'success' });
    expect(await tunnelTo(relay, 'alice', 'office-pc', 22, 'acme')).toMatchObject({
      type: 'tunnel_response',
      server: 'office-pc',
    });
  });

  it('refuses an unlisted port and a sub the server does not admit, at tunnel_info and per stream', async () => {
    const relay = await relayProcess();
    const service = await echo();
    const fdsBefore = relay.fds();
    const pub = await publisher(relay, 'office', {
      name: 'office-pc',
      ports: [22],
      allowedSubs: ['alice'],
      targets: { 22: service.port },
    });
    await pub.openServing();
    expect(await tunnelTo(relay, 'alice', 'office-pc', 3389)).toMatchObject({
      code: 'invalid_tunnel_info',
      details: { field: 'remote_port', reason: 'port_not_published' },
    });
    // A sub not on the list learns no more than about a name nobody holds.
    const mallory = await tunnelTo(relay, 'mallory', 'office-pc', 22);
    const nobody = await tunnelTo(relay, 'mallory', 'nobody-pc', 22);
    expect(mallory).toMatchObject({
      code: 'invalid_tunnel_info',
      details: { reason: 'unknown_server' },
    });
    expect(mallory['message']).toBe(String(nobody['message']).replace('nobody-pc', 'office-pc'));
    expect(mallory['details']).toEqual(nobody['details']);

    // Alice's tunnel works, until the computer takes her off its list and port 22 off its ports.
    const tunnel = await consumer(relay, 'alice', { server: 'office-pc', port: 22 });
    const ok = await local(tunnel.localPort);
    ok.write('hi');
    await new Promise((resolve) => ok.once('data', resolve));
    ok.destroy();
    expect(await pub.reconnect()).toMatchObject({ handed_back: true });
    const narrowed = await publish({
      relay,
      token: await relay.token('office'),
      name: 'office-pc',
      ports: [22],
      allowedSubs: ['bob'],
    });
    narrowed.close();
    const refused = await local(tunnel.localPort);
    refused.write('hi');
    await new Promise((resolve) => refused.once('close', resolve));
    expect(tunnel.failures.at(-1)).toMatchObject({
      code: 'ip_not_allowed',
      details: { reason: 'server_not_allowed' },
    });
    const ports = await publish({
      relay,
      token: await relay.token('office'),
      name: 'office-pc',
      ports: [80],
      allowedSubs: ['alice'],
    });
    ports.close();
    const unlisted = await local(tunnel.localPort);
    unlisted.write('hi');
    await new Promise((resolve) => unlisted.once('close', resolve));
    expect(tunnel.failures.at(-1)).toMatchObject({
      code: 'ip_not_allowed',
      details: { reason: 'port_not_published' },
    });
    expect(pub.opens).toHaveLength(1);
    await tunnel.close();
    pub.close();
    await sleep(200);
    await expectNothingLeft(relay, 1, fdsBefore);
  });

  it('refuses a serving connection with an unknown id or a wrong token, and an OPEN from the publisher', async () => {
    const relay = await relayProcess();
    const pub = await publisher(relay, 'office', { name: 'office-pc', ports: [22] });
    const { dataConnection } = await import('../harness/publisher');
    for (const [serve, token] of [
      [pub.tunnelId, 'wrong'],
      ['srv-unknown', pub.serveToken],
    ]) {
      const { answer } = await dataConnection(relay, {
        type: 'mux_open',
        serve,
        serve_token: token,
      });
      expect(answer).toMatchObject({
        code: 'invalid_token',
        details: { reason: 'bad_serve_token' },
      });
    }
    const serving = await pub.openServing();
    const stream = serving.openStream(Buffer.from('{}'));
    const refusal = await new Promise<Buffer | null>((resolve) => {
      stream.onOpenResult = resolve;
    });
    expect(JSON.parse(String(refusal))).toMatchObject({
      code: 'unknown_message_type',
      details: { reason: 'serving_connection' },
    });
    expect(serving.isClosed).toBe(false);
  });

  it('stops at 10 creations an hour per client, shared with tunnels, and hand-backs do not count', async () => {
    const relay = await relayProcess();
    const session = await authedSession(relay, await relay.token('office'));
    const info = (name: string) => ({ name, protocol: 'tcp', ports: [22] });
    for (let i = 0; i < 10; i += 1) {
      session.send({ type: 'register', tunnel_info: info(`pc-${i}`) });
      const answer = await session.next();
      expect(answer).toMatchObject({ type: 'register_response' });
      // Released at once, so only the hourly budget can refuse the next one.
      session.send({ type: 'unregister', tunnel_id: answer['tunnel_id'] });
      expect(await session.next()).toMatchObject({ type: 'unregister_response', status: 'ok' });
    }
    session.send({ type: 'register', tunnel_info: info('pc-10') });
    expect(await session.next()).toMatchObject({
      code: 'rate_limit_exceeded',
      v1_code: 3001,
      details: { limit: 'tunnel_creations_per_identity' },
    });
    session.send({
      type: 'tunnel_info',
      tunnel_id: 't-x',
      local_port: 1,
      remote_host: '127.0.0.1',
      remote_port: 22,
    });
    expect(await session.next()).toMatchObject({ code: 'rate_limit_exceeded' });
    expect(
      await relay.metric(
        'cloudbridge_relay_limit_hits_total{limit="tunnel_creations_per_identity"}',
      ),
    ).toBe(2);
  });

  it('caps the servers a client and a tenant may hold', async () => {
    const relay = await relayProcess({
      args: ['--limit', 'maxServersPerClient=2', '--limit', 'maxServersPerTenant=3'],
    });
    const session = await authedSession(relay, await relay.token('office'));
    const info = (name: string) => ({ name, protocol: 'tcp', ports: [22] });
    for (const name of ['a', 'b']) {
      session.send({ type: 'register', tunnel_info: info(name) });
      expect(await session.next()).toMatchObject({ type: 'register_response' });
    }
    session.send({ type: 'register', tunnel_info: info('c') });
    expect(await session.next()).toMatchObject({
      code: 'tenant_limit_exceeded',
      details: { reason: 'servers_per_client', limit: 2 },
    });
    // Registering a held name again is a hand-back, within the cap.
    session.send({ type: 'register', tunnel_info: info('a') });
    expect(await session.next()).toMatchObject({ handed_back: true });
    expect(await register(relay, 'lab', info('d'))).toMatchObject({ type: 'register_response' });
    expect(await register(relay, 'lab', info('e'))).toMatchObject({
      code: 'tenant_limit_exceeded',
      details: { reason: 'servers_per_tenant', limit: 3 },
    });
    expect(
      await relay.metric('cloudbridge_relay_limit_hits_total{limit="servers_per_client"}'),
    ).toBe(1);
    expect(
      await relay.metric('cloudbridge_relay_limit_hits_total{limit="servers_per_tenant"}'),
    ).toBe(1);
    expect(await relay.metric('cloudbridge_relay_limit{limit="servers_per_tenant"}')).toBe(3);
  });

  it('lets a server carry more streams than a client mux connection when its cap is raised', async () => {
    const relay = await relayProcess({ args: ['--limit', 'maxStreamsPerServer=1000'] });
    const pub = await publisher(relay, 'office', { name: 'big-pc', ports: [22] });
    expect((await pub.openServing()).maxStreams).toBe(1000);
  });

  it('caps the streams to one server, and the OPENs towards it that wait for an answer', async () => {
    const relay = await relayProcess({
      args: ['--limit', 'maxStreamsPerServer=3', '--limit', 'maxServerOpensInFlight=2'],
      config: { dialTimeoutMs: 1500 },
    });
    const fdsBefore = relay.fds();
    const service = await echo();
    const hung = await publisher(relay, 'office', { name: 'hung-pc', ports: [22], hold: true });
    await hung.openServing();
    const toHung = await consumer(relay, 'alice', { server: 'hung-pc', port: 22 });
    const waiting = await Promise.all([local(toHung.localPort), local(toHung.localPort)]);
    await eventually(
      () => hung.opens.length,
      (n) => n === 2,
      5_000,
    );
    const third = await local(toHung.localPort);
    await new Promise((resolve) => third.once('close', resolve));
    expect(toHung.failures.at(-1)).toMatchObject({
      code: 'connection_limit_reached',
      details: { reason: 'server_opens_in_flight', limit: 2, scope: 'server' },
    });
    // A computer that never answers: after the dial timeout both waiting streams are refused.
    await Promise.all(waiting.map((s) => new Promise((resolve) => s.once('close', resolve))));
    expect(
      toHung.failures.filter(
        (f) => (f['details'] as { reason?: string }).reason === 'server_timeout',
      ),
    ).toHaveLength(2);
    expect(hung.opens).toHaveLength(2);

    const pub = await publisher(relay, 'office', {
      name: 'office-pc',
      ports: [22],
      targets: { 22: service.port },
    });
    // The serving connection carries every stream to the server: it takes the server's cap.
    expect((await pub.openServing()).maxStreams).toBe(3);
    const tunnel = await consumer(relay, 'alice', {
      server: 'office-pc',
      port: 22,
      tunnelId: 't-ok',
    });
    const open = [];
    for (let i = 0; i < 3; i += 1) {
      const socket = await local(tunnel.localPort);
      socket.write('x');
      await new Promise((resolve) => socket.once('data', resolve));
      open.push(socket);
    }
    const over = await local(tunnel.localPort);
    await new Promise((resolve) => over.once('close', resolve));
    expect(tunnel.failures.at(-1)).toMatchObject({
      code: 'connection_limit_reached',
      details: { reason: 'streams_per_server', limit: 3 },
    });
    for (const socket of open) socket.destroy();
    await eventually(
      () => relay.metric('cloudbridge_relay_streams_active'),
      (n) => n === 0,
      5_000,
    );
    const again = await local(tunnel.localPort);
    again.write('y');
    await new Promise((resolve) => again.once('data', resolve));
    again.destroy();
    expect(
      await relay.metric('cloudbridge_relay_limit_hits_total{limit="streams_per_server"}'),
    ).toBe(1);
    expect(
      await relay.metric('cloudbridge_relay_limit_hits_total{limit="server_opens_in_flight"}'),
    ).toBe(1);
    expect(await relay.metric('cloudbridge_relay_streams_total{result="server_timeout"}')).toBe(2);
    expect(events(relay, 'stream_refused').length).toBeGreaterThanOrEqual(4);
    await toHung.close();
    await tunnel.close();
    hung.close();
    pub.close();
    await sleep(200);
    await expectNothingLeft(relay, 2, fdsBefore);
  });
});

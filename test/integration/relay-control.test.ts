// The relay's control session over real TLS on 127.0.0.1: the happy path, every kind of bad
// input (answered, connection closed, relay still serving), token and tenant refusals, TLS
// 1.2 refusal, rate limits, the grace-period hand-back, metrics and a clean close().

import { request } from 'node:http';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mintDevToken } from '../../src-main/relay/tokens';
import {
  connectRawClient,
  sharedTestPki,
  startTestRelay,
  type RawRelayClient,
  type TestRelay,
  type TestRelayOptions,
} from '../harness/relay';
import { createSkipClock } from '../harness/skip-clock';

const relays: TestRelay[] = [];
const clients: RawRelayClient[] = [];

beforeAll(async () => {
  await sharedTestPki();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(relays.splice(0).map((relay) => relay.close()));
});

async function relayWith(options: TestRelayOptions = {}): Promise<TestRelay> {
  const relay = await startTestRelay(options);
  relays.push(relay);
  return relay;
}

async function client(relay: TestRelay): Promise<RawRelayClient> {
  const c = await connectRawClient(relay);
  clients.push(c);
  return c;
}

async function authed(relay: TestRelay, sub = 'alice', tenant?: string): Promise<RawRelayClient> {
  const c = await client(relay);
  c.send({ type: 'auth', token: await relay.token({ sub, ...(tenant ? { tenant } : {}) }) });
  const reply = await c.next();
  expect(reply).toMatchObject({ type: 'auth_response', status: 'ok', client_id: sub });
  return c;
}

/** The relay has seen `count` sessions left (a dropped one released), bounded in time. */
async function sessionsDropTo(relay: TestRelay, count: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (relay.relay.stats().sessions !== count) {
    if (Date.now() > deadline) throw new Error(`sessions never dropped to ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function tunnelInfo(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'tunnel_info',
    tunnel_id: id,
    local_port: 13389,
    remote_host: '127.0.0.1',
    remote_port: 3389,
    ...extra,
  };
}

async function expectRelayStillServes(relay: TestRelay): Promise<void> {
  const c = await client(relay);
  c.send({ type: 'hello', version: '1.0', features: [] });
  expect(await c.next()).toMatchObject({ type: 'hello_response' });
}

describe('control session', () => {
  it('answers hello, auth, tunnel_info and heartbeat with the v2 shapes and tcp_stream', async () => {
    const relay = await relayWith();
    const c = await client(relay);
    c.send({ type: 'hello', version: '1.0', features: ['tls', 'heartbeat', 'tcp_stream'] });
    const hello = await c.next();
    expect(hello['type']).toBe('hello_response');
    expect(hello['features']).toContain('tcp_stream');

    c.send({ type: 'auth', token: await relay.token({ sub: 'alice' }) });
    const auth = await c.next();
    expect(auth).toMatchObject({
      type: 'auth_response',
      status: 'ok',
      client_id: 'alice',
      tenant_id: 'default',
    });
    expect(typeof auth['reconnect_token']).toBe('string');

    c.send(tunnelInfo('rdp-1'));
    const tunnel = await c.next();
    expect(tunnel).toMatchObject({ type: 'tunnel_response', status: 'ok', tunnel_id: 'rdp-1' });
    const streamToken = String(tunnel['stream_token']);
    expect(streamToken).toMatch(/^[A-Za-z0-9_-]+$/);
    // >= 128 random bits in base64url is >= 22 characters.
    expect(streamToken.length).toBeGreaterThanOrEqual(22);

    c.send({ type: 'heartbeat' });
    expect(await c.next()).toMatchObject({ type: 'heartbeat_response' });
    expect(relay.relay.stats()).toMatchObject({ sessions: 1, tunnels: 1 });
    // No token of any kind in the log.
    const logText = JSON.stringify(relay.logs);
    expect(logText).not.toContain(streamToken);
    expect(logText).not.toContain(String(auth['reconnect_token']));
  });

  it('rate-limits heartbeats closer than the minimum interval and keeps the session open', async () => {
    const clock = createSkipClock();
    const relay = await relayWith({ clock, limits: { minHeartbeatIntervalMs: 1_000 } });
    const c = await authed(relay);
    c.send({ type: 'heartbeat' });
    expect(await c.next()).toMatchObject({ type: 'heartbeat_response' });
    c.send({ type: 'heartbeat' });
    const refused = await c.next();
    expect(refused).toMatchObject({ type: 'error', code: 'rate_limit_exceeded' });
    expect((refused['details'] as { retry_after: number }).retry_after).toBe(1);
    clock.advance(1_000);
    c.send({ type: 'heartbeat' });
    expect(await c.next()).toMatchObject({ type: 'heartbeat_response' });
  });

  it('answers an unknown message type with unknown_message_type and keeps the session open', async () => {
    const relay = await relayWith();
    const c = await authed(relay);
    c.send({ type: 'teleport', to: 'mars' });
    expect(await c.next()).toMatchObject({ type: 'error', code: 'unknown_message_type' });
    c.send(tunnelInfo('after-unknown'));
    expect(await c.next()).toMatchObject({ type: 'tunnel_response', status: 'ok' });
  });

  it('keeps order: no tunnels before auth, one auth per session, stream_open only on data connections', async () => {
    const relay = await relayWith();
    const c = await client(relay);
    c.send(tunnelInfo('early'));
    expect(await c.next()).toMatchObject({
      type: 'error',
      code: 'invalid_token',
      details: { reason: 'not_authenticated' },
    });
    c.send({ type: 'auth', token: await relay.token({ sub: 'alice' }) });
    expect(await c.next()).toMatchObject({ type: 'auth_response', status: 'ok' });
    c.send({ type: 'auth', token: await relay.token({ sub: 'mallory' }) });
    expect(await c.next()).toMatchObject({
      type: 'error',
      code: 'unknown_message_type',
      details: { reason: 'already_authenticated' },
    });
    c.send({ type: 'stream_open', tunnel_id: 'x', stream_token: 'y' });
    expect(await c.next()).toMatchObject({
      type: 'error',
      code: 'unknown_message_type',
      details: { reason: 'stream_open_on_control' },
    });
    c.send(tunnelInfo('later'));
    expect(await c.next()).toMatchObject({
      type: 'tunnel_response',
      status: 'ok',
      tunnel_id: 'later',
    });
    expect(relay.relay.stats().tunnels).toBe(1);
  });

  it('refuses a tunnel_info with a bad value for that tunnel only, naming the field', async () => {
    const relay = await relayWith();
    const c = await authed(relay);
    c.send(tunnelInfo('bad-port', { remote_port: 70000 }));
    expect(await c.next()).toMatchObject({
      type: 'error',
      code: 'invalid_tunnel_info',
      details: { field: 'remote_port' },
    });
    c.send(tunnelInfo('good'));
    expect(await c.next()).toMatchObject({
      type: 'tunnel_response',
      status: 'ok',
      tunnel_id: 'good',
    });
  });
});

describe('plaintext development mode', () => {
  it('speaks the same protocol without TLS when insecure is set, and says so in the log', async () => {
    const relay = await relayWith({ insecure: true });
    expect(relay.relay.insecure).toBe(true);
    expect(relay.relay.certPem).toBeUndefined();
    const c = await connectRawClient({ ...relay, insecure: true });
    clients.push(c);
    c.send({ type: 'hello', version: '1.0', features: [] });
    expect(await c.next()).toMatchObject({ type: 'hello_response' });
    c.send({ type: 'auth', token: await relay.token() });
    expect(await c.next()).toMatchObject({ type: 'auth_response', status: 'ok' });
    expect(
      relay.logs.some((record) => record.event === 'insecure_mode' && record.level === 'warn'),
    ).toBe(true);
  });
});

describe('bad input: answered, connection closed, relay unharmed', () => {
  const cases: Array<{
    name: string;
    payload: (relay: TestRelay) => Promise<Buffer> | Buffer;
    code: string;
    details: Record<string, unknown>;
    authFirst?: boolean;
  }> = [
    {
      name: 'malformed JSON',
      payload: () => Buffer.from('{"type": "hello",\n'),
      code: 'unknown_message_type',
      details: { reason: 'invalid_json' },
    },
    {
      name: 'a line over 1 MiB',
      payload: () =>
        Buffer.concat([
          Buffer.from('{"type":"hello","pad":"'),
          Buffer.alloc(1024 * 1024 + 10, 0x61),
          Buffer.from('"}\n'),
        ]),
      code: 'unknown_message_type',
      details: { reason: 'line_too_long' },
    },
    {
      name: 'invalid UTF-8',
      payload: () => Buffer.from([0x7b, 0x22, 0x74, 0xff, 0xfe, 0x22, 0x7d, 0x0a]),
      code: 'unknown_message_type',
      details: { reason: 'invalid_utf8' },
    },
    {
      name: 'a JSON array',
      payload: () => Buffer.from('[1,2,3]\n'),
      code: 'unknown_message_type',
      details: { reason: 'not_an_object' },
    },
    {
      name: 'a JSON string',
      payload: () => Buffer.from('"hello"\n'),
      code: 'unknown_message_type',
      details: { reason: 'not_an_object' },
    },
    {
      name: 'an object without type',
      payload: () => Buffer.from('{"token":"x"}\n'),
      code: 'unknown_message_type',
      details: { reason: 'missing_type' },
    },
    {
      name: 'a numeric token in auth',
      payload: () => Buffer.from('{"type":"auth","token":12345}\n'),
      code: 'unknown_message_type',
      details: { reason: 'invalid_field', field: 'token' },
    },
    {
      name: 'a string port in tunnel_info',
      authFirst: true,
      payload: () => Buffer.from(JSON.stringify(tunnelInfo('t', { local_port: '3389' })) + '\n'),
      code: 'invalid_tunnel_info',
      details: { field: 'local_port' },
    },
    {
      name: 'a numeric remote_host in tunnel_info',
      authFirst: true,
      payload: () => Buffer.from(JSON.stringify(tunnelInfo('t', { remote_host: 10 })) + '\n'),
      code: 'invalid_tunnel_info',
      details: { field: 'remote_host' },
    },
    {
      name: 'an expired token',
      payload: async (relay) => {
        const token = await mintDevToken({
          secret: relay.secret,
          sub: 'alice',
          ttlSec: 60,
          nowSec: Math.floor(Date.now() / 1000) - 3600,
        });
        return Buffer.from(JSON.stringify({ type: 'auth', token }) + '\n');
      },
      code: 'invalid_token',
      details: { reason: 'expired' },
    },
    {
      name: 'a token signed with another secret',
      payload: async () => {
        const token = await mintDevToken({
          secret: 'another-secret-of-enough-length',
          sub: 'alice',
          ttlSec: 600,
        });
        return Buffer.from(JSON.stringify({ type: 'auth', token }) + '\n');
      },
      code: 'invalid_token',
      details: { reason: 'bad_signature' },
    },
    {
      name: 'an alg none token',
      payload: () => {
        const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
        const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 600 })}.`;
        return Buffer.from(JSON.stringify({ type: 'auth', token }) + '\n');
      },
      code: 'invalid_token',
      details: { reason: 'alg_not_allowed' },
    },
  ];

  it.each(cases)('$name', async ({ payload, code, details, authFirst }) => {
    const relay = await relayWith();
    const c = authFirst === true ? await authed(relay) : await client(relay);
    c.sendRaw(await payload(relay));
    const reply = await c.next();
    expect(reply).toMatchObject({ type: 'error', code, details });
    expect(typeof reply['message']).toBe('string');
    await c.closed();
    await expectRelayStillServes(relay);
    // Every refusal is logged as a JSON record.
    expect(
      relay.logs.some(
        (record) => record.level === 'warn' && JSON.stringify(record.details).includes(code),
      ),
    ).toBe(true);
  });

  it('refuses a TLS 1.2 client at the handshake', async () => {
    const relay = await relayWith();
    const outcome = await new Promise<string>((resolve) => {
      const socket = tlsConnect({
        host: '127.0.0.1',
        port: relay.port,
        ca: relay.caPem,
        servername: 'localhost',
        maxVersion: 'TLSv1.2',
      });
      socket.once('secureConnect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    expect(outcome).not.toBe('connected');
    expect(outcome).toMatch(/SSL|TLS|ECONNRESET/);
    await expectRelayStillServes(relay);
  });

  it('picks AES-128-GCM for a client that lists AES-256-GCM first', async () => {
    const relay = await relayWith();
    // Node's default list puts TLS_AES_256_GCM_SHA384 first; the relay's order wins.
    const raw = await connectRawClient(relay);
    expect((raw.socket as TLSSocket).getCipher().name).toBe('TLS_AES_128_GCM_SHA256');
    raw.destroy();
  });
});

describe('tenants', () => {
  const tenants = [
    { id: 'acme', maxTunnels: 2, maxConnections: 5, allow: ['127.0.0.0/8'] },
    { id: 'globex', maxTunnels: 5, maxConnections: 5, allow: [] },
  ];

  it('requires a known tenant_id claim', async () => {
    const relay = await relayWith({ tenants });
    for (const tenant of [undefined, 'initech']) {
      const c = await client(relay);
      c.send({
        type: 'auth',
        token: await relay.token({ sub: 'bob', ...(tenant ? { tenant } : {}) }),
      });
      expect(await c.next()).toMatchObject({ type: 'error', code: 'tenant_not_found' });
      await c.closed();
    }
    const ok = await authed(relay, 'bob', 'acme');
    ok.send(tunnelInfo('t1', { tenant_id: 'acme' }));
    expect(await ok.next()).toMatchObject({ type: 'tunnel_response', status: 'ok' });
  });

  it('refuses a tunnel for another tenant, outside the allow-list, or past the tenant limit', async () => {
    const relay = await relayWith({ tenants });
    const c = await authed(relay, 'bob', 'acme');
    c.send(tunnelInfo('t1', { tenant_id: 'globex' }));
    expect(await c.next()).toMatchObject({
      type: 'error',
      code: 'tenant_not_found',
      details: { field: 'tenant_id' },
    });
    c.send(tunnelInfo('t2', { remote_host: '10.20.30.40' }));
    expect(await c.next()).toMatchObject({ type: 'error', code: 'ip_not_allowed' });
    c.send(tunnelInfo('t3', { remote_host: '169.254.169.254' }));
    expect(await c.next()).toMatchObject({ type: 'error', code: 'ip_not_allowed' });
    c.send(tunnelInfo('t4'));
    expect(await c.next()).toMatchObject({ type: 'tunnel_response', status: 'ok' });
    c.send(tunnelInfo('t5'));
    expect(await c.next()).toMatchObject({ type: 'tunnel_response', status: 'ok' });
    c.send(tunnelInfo('t6'));
    expect(await c.next()).toMatchObject({ type: 'error', code: 'tenant_limit_exceeded' });

    // An empty allow-list refuses every target.
    const g = await authed(relay, 'carol', 'globex');
    g.send(tunnelInfo('g1'));
    expect(await g.next()).toMatchObject({ type: 'error', code: 'ip_not_allowed' });
  });
});

describe('rate limits', () => {
  it('counts failed auth attempts only: the 6th failure from an address is rate-limited, valid tokens still pass', async () => {
    const relay = await relayWith();
    const bad = await mintDevToken({ secret: 'not-the-relay-secret-at-all', sub: 'x', ttlSec: 60 });
    // Successes are not counted: ten valid logins from one address all pass.
    for (let i = 0; i < 10; i++) await authed(relay, `user-${i}`);
    for (let i = 0; i < 5; i++) {
      const c = await client(relay);
      c.send({ type: 'auth', token: bad });
      expect(await c.next()).toMatchObject({ type: 'error', code: 'invalid_token' });
    }
    const c = await client(relay);
    c.send({ type: 'auth', token: bad });
    const reply = await c.next();
    expect(reply).toMatchObject({ type: 'error', code: 'rate_limit_exceeded' });
    const retryAfter = (reply['details'] as { retry_after: number }).retry_after;
    expect(retryAfter).toBeGreaterThanOrEqual(50);
    expect(retryAfter).toBeLessThanOrEqual(60);
    await c.closed();
    // Others' failures from the same address never lock a valid token out.
    await authed(relay, 'after-the-failures');
  });

  it('counts tunnel creations per tenant, but not re-registering a tunnel already held', async () => {
    const relay = await relayWith({ limits: { tunnelCreationsPerHour: 2 } });
    const c = await authed(relay);
    c.send(tunnelInfo('a'));
    expect(await c.next()).toMatchObject({ type: 'tunnel_response', status: 'ok' });
    c.send(tunnelInfo('b'));
    expect(await c.next()).toMatchObject({ type: 'tunnel_response', status: 'ok' });
    c.send(tunnelInfo('c'));
    expect(await c.next()).toMatchObject({ type: 'error', code: 'rate_limit_exceeded' });
    c.send(tunnelInfo('a'));
    expect(await c.next()).toMatchObject({ type: 'tunnel_response', status: 'ok', tunnel_id: 'a' });
  });
});

describe('grace period', () => {
  it('hands a dropped session’s tunnel back to the same client while another client’s same id stays its own', async () => {
    const clock = createSkipClock();
    const relay = await relayWith({ clock, graceMs: 3_000 });
    const first = await authed(relay, 'alice');
    first.send(tunnelInfo('shared'));
    const original = await first.next();
    first.destroy();
    await sessionsDropTo(relay, 0);

    // Tunnel ids are per client: mallory's `shared` is a registration of her own.
    const other = await authed(relay, 'mallory');
    other.send(tunnelInfo('shared'));
    const mallorys = await other.next();
    expect(mallorys).toMatchObject({ type: 'tunnel_response', status: 'ok' });
    expect(mallorys['stream_token']).not.toBe(original['stream_token']);

    const again = await client(relay);
    again.send({
      type: 'auth',
      token: await relay.token({ sub: 'alice' }),
      reconnect_token: original['reconnect_token'],
    });
    expect(await again.next()).toMatchObject({
      type: 'auth_response',
      reconnect_token: original['reconnect_token'],
    });
    again.send(tunnelInfo('shared'));
    const handedBack = await again.next();
    expect(handedBack).toMatchObject({
      type: 'tunnel_response',
      status: 'ok',
      stream_token: original['stream_token'],
    });

    // Dropped again: after the grace period the id is new for alice too.
    again.destroy();
    await sessionsDropTo(relay, 1);
    clock.advance(3_000);
    const later = await authed(relay, 'alice');
    later.send(tunnelInfo('shared'));
    const taken = await later.next();
    expect(taken).toMatchObject({ type: 'tunnel_response', status: 'ok' });
    expect(taken['stream_token']).not.toBe(original['stream_token']);
  });
});

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      response.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

describe('metrics and shutdown', () => {
  it('exposes sessions, tunnels, bytes and auth failures by reason on /metrics', async () => {
    const relay = await relayWith({ metrics: { host: '127.0.0.1', port: 0 } });
    const c = await authed(relay);
    c.send(tunnelInfo('m1'));
    await c.next();
    const bad = await client(relay);
    bad.send({
      type: 'auth',
      token: await mintDevToken({ secret: 'not-the-relay-secret-at-all', sub: 'x', ttlSec: 60 }),
    });
    await bad.next();

    expect(relay.relay.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const text = await httpGet(relay.relay.metricsUrl ?? '');
    expect(text).toContain('cloudbridge_relay_sessions_total 2');
    expect(text).toContain('cloudbridge_relay_tunnels_active 1');
    expect(text).toContain('cloudbridge_relay_auth_failures_total{reason="bad_signature"} 1');
    expect(text).toContain('# TYPE cloudbridge_relay_transferred_bytes_total counter');
    // Custom metrics only: no default process/nodejs collectors.
    expect(text).not.toMatch(/^process_|^nodejs_/m);

    const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    // CI installs promtool (.ci/apt-packages.txt); elsewhere the check runs when it is there.
    if (process.env.CI === 'true') expect(promtool.status).toBe(0);
    if (promtool.status === 0) {
      const dir = mkdtempSync(join(tmpdir(), 'relay-metrics-'));
      try {
        writeFileSync(join(dir, 'metrics.txt'), text);
        const check = spawnSync(
          'sh',
          ['-c', `promtool check metrics < ${join(dir, 'metrics.txt')}`],
          { encoding: 'utf8' },
        );
        expect(check.stdout + check.stderr).toBe('');
        expect(check.status).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('close() ends sessions and leaves no socket open', async () => {
    const tcpHandles = (): number =>
      process.getActiveResourcesInfo().filter((name) => name.startsWith('TCP')).length;
    const before = tcpHandles();
    const relay = await startTestRelay({ metrics: { host: '127.0.0.1', port: 0 } });
    const a = await connectRawClient(relay);
    const b = await connectRawClient(relay);
    a.send({ type: 'auth', token: await relay.token() });
    await a.next();
    await relay.close();
    // A control session hears why, in a code clients retry with backoff.
    expect(await a.next()).toMatchObject({
      type: 'error',
      code: 'server_unavailable',
      details: { reason: 'relay_shutdown' },
    });
    await a.closed();
    await b.closed();
    a.destroy();
    b.destroy();
    expect(relay.relay.stats().openSockets).toBe(0);
    const deadline = Date.now() + 3_000;
    while (tcpHandles() > before && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(tcpHandles()).toBeLessThanOrEqual(before);
    await expect(connectRawClient(relay)).rejects.toThrow(/ECONNREFUSED/);
  });
});

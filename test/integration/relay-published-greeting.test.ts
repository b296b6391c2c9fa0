// The relay greets (docs/protocol.md#opener), against the real relay process over TLS on
// 127.0.0.1: a client that waits gets the relay's hello after the delay, one that speaks first
// (hello, or auth with no hello) never gets it and waits for nothing, data and mux connections
// that sit silent get it and go on, a connection that closes before its first line is logged
// with its duration, and error answers carry their text in `error` too.

import { afterEach, describe, expect, it } from 'vitest';
import { dataConnection } from '../harness/publisher';
import {
  cleanupPublished,
  collectLines,
  echo,
  events,
  lines,
  relayProcess,
  silentTls,
} from './relay-published-helpers';
import { eventually, sleep } from './relay-hardening-helpers';

afterEach(cleanupPublished);

const GREETINGS = 'cloudbridge_relay_limit_hits_total{limit="greet_delay_ms"}';

describe('relay greeting', () => {
  it('greets a client that waits for it with hello, version and features, then takes its auth', async () => {
    const relay = await relayProcess({ args: ['--limit', 'greetDelayMs=200'] });
    const socket = await silentTls(relay);
    const seen = collectLines(socket);
    const connectedAt = Date.now();
    await eventually(
      () => seen.length,
      (n) => n > 0,
      5_000,
    );
    const greeting = seen[0];
    expect(greeting?.line).toMatchObject({ type: 'hello', version: '1.0' });
    expect(greeting?.line['features']).toEqual(
      expect.arrayContaining(['tcp_stream', 'tcp_mux', 'published_servers']),
    );
    // Not before the delay: a client that is about to speak is given the time to.
    expect((greeting?.at ?? 0) - connectedAt).toBeGreaterThanOrEqual(150);
    socket.write(JSON.stringify({ type: 'auth', token: await relay.token('waiter') }) + '\n');
    await eventually(
      () => seen.length,
      (n) => n > 1,
      5_000,
    );
    expect(seen[1]?.line).toMatchObject({
      type: 'auth_response',
      status: 'ok',
      client_id: 'waiter',
    });
    expect(seen.filter((s) => s.line['type'] === 'hello')).toHaveLength(1);
    expect(await relay.metric(GREETINGS)).toBe(1);
  });

  it('never greets a client that speaks first, with its hello or with auth alone, greeting on or off', async () => {
    // A long delay: an answer that came only after it would show the relay waited for it.
    const on = await relayProcess({ args: ['--limit', 'greetDelayMs=3000'] });
    const off = await relayProcess({ args: ['--limit', 'greetDelayMs=0'] });
    const timings: Record<string, number> = {};
    for (const [label, relay] of [
      ['on', on],
      ['off', off],
    ] as const) {
      const hello = await lines(relay);
      const sentAt = Date.now();
      hello.send({ type: 'hello', version: '1.0', features: [] });
      expect(await hello.next()).toMatchObject({ type: 'hello_response' });
      timings[label] = Date.now() - sentAt;
      const auth = await lines(relay);
      auth.send({ type: 'auth', token: await relay.token('v1-server-example') });
      expect(await auth.next()).toMatchObject({ type: 'auth_response', status: 'ok' });
    }
    // Both answered before the greeting could have gone out: speaking first waits for nothing.
    expect(Math.max(timings['on'] ?? Infinity, timings['off'] ?? Infinity)).toBeLessThan(3_000);
    // Past the delay: the speakers still hold no greeting, and none was sent.
    await sleep(3_300);
    expect(await on.metric(GREETINGS)).toBe(0);
    expect(await off.metric(GREETINGS)).toBe(0);
    const late = await lines(on);
    late.send({ type: 'heartbeat' });
    expect(await late.next()).toMatchObject({ code: 'invalid_token' });
    expect(await on.metric(GREETINGS)).toBe(0);
  });

  it('does not greet a client whose first line is still arriving, and does not greet with the delay at 0', async () => {
    const relay = await relayProcess({ args: ['--limit', 'greetDelayMs=100'] });
    const partial = await silentTls(relay);
    const seen = collectLines(partial);
    partial.write('{"type":"hel');
    await sleep(400);
    partial.write('lo","version":"1.0","features":[]}\n');
    await eventually(
      () => seen.length,
      (n) => n > 0,
      5_000,
    );
    expect(seen.map((s) => s.line['type'])).toEqual(['hello_response']);

    const quiet = await relayProcess({ args: ['--limit', 'greetDelayMs=0'] });
    const waiting = await silentTls(quiet);
    const none = collectLines(waiting);
    await sleep(600);
    expect(none).toHaveLength(0);
    expect(await quiet.metric(GREETINGS)).toBe(0);
  });

  it('greets data and mux connections that sit silent, and they still open their streams', async () => {
    const relay = await relayProcess({ args: ['--limit', 'greetDelayMs=50'] });
    const target = await echo();
    const control = await lines(relay);
    control.send({ type: 'auth', token: await relay.token('pool') });
    expect(await control.next()).toMatchObject({ type: 'auth_response' });
    control.send({
      type: 'tunnel_info',
      tunnel_id: 't-pool',
      local_port: 1,
      remote_host: '127.0.0.1',
      remote_port: target.port,
    });
    const tunnel = await control.next();
    // A data connection from a warm pool: silent past the delay, then stream_open.
    const opened = await dataConnection(
      relay,
      { type: 'stream_open', tunnel_id: 't-pool', stream_token: tunnel['stream_token'] },
      {},
      300,
    );
    expect(opened.greeted).toBe(true);
    expect(opened.answer).toMatchObject({ type: 'stream_response', status: 'ok' });
    opened.socket.resume();
    const back = new Promise<string>((resolve) =>
      opened.socket.once('data', (chunk: Buffer) => resolve(chunk.toString())),
    );
    opened.socket.write('ping');
    expect(await back).toBe('ping');
    opened.socket.destroy();
    const mux = await dataConnection(relay, { type: 'mux_open' }, {}, 300);
    expect(mux.greeted).toBe(true);
    expect(mux.answer).toMatchObject({ type: 'mux_response', status: 'ok' });
    mux.socket.destroy();
    expect(await relay.metric(GREETINGS)).toBe(2);
  });

  it('logs a connection that closes before its first line, with its duration and whether it was greeted', async () => {
    const relay = await relayProcess({ args: ['--limit', 'greetDelayMs=200'] });
    const quick = await silentTls(relay);
    // Past the handshake on the relay's side too, well before the greeting.
    await sleep(50);
    quick.destroy();
    const waited = await silentTls(relay);
    await sleep(500);
    waited.destroy();
    const records = await eventually(
      () => events(relay, 'closed_before_first_line'),
      (found) => found.length >= 2,
      5_000,
    );
    expect(records.map((r) => r.level)).toEqual(['info', 'info']);
    const [first, second] = records.map((r) => r.details);
    expect(first).toMatchObject({ greeted: false, bytes: 0 });
    expect(second).toMatchObject({ greeted: true, bytes: 0 });
    expect(Number(second?.['duration_ms'])).toBeGreaterThanOrEqual(450);
    expect(Number(first?.['duration_ms'])).toBeLessThan(Number(second?.['duration_ms']));
  });

  it('puts the error text in both message and error, and the v1 number in v1_code', async () => {
    const relay = await relayProcess();
    const client = await lines(relay);
    client.send({
      type: 'register',
      tunnel_info: { name: 'office-pc', protocol: 'tcp', ports: [22] },
    });
    const refused = await client.next();
    expect(refused).toMatchObject({
      type: 'error',
      code: 'invalid_token',
      v1_code: 1002,
      details: { reason: 'not_authenticated' },
    });
    expect(typeof refused['message']).toBe('string');
    expect(refused['error']).toBe(refused['message']);
    client.send({ type: 'no_such_type' });
    const unknown = await client.next();
    expect(unknown).toMatchObject({ code: 'unknown_message_type', error: unknown['message'] });
    expect(unknown['v1_code']).toBeUndefined();
  });
});

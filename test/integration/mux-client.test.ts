// The client's mux connection manager against the real relay over TLS on 127.0.0.1: one
// connection kept ready and pinged, a per-stream refusal that leaves the connection up, and a
// connection whose PINGs go unanswered dropped and replaced.

import { afterEach, describe, expect, it } from 'vitest';
import { MuxClient } from '../../src-main/engine/mux-client';
import { openTransport } from '../../src-main/engine/tls-options';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy';
import { Cleanup, startTestRelay, waitUntil } from './system-stack';
import { systemClock } from '../../src-main/shared/clock';

const cleanup = new Cleanup();
afterEach(async () => {
  await cleanup.run();
});

async function setup(): Promise<{
  proxy: FaultProxy;
  mux: MuxClient;
  events: Array<{ event: string; details: Record<string, unknown> }>;
}> {
  const relay = await startTestRelay();
  cleanup.add(relay, (r) => r.server.close());
  const proxy = await startFaultProxy({ port: relay.server.port });
  cleanup.add(proxy, (p) => p.close());
  const events: Array<{ event: string; details: Record<string, unknown> }> = [];
  const mux = new MuxClient({
    connect: () =>
      openTransport({
        endpoint: { ...relay.endpoint, port: proxy.port, serverName: 'localhost' },
        clock: systemClock,
      }),
    clock: systemClock,
    log: (_level, event, _tunnelId, details = {}) => events.push({ event, details }),
    pingIntervalMs: 150,
    pingTimeoutMs: 300,
  });
  cleanup.add(mux, (m) => m.destroy());
  return { proxy, mux, events };
}

describe('MuxClient', () => {
  it('keeps one connection ready and answers pings without dropping it', async () => {
    const { proxy, mux, events } = await setup();
    mux.start();
    await waitUntil('a ready connection', () => mux.connectionCount === 1);
    // Several ping intervals pass: the relay answers every PING, nothing is dropped.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(mux.connectionCount).toBe(1);
    expect(proxy.accepted).toBe(1);
    expect(events.filter((e) => e.event === 'mux_closed')).toHaveLength(0);
  });

  it('refuses a stream for an unknown tunnel on its own, drops a connection whose PINGs go unanswered, and makes a new one', async () => {
    const { proxy, mux, events } = await setup();
    mux.start();
    await waitUntil('a ready connection', () => mux.connectionCount === 1);
    // A stream for an unknown tunnel is refused per stream; the connection stays.
    const stream = await mux.openStream(
      Buffer.from(JSON.stringify({ tunnel_id: 'none', stream_token: 'none' })),
    );
    let refusal: string | null = null;
    stream.onOpenResult = (payload) => {
      refusal = payload === null ? 'accepted' : String(payload);
    };
    await waitUntil('the refusal', () => refusal !== null);
    expect(refusal).toContain('invalid_token');
    expect(mux.connectionCount).toBe(1);
    proxy.setMode('swallow');
    await waitUntil('ping timeout', () =>
      events.some((e) => e.event === 'mux_closed' && e.details['error'] === 'ping_timeout'),
    );
    proxy.setMode('pass');
    // A handshake begun while bytes were swallowed times out (10 s) and is retried.
    await waitUntil(
      'a new connection',
      () => mux.connectionCount === 1 && proxy.accepted >= 2,
      20_000,
    );
  }, 30_000);
});

// Connections that never finish TLS, against the real relay process (docs/protocol.md#limits):
// closed at once, half a ClientHello, silence. Under a low open-file limit the relay drops each
// at peer EOF, on error or at the handshake deadline, caps them per source and in total, keeps
// serving a real client, and returns to its fd baseline.

import type { Socket } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { relayBundlePath, sharedTestPki } from '../harness/relay';
import {
  authenticates,
  closeHardenedRelays,
  destroyAttackSockets,
  eventually,
  sleep,
  startHardenedRelay,
  tcpTo,
  type HardenedRelay,
} from './relay-hardening-helpers';

beforeAll(async () => {
  await Promise.all([relayBundlePath(), sharedTestPki()]);
});

afterEach(async () => {
  destroyAttackSockets();
  await closeHardenedRelays();
});

/** The start of a TLS record announcing 512 bytes of ClientHello, of which it sends 6. */
const HALF_CLIENT_HELLO = Buffer.from([
  0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
]);

function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Samples the relay's fd count every 20 ms until stopped; returns the highest seen. */
function watchFds(relay: HardenedRelay): { stop(): number } {
  let peak = relay.fds();
  const timer = setInterval(() => {
    if (!relay.exited()) peak = Math.max(peak, relay.fds());
  }, 20);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

describe('TCP connections that never finish the TLS handshake', () => {
  it('leave a relay with 200 fds serving and back at its baseline after 600 of them', async () => {
    const NOFILE = 200;
    const relay = await startHardenedRelay({
      nofile: NOFILE,
      args: ['--limit', 'handshakeTimeoutMs=1000'],
    });
    expect(await authenticates(relay)).toBe(true);
    const baseline = relay.fds();
    const watch = watchFds(relay);

    // 480 connect+close, 40 at a time from 8 addresses: each is gone at the relay's end as soon
    // as its FIN arrives, not 10 s later and not never.
    let closedByRelay = 0;
    for (let round = 0; round < 12; round++) {
      const batch = await Promise.all(
        Array.from({ length: 40 }, (_, i) => tcpTo(relay, `127.0.0.${2 + (i % 8)}`)),
      );
      for (const socket of batch) socket.end();
      const closed = await Promise.all(batch.map((socket) => closedWithin(socket, 2_000)));
      closedByRelay += closed.filter(Boolean).length;
    }
    expect(closedByRelay).toBe(480);

    // 60 half ClientHellos and 60 silent connections from 30 addresses, held open by us.
    const held: Socket[] = [];
    for (let i = 0; i < 60; i++) {
      const half = await tcpTo(relay, `127.0.1.${1 + (i % 30)}`);
      half.write(HALF_CLIENT_HELLO);
      held.push(half, await tcpTo(relay, `127.0.2.${1 + (i % 30)}`));
    }
    // The relay holds at most its handshake cap of them and drops each at the deadline.
    const dropped = await Promise.all(held.map((socket) => closedWithin(socket, 4_000)));
    expect(dropped.every(Boolean)).toBe(true);
    const peak = watch.stop();

    expect(relay.exited()).toBe(false);
    expect(peak).toBeLessThan(NOFILE - 20);
    expect(
      await eventually(
        () => relay.fds(),
        (fds) => fds <= baseline + 2,
        5_000,
      ),
    ).toBeLessThanOrEqual(baseline + 2);
    expect(await authenticates(relay, 'after-the-flood')).toBe(true);
    expect(
      await relay.metric('cloudbridge_relay_limit_hits_total{limit="handshake_timeout_ms"}'),
    ).toBeGreaterThan(0);
    // The defaulted total was fitted to the 200 fds, and /metrics says what it is.
    const cap = await relay.metric('cloudbridge_relay_limit{limit="handshakes"}');
    expect(cap).toBeGreaterThan(0);
    expect(cap).toBeLessThan(NOFILE / 4);
    expect(relay.logs.some((r) => r.event === 'limits_fitted_to_open_file_limit')).toBe(true);
  });

  it('caps unfinished handshakes per source and in total, refusing the excess at once', async () => {
    const relay = await startHardenedRelay({
      args: [
        '--limit',
        'handshakeTimeoutMs=5000',
        '--limit',
        'maxHandshakesPerSource=6',
        '--limit',
        'maxHandshakes=15',
      ],
    });
    // Per source: the 7th and later silent connection from one address are closed at once.
    const one = await Promise.all(Array.from({ length: 10 }, () => tcpTo(relay, '127.0.3.1')));
    const oneClosed = await Promise.all(one.map((socket) => closedWithin(socket, 500)));
    expect(oneClosed.filter(Boolean)).toHaveLength(4);
    expect(
      await relay.metric('cloudbridge_relay_limit_hits_total{limit="handshakes_per_source"}'),
    ).toBe(4);
    // In total: 6 held from one address plus 9 more from others reach 15; the rest are refused.
    const others = await Promise.all(
      Array.from({ length: 12 }, (_, i) => tcpTo(relay, `127.0.4.${1 + (i % 4)}`)),
    );
    const othersClosed = await Promise.all(others.map((socket) => closedWithin(socket, 500)));
    expect(othersClosed.filter(Boolean)).toHaveLength(3);
    expect(await relay.metric('cloudbridge_relay_limit_hits_total{limit="handshakes"}')).toBe(3);
    expect(await relay.metric('cloudbridge_relay_connections_active{phase="handshake"}')).toBe(15);
    // Those held are dropped at the deadline, and the relay serves again.
    destroyAttackSockets();
    await sleep(200);
    expect(await authenticates(relay)).toBe(true);
  });
});

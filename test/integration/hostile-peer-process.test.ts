// Bytes from a hostile peer against the real processes (docs/protocol.md "Multiplexed data
// streams", "Limits"): the `cloudbridge-relay` child and the `cloudbridge connect` child each
// survive the frames and lines that used to throw out of a socket handler, log why they closed
// that one connection, and go on carrying checksummed data. A mux peer that floods PINGs or bad
// OPENs and never reads costs the relay a bounded amount of memory.

import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closedWithin,
  connectTls,
  jsonLine,
  rawFrame,
  startMutatingProxy,
  windowFrame,
  type MutatingProxy,
} from '../harness/hostile-peer';
import { stopAllProcesses } from '../harness/processes';
import { spawnRelayProcess, type RelayProcess } from '../harness/relay';
import { freePort, startEchoServer, type TestServer } from '../harness/traffic';
import {
  echoMatches,
  rssMiB,
  sleep,
  startCliConnect,
  startLegitClient,
  watchExit,
} from './hostile-stack';
import { Cleanup, pki, startTestRelay, waitUntil, type TestRelay } from './system-stack';

const cleanup = new Cleanup();
afterEach(async () => {
  await cleanup.run();
  await stopAllProcesses();
});

async function echo(): Promise<TestServer> {
  return cleanup.add(await startEchoServer(), (s) => s.close());
}

async function relayProcess(extra: readonly string[] = []): Promise<RelayProcess> {
  const relay = await spawnRelayProcess({
    args: ['--allow', '127.0.0.0/8', '--auth-per-minute', '1000', ...extra],
  });
  return cleanup.add(relay, (r) => r.close());
}

/** A real relay in this process with a hostile proxy in front of it. */
async function proxiedRelay(stripMux = false): Promise<{ relay: TestRelay; proxy: MutatingProxy }> {
  const relay = cleanup.add(await startTestRelay(), (r) => r.server.close());
  const proxy = cleanup.add(
    await startMutatingProxy({ pki: await pki(), upstreamPort: relay.server.port, stripMux }),
    (p) => p.close(),
  );
  return { relay, proxy };
}

const OPEN = 1;
const PING = 8;
const KiB = 1024;
const MiB = 1024 * KiB;

describe('the relay process and bytes that used to throw', () => {
  it('survives an OPEN with a bogus token and a zero-credit WINDOW in one TLS record, logs the protocol error, and still carries a tunnel', async () => {
    const target = await echo();
    const relay = await relayProcess();
    const exit = watchExit(relay);
    const attacker = await connectTls(relay.port, relay.caPem);
    const open = Buffer.from(JSON.stringify({ tunnel_id: 't-nope', stream_token: 'bogus' }));
    attacker.write(
      Buffer.concat([jsonLine({ type: 'mux_open' }), rawFrame(OPEN, 1, open), windowFrame(1, 0)]),
    );
    expect(await closedWithin(attacker, 5_000)).toBe(true);
    await sleep(200);
    expect(exit.exited).toBe(false);
    await waitUntil('the relay to log the protocol error', () =>
      relay.logs.some(
        (l) => l.event === 'mux_protocol_error' && String(l.details['error']).includes('credit'),
      ),
    );
    expect(exit.exited).toBe(false);
    const { client, localPort } = await startLegitClient(relay, target.port);
    cleanup.add(client, (c) => c.close());
    expect(await echoMatches(localPort, 512 * KiB)).toBe(true);
    expect(exit.exited).toBe(false);
  });

  it('refuses WINDOW credit above 2^31-1 as a protocol error', async () => {
    const relay = await relayProcess();
    const exit = watchExit(relay);
    const attacker = await connectTls(relay.port, relay.caPem);
    const open = Buffer.from(JSON.stringify({ tunnel_id: 't-nope', stream_token: 'bogus' }));
    attacker.write(
      Buffer.concat([
        jsonLine({ type: 'mux_open' }),
        rawFrame(OPEN, 1, open),
        windowFrame(1, 0x8000_0000),
      ]),
    );
    expect(await closedWithin(attacker, 5_000)).toBe(true);
    await sleep(200);
    expect(exit.exited).toBe(false);
    await waitUntil('the relay to log the protocol error', () =>
      relay.logs.some(
        (l) => l.event === 'mux_protocol_error' && String(l.details['error']).includes('credit'),
      ),
    );
    expect(exit.exited).toBe(false);
  });
});

describe('the cloudbridge connect process and a relay that sends what used to throw', () => {
  it('survives a zero-credit WINDOW on its stream, logs the protocol error, and carries the next stream', async () => {
    const target = await echo();
    const { relay, proxy } = await proxiedRelay();
    let injected = false;
    proxy.setScript('mux', async (ctx) => {
      ctx.send(await ctx.relayAnswer());
      // The client's OPEN for stream 1, then a WINDOW for it with no credit.
      if ((await ctx.nextClientBytes(15_000)) === null) return;
      ctx.send(windowFrame(1, 0));
      injected = true;
      await ctx.nextClientBytes(3_000);
    });
    const { proc, localPort } = await startCliConnect({
      relayPort: proxy.port,
      caPem: relay.endpoint.ca ?? '',
      secret: relay.secret,
      targetPort: target.port,
    });
    // Stream 1 rides the hostile connection and is lost with it.
    await echoMatches(localPort, 1024).catch(() => false);
    await waitUntil('the WINDOW to be sent', () => injected);
    await proc.waitForLine(/warn mux_closed .*protocol_error.*credit/, 5_000);
    expect(proc.exited).toBeNull();
    proxy.setScript('mux', null);
    expect(await echoMatches(localPort, 512 * KiB)).toBe(true);
    expect(proc.exited).toBeNull();
  });

  it('survives a mux_open answered with a numeric type and logs it as a protocol error', async () => {
    const target = await echo();
    const { relay, proxy } = await proxiedRelay();
    proxy.setScript('mux', async (ctx) => {
      ctx.send(jsonLine({ type: 5 }));
      await ctx.nextClientBytes(2_000);
    });
    const { proc, localPort } = await startCliConnect({
      relayPort: proxy.port,
      caPem: relay.endpoint.ca ?? '',
      secret: relay.secret,
      targetPort: target.port,
    });
    await proc.waitForLine(/warn mux_protocol_error .*type/, 10_000);
    expect(proc.exited).toBeNull();
    proxy.setScript('mux', null);
    expect(await echoMatches(localPort, 512 * KiB)).toBe(true);
    expect(proc.exited).toBeNull();
  });

  it('survives a stream_open answered with a numeric type, fails that stream, and carries the next', async () => {
    const target = await echo();
    const { relay, proxy } = await proxiedRelay(true);
    proxy.setScript('stream', async (ctx) => {
      ctx.send(jsonLine({ type: 5 }));
      await ctx.nextClientBytes(2_000);
    });
    const { proc, localPort } = await startCliConnect({
      relayPort: proxy.port,
      caPem: relay.endpoint.ca ?? '',
      secret: relay.secret,
      targetPort: target.port,
    });
    expect(await echoMatches(localPort, 1024).catch(() => false)).toBe(false);
    await proc.waitForLine(/warn stream_failed .*protocol_error/, 5_000);
    expect(proc.exited).toBeNull();
    proxy.setScript('stream', null);
    expect(await echoMatches(localPort, 512 * KiB)).toBe(true);
    expect(proc.exited).toBeNull();
  });
});

/**
 * Writes `total` bytes of `unit` repeated, honouring back-pressure; stops once the peer has
 * taken nothing for `stallMs` (it stopped reading). Returns the bytes the socket took.
 */
async function flood(
  socket: TLSSocket,
  unit: (i: number) => Buffer,
  total: number,
  stallMs = 2_000,
): Promise<number> {
  let sent = 0;
  let i = 0;
  while (sent < total && !socket.destroyed) {
    const parts: Buffer[] = [];
    let size = 0;
    while (size < 64 * KiB) {
      const part = unit(i++);
      parts.push(part);
      size += part.length;
    }
    const chunk = Buffer.concat(parts);
    sent += chunk.length;
    if (!socket.write(chunk)) {
      const drained = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), stallMs);
        socket.once('drain', () => {
          clearTimeout(timer);
          resolve(true);
        });
        socket.once('close', () => resolve(false));
      });
      if (!drained) break;
    }
  }
  return sent - socket.writableLength;
}

describe('a mux peer that floods and never reads', () => {
  // The relay stops reading once its answers back up (docs/protocol.md#limits); what it still
  // processes is what the two kernels' socket buffers absorb first, whatever the flood's size.
  const boundMiB = 128;

  it(`costs the relay less than ${boundMiB} MiB for 60 MB of PINGs, and a legitimate client still gets through`, async () => {
    const target = await echo();
    const relay = await relayProcess();
    const exit = watchExit(relay);
    const { client, localPort } = await startLegitClient(relay, target.port);
    cleanup.add(client, (c) => c.close());
    expect(await echoMatches(localPort, 256 * KiB)).toBe(true);
    const before = rssMiB(relay.pid);
    const attacker = await connectTls(relay.port, relay.caPem);
    attacker.pause(); // never reads a PONG
    attacker.write(jsonLine({ type: 'mux_open' }));
    const ping = rawFrame(PING, 0, Buffer.alloc(8, 1));
    const taken = await flood(attacker, () => ping, 60 * MiB);
    await sleep(500);
    const grown = rssMiB(relay.pid) - before;
    expect(exit.exited).toBe(false);
    expect(grown).toBeLessThan(boundMiB);
    // The relay stopped reading long before the flood was through.
    expect(taken).toBeLessThan(30 * MiB);
    expect(await echoMatches(localPort, 256 * KiB)).toBe(true);
    attacker.destroy();
  });

  it(`costs the relay less than ${boundMiB} MiB for 20 MB of OPENs with bad tokens`, async () => {
    const target = await echo();
    const relay = await relayProcess();
    const exit = watchExit(relay);
    const { client, localPort } = await startLegitClient(relay, target.port);
    cleanup.add(client, (c) => c.close());
    const before = rssMiB(relay.pid);
    const attacker = await connectTls(relay.port, relay.caPem);
    attacker.pause();
    attacker.write(jsonLine({ type: 'mux_open' }));
    const payload = Buffer.from(JSON.stringify({ tunnel_id: 't-nope', stream_token: 'bogus' }));
    const taken = await flood(attacker, (i) => rawFrame(OPEN, 2 * i + 1, payload), 20 * MiB);
    await sleep(500);
    const grown = rssMiB(relay.pid) - before;
    expect(exit.exited).toBe(false);
    expect(grown).toBeLessThan(boundMiB);
    expect(taken).toBeLessThan(15 * MiB);
    expect(await echoMatches(localPort, 256 * KiB)).toBe(true);
    attacker.destroy();
  });

  it('closes a connection paused for its unread answers after --limit muxOutputStallMs, and counts both on /metrics', async () => {
    const metricsPort = await freePort();
    const relay = await relayProcess([
      '--limit',
      'muxOutputStallMs=1000',
      '--metrics',
      `127.0.0.1:${metricsPort}`,
    ]);
    const exit = watchExit(relay);
    const attacker = await connectTls(relay.port, relay.caPem);
    attacker.pause();
    attacker.write(jsonLine({ type: 'mux_open' }));
    const ping = rawFrame(PING, 0, Buffer.alloc(8, 1));
    await flood(attacker, () => ping, 30 * MiB, 1_000);
    await waitUntil(
      'the relay to close the stalled connection',
      () =>
        relay.logs.some(
          (l) =>
            l.event === 'mux_protocol_error' &&
            /output_overflow: peer read none of \d+ bytes of control frames for 1000 ms/.test(
              String(l.details['error']),
            ),
        ),
      10_000,
    );
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const hits = (label: string): number =>
      Number(
        new RegExp(`cloudbridge_relay_limit_hits_total\\{limit="${label}"\\} (\\d+)`).exec(
          text,
        )?.[1] ?? 0,
      );
    expect(hits('mux_control_output_bytes')).toBeGreaterThanOrEqual(1);
    expect(hits('mux_output_stall_ms')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/cloudbridge_relay_limit\{limit="mux_output_stall_ms"\} 1000/);
    expect(exit.exited).toBe(false);
    attacker.destroy();
  });
});

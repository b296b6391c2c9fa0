// Back-pressure through the whole path (PROTOCOL.md §3; STYLE.md "streams respect
// back-pressure"): a local client stops reading while the target offers 256 MiB. The target
// must stall after a bounded amount, the relay (a child process, so its RSS is its own) and
// the client engine must not hold the difference in memory, and once the client reads again
// every byte arrives intact.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';

import { readRssBytes } from '../harness/processes';
import { spawnRelayProcess } from '../harness/relay';
import { connectTcp, readAll, startSourceServer } from '../harness/traffic';
import {
  Cleanup,
  isActive,
  startClient,
  token,
  tunnelTo,
  expectNoTokenLeaks,
  watchRelayProcess,
} from './system-stack';

const MIB = 1024 * 1024;
const OFFERED = 256 * MIB;

// Retained buffers, not garbage waiting for a collection, are what counts: expose gc().
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const cleanup = new Cleanup();
afterEach(async () => {
  try {
    await expectNoTokenLeaks();
  } finally {
    await cleanup.run();
  }
});

async function waitForPlateau(
  read: () => number,
  stableMs: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = read();
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = read();
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= stableMs) {
      return now;
    }
  }
  return read();
}

describe('back-pressure', () => {
  it(
    'stalls a 256 MiB sender when the local client stops reading, without buffering it in relay or client',
    { timeout: 120_000 },
    async () => {
      const source = cleanup.add(await startSourceServer(OFFERED, 31), (s) => s.close());
      const warmSource = cleanup.add(await startSourceServer(32 * MIB, 32), (s) => s.close());
      const relay = cleanup.add(watchRelayProcess(await spawnRelayProcess()), (r) => r.close());
      const t = await tunnelTo('t-slow', source.port);
      const warm = await tunnelTo('t-warm', warmSource.port);
      const client = cleanup.add(
        startClient({ relay: relay.endpoint(), tunnels: [t, warm], token: await token(relay) }),
        (c) => c.close(),
      );
      client.engine.connect();
      await client.waitFor('active', isActive);

      // Warm up first (TLS, allocator arenas, heap growth of a first stream), so what grows
      // afterwards is what the stalled stream holds.
      const warmed = await readAll(await connectTcp(warm.localPort));
      expect(warmed.bytes).toBe(32 * MIB);
      gc();
      const relayRssBefore = readRssBytes(relay.pid)!;
      const buffersBefore = process.memoryUsage().arrayBuffers;

      const local = await connectTcp(t.localPort);
      cleanup.add(local, (s) => s.destroy());
      local.pause(); // stop reading: the kernel buffer fills, then everything upstream must wait

      const stalledAt = await waitForPlateau(() => source.bytesWritten, 1_500, 30_000);
      const relayRssStalled = readRssBytes(relay.pid)!;
      gc();
      const buffersStalled = process.memoryUsage().arrayBuffers;
      const relayGrowth = relayRssStalled - relayRssBefore;
      const clientBuffers = buffersStalled - buffersBefore;
      console.log(
        `back-pressure: target stalled after ${(stalledAt / MIB).toFixed(1)} MiB of ${OFFERED / MIB} MiB; ` +
          `relay RSS +${(relayGrowth / MIB).toFixed(1)} MiB; client-process buffers +${(clientBuffers / MIB).toFixed(1)} MiB`,
      );

      // The sender is held back: only kernel socket buffers on three loopback hops are in flight.
      expect(stalledAt).toBeGreaterThan(0);
      expect(stalledAt).toBeLessThan(48 * MIB);
      // User space holds no more than a few MiB of it.
      expect(relayGrowth).toBeLessThan(8 * MIB);
      expect(clientBuffers).toBeLessThan(8 * MIB);
      expect(relay.logs.length).toBeGreaterThan(0);

      // Reading again drains everything, intact.
      const reading = readAll(local);
      local.resume();
      const result = await reading;
      expect(result.ending).toBe('end');
      expect(result.bytes).toBe(OFFERED);
      expect(result.sha256).toBe(source.pattern.sha256());
    },
  );
});

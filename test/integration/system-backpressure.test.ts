// Back-pressure through the whole path (docs/protocol.md#data-streams-feature-tcp_stream: no hop
// buffers more than a socket's worth): a local client stops reading while the target offers 256
// MiB. The target must stall after a bounded amount, the relay and the client (the `cloudbridge`
// CLI and the relay each in a process of their own, so RSS is theirs alone) must not hold the
// difference in memory, and once the client reads again every byte arrives intact.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { bundleEntry, childEnv, REPO_ROOT } from '../harness/bundle';

import { readRssBytes, startProcess } from '../harness/processes';
import { spawnRelayProcess } from '../harness/relay';
import { connectTcp, freePort, readAll, startSourceServer } from '../harness/traffic';
import { captureForLeaks, token, watchRelayProcess, systemTestCleanup } from './system-stack';

const MIB = 1024 * 1024;
const OFFERED = 256 * MIB;

const dir = mkdtempSync(join(tmpdir(), 'cloudbridge-backpressure-'));
const cli = join(dir, 'cloudbridge.cjs');

beforeAll(async () => {
  // The current source, bundled as scripts/build.mjs does: a stale dist/ cannot mislead.
  await bundleEntry('src-main/cli/cloudbridge.ts', cli);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cleanup = systemTestCleanup();

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
      const caFile = join(dir, 'ca.pem');
      const tokenFile = join(dir, 'token');
      writeFileSync(caFile, relay.caPem);
      writeFileSync(tokenFile, `${await token(relay)}\n`, { mode: 0o600 });
      const slowPort = await freePort();
      const warmPort = await freePort();
      const client = startProcess(
        process.execPath,
        [
          cli,
          'connect',
          '--relay',
          `${relay.host}:${relay.port}`,
          '--ca',
          caFile,
          '--servername',
          'localhost',
          '--token-file',
          tokenFile,
          '--tunnel',
          `${slowPort}:127.0.0.1:${source.port}`,
          '--tunnel',
          `${warmPort}:127.0.0.1:${warmSource.port}`,
        ],
        {
          cwd: REPO_ROOT,
          env: childEnv(),
          name: 'cloudbridge',
        },
      );
      captureForLeaks(() => [client.stdout(), client.stderr()]);
      await client.waitForLine(/ Active /, 20_000);
      await client.waitForLine(new RegExp(`listening 127\\.0\\.0\\.1:${warmPort} `), 10_000);

      // Warm up first (TLS, allocator arenas, heap growth of a first stream), so what grows
      // afterwards is what the stalled stream holds.
      const warmed = await readAll(await connectTcp(warmPort));
      expect(warmed.bytes).toBe(32 * MIB);
      const relayRssBefore = readRssBytes(relay.pid)!;
      const clientRssBefore = readRssBytes(client.pid)!;

      const local = await connectTcp(slowPort);
      cleanup.add(local, (s) => s.destroy());
      local.pause(); // stop reading: the kernel buffer fills, then everything upstream must wait

      const stalledAt = await waitForPlateau(() => source.bytesWritten, 1_500, 30_000);
      const relayGrowth = readRssBytes(relay.pid)! - relayRssBefore;
      const clientGrowth = readRssBytes(client.pid)! - clientRssBefore;
      console.log(
        `back-pressure: target stalled after ${(stalledAt / MIB).toFixed(1)} MiB of ${OFFERED / MIB} MiB; ` +
          `relay RSS +${(relayGrowth / MIB).toFixed(1)} MiB; client RSS +${(clientGrowth / MIB).toFixed(1)} MiB`,
      );

      // The sender is held back: only kernel socket buffers on three loopback hops are in flight.
      expect(stalledAt).toBeGreaterThan(0);
      expect(stalledAt).toBeLessThan(48 * MIB);
      // User space holds no more than a few MiB of it.
      expect(relayGrowth).toBeLessThan(8 * MIB);
      expect(clientGrowth).toBeLessThan(8 * MIB);
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

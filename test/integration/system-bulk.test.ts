// The heavy one: 256 MiB each way through the tunnel at the same time, with SHA-256 checked
// at both ends and the per-tunnel counters matching what moved. Kept to this one file.

import { describe, expect, it } from 'vitest';

import {
  Pattern,
  connectTcp,
  readAll,
  startSinkServer,
  startSourceServer,
  writePattern,
} from '../harness/traffic';
import {
  isActive,
  startClient,
  startTestRelay,
  token,
  tunnelOf,
  tunnelTo,
  systemTestCleanup,
} from './system-stack';

const MIB = 1024 * 1024;
const SIZE = 256 * MIB;

const cleanup = systemTestCleanup();

describe('bulk transfer', () => {
  it(
    'moves 256 MiB up and 256 MiB down at once with matching SHA-256 and counters',
    { timeout: 180_000 },
    async () => {
      const sink = cleanup.add(await startSinkServer(), (s) => s.close());
      const source = cleanup.add(await startSourceServer(SIZE, 21), (s) => s.close());
      const relay = cleanup.add(await startTestRelay(), (r) => r.server.close());
      const up = await tunnelTo('t-up', sink.port);
      const down = await tunnelTo('t-down', source.port);
      const client = cleanup.add(
        startClient({ relay: relay.endpoint, tunnels: [up, down], token: await token(relay) }),
        (c) => c.close(),
      );
      client.engine.connect();
      await client.waitFor('active', isActive);

      const upload = new Pattern(SIZE, 13);
      const started = Date.now();
      const upSocket = await connectTcp(up.localPort);
      const downSocket = await connectTcp(down.localPort);
      const [, downloaded, uploadedAnswer] = await Promise.all([
        writePattern(upSocket, upload),
        readAll(downSocket),
        // The sink hashes what reached the target, then answers after our FIN.
        sink.nextResult(150_000),
        readAll(upSocket),
      ]);
      const seconds = (Date.now() - started) / 1000;
      upSocket.destroy();
      downSocket.destroy();

      expect(uploadedAnswer.bytes).toBe(SIZE);
      expect(uploadedAnswer.sha256).toBe(upload.sha256());
      expect(downloaded.ending).toBe('end');
      expect(downloaded.bytes).toBe(SIZE);
      expect(downloaded.sha256).toBe(source.pattern.sha256());

      const snapshot = await client.waitFor(
        'counters caught up',
        (s) => tunnelOf(s, 't-up').bytesOut >= SIZE && tunnelOf(s, 't-down').bytesIn >= SIZE,
        10_000,
      );
      expect(tunnelOf(snapshot, 't-up').bytesOut).toBe(SIZE);
      expect(tunnelOf(snapshot, 't-down').bytesIn).toBe(SIZE);
      // Visible in the test output, so a throughput regression is noticed even when it passes.
      console.log(
        `bulk: 2 x 256 MiB in ${seconds.toFixed(1)} s (${((2 * SIZE) / MIB / seconds).toFixed(0)} MiB/s both ways)`,
      );
    },
  );
});

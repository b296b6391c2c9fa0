// A published server as a benchmark path (docs/protocol.md "Published servers"): the built
// relay CLI, `cloudbridge serve` publishing the sink and the echo target end to end (TLS 1.3
// inside each stream with the computer's own key), and `cloudbridge connect` reaching them by
// name, each its own child process. "client" figures are both cloudbridge processes (consumer
// and publishing computer) together, "relay/server" the relay, which dials nothing here.

import { join } from 'node:path';

import { readCpuSeconds, readRssBytes, startProcess } from '../test/harness/processes';
import { freePort } from '../test/harness/traffic';
import { defaultCliDir, STREAM_ROOM, startBenchRelay } from './bench-relay';
import type { Peer, Targets } from './peers';

export async function publishedPeer(
  targets: Targets,
  dir: string,
  cert: { cert: string; key: string },
): Promise<Peer> {
  const cliPath = (name: string): string => join(defaultCliDir(), name);
  // The relay dials nothing on this path: the computer dials its own targets.
  const bench = await startBenchRelay({
    dir,
    cert,
    cliDir: defaultCliDir(),
    name: 'relay-published',
    allow: [],
  });
  const relay = bench.process;
  const relayArgs = bench.clientArgs;
  const token = (sub: string): Promise<string> => bench.tokenFile(sub);
  const serve = startProcess(
    process.execPath,
    [
      cliPath('cloudbridge.js'),
      'serve',
      ...relayArgs,
      '--token-file',
      await token('bench-pc'),
      '--name',
      'bench-pc',
      '--port',
      `9000=127.0.0.1:${targets.sinkPort}`,
      '--port',
      `9001=127.0.0.1:${targets.echoPort}`,
      '--key-file',
      join(dir, 'bench-server-key.pem'),
      '--max-streams',
      String(STREAM_ROOM),
    ],
    { name: 'cloudbridge-serve', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const sinkPort = await freePort();
  const echoPort = await freePort();
  let client: ReturnType<typeof startProcess> | null = null;
  try {
    await serve.waitForLine(/server bench-pc {2}online .* end to end/, 15_000);
    client = startProcess(
      process.execPath,
      [
        cliPath('cloudbridge.js'),
        'connect',
        ...relayArgs,
        '--token-file',
        await token('bench'),
        '--tunnel',
        `${sinkPort}:@bench-pc:9000`,
        '--tunnel',
        `${echoPort}:@bench-pc:9001`,
      ],
      { name: 'cloudbridge', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await client.waitForLine(new RegExp(`tunnel t-${sinkPort} {2}listening .* end to end`), 15_000);
    await client.waitForLine(new RegExp(`tunnel t-${echoPort} {2}listening .* end to end`), 15_000);
  } catch (error) {
    await Promise.all([client?.stop(), serve.stop(), relay.stop()]);
    throw error;
  }
  const consumer = client;
  const ours = [consumer.pid, serve.pid];
  const sum = (read: (pid: number) => number | null, pids: readonly number[]): number =>
    pids.reduce((total, pid) => total + (read(pid) ?? 0), 0);
  return {
    name: 'published',
    sinkPort,
    echoPort,
    sampleRss: () => ({ client: sum(readRssBytes, ours), server: sum(readRssBytes, [relay.pid]) }),
    sampleCpu: () => ({
      client: sum(readCpuSeconds, ours),
      server: sum(readCpuSeconds, [relay.pid]),
    }),
    async close() {
      await Promise.all([consumer.stop(), serve.stop(), relay.stop()]);
    },
  };
}

// A published server as a benchmark path (docs/protocol.md "Published servers"): the built
// relay CLI, `cloudbridge serve` publishing the sink and the echo target end to end (TLS 1.3
// inside each stream with the computer's own key), and `cloudbridge connect` reaching them by
// name, each its own child process. "client" figures are both cloudbridge processes (consumer
// and publishing computer) together, "relay/server" the relay, which dials nothing here.

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { mintDevToken } from '../src-main/relay/tokens';
import { readCpuSeconds, readRssBytes, startProcess } from '../test/harness/processes';
import { freePort } from '../test/harness/traffic';
import type { Peer, Targets } from './peers';

/** dist/bench/bench.js -> dist/cli/. */
function cliPath(name: string): string {
  return join(dirname(process.argv[1] ?? '.'), '..', 'cli', name);
}

/**
 * Room for the concurrency case, which holds BENCH_CONCURRENT connections (1,000 by default)
 * and opens them 50 at a time (measure.ts); the 8-stream case and the sequential connections
 * hold far fewer. Each cap on this path that a flag or the config can set is raised to this,
 * so a refusal the report shows is the one cap none can: the relay carries a server's streams
 * on its one serving connection, at most DEFAULT_MUX_MAX_STREAMS (256) at once
 * (docs/protocol.md#limits), and the report says so under the table (verdicts.ts). The caps:
 * the relay's maxServerOpensInFlight (32, which 50 opens at once would pass), its
 * maxStreamsPerServer (256), the tenant's maxConnectionsPerClient (256) and the computer's own
 * `serve --max-streams` (256). That last one equals the serving connection's room and is
 * never what refuses today (the relay sends no OPEN past the room); it is raised so that a
 * relay carrying more per server would not have the computer's default measured instead.
 */
const STREAM_ROOM = 5_000;

export async function publishedPeer(
  targets: Targets,
  dir: string,
  cert: { cert: string; key: string },
): Promise<Peer> {
  const secret = randomBytes(32).toString('base64url');
  const config = join(dir, 'relay-config-published.json');
  writeFileSync(
    config,
    JSON.stringify({
      tenants: [
        {
          id: 'bench',
          maxTunnels: 10,
          maxConnections: STREAM_ROOM,
          maxConnectionsPerClient: STREAM_ROOM,
          allow: [],
        },
      ],
    }),
  );
  const relay = startProcess(
    process.execPath,
    [
      cliPath('cloudbridge-relay.js'),
      '--listen',
      '127.0.0.1:0',
      '--cert',
      cert.cert,
      '--key',
      cert.key,
      '--config',
      config,
      '--log-level',
      'warn',
      '--limit',
      `maxStreamsPerServer=${STREAM_ROOM}`,
      '--limit',
      `maxServerOpensInFlight=${STREAM_ROOM}`,
    ],
    {
      name: 'relay-published',
      env: { ...process.env, CLOUDBRIDGE_JWT_SECRET: secret },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const listening = await relay.waitForLine(/listening on tls:\/\/127\.0\.0\.1:\d+/, 15_000);
  const relayPort = Number(/:(\d+)\s*$/.exec(listening)?.[1]);
  const token = async (sub: string): Promise<string> => {
    const file = join(dir, `bench-token-${sub}`);
    writeFileSync(file, await mintDevToken({ secret, sub, tenant: 'bench', ttlSec: 3600 }), {
      mode: 0o600,
    });
    return file;
  };
  const relayArgs = [
    '--relay',
    `127.0.0.1:${relayPort}`,
    '--ca',
    cert.cert,
    '--servername',
    'localhost',
  ];
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

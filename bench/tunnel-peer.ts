// Our path for the benchmark: the built relay CLI and the built `cloudbridge connect` as two
// child processes (each with its own RSS and free to use its own core), TLS 1.3 with the
// run's throwaway certificate, one tenant allowed enough streams for the concurrency case.

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { mintDevToken } from '../src-main/relay/tokens';
import { startProcess } from '../test/harness/processes';
import { freePort } from '../test/harness/traffic';
import { processPeer, type Peer, type Targets } from './peers';

/** dist/bench/bench.js -> dist/cli/. */
function defaultCliDir(): string {
  return join(dirname(process.argv[1] ?? '.'), '..', 'cli');
}

export interface TunnelPeerOptions {
  /** Where cloudbridge.js and cloudbridge-relay.js are (another build, for A/B runs). */
  readonly cliDir?: string;
  /** Node flags for both processes (--cpu-prof, --require ...), each given its role. */
  readonly nodeArgs?: (role: 'client' | 'relay') => readonly string[];
  readonly name?: string;
}

export async function tunnelPeer(
  targets: Targets,
  dir: string,
  cert: { cert: string; key: string },
  options: TunnelPeerOptions = {},
): Promise<Peer> {
  const cliDir = options.cliDir ?? defaultCliDir();
  const cliPath = (name: string): string => join(cliDir, name);
  const nodeArgs = options.nodeArgs ?? (() => []);
  const secret = randomBytes(32).toString('base64url');
  const config = join(dir, 'relay-config.json');
  writeFileSync(
    config,
    JSON.stringify({
      tenants: [{ id: 'bench', maxTunnels: 10, maxConnections: 5_000, allow: ['127.0.0.0/8'] }],
    }),
  );
  const relay = startProcess(
    process.execPath,
    [
      ...nodeArgs('relay'),
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
    ],
    {
      name: 'relay',
      env: { ...process.env, CLOUDBRIDGE_JWT_SECRET: secret },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const listening = await relay.waitForLine(/listening on tls:\/\/127\.0\.0\.1:\d+/, 15_000);
  const relayPort = Number(/:(\d+)\s*$/.exec(listening)?.[1]);

  const tokenFile = join(dir, 'bench-token');
  writeFileSync(
    tokenFile,
    await mintDevToken({ secret, sub: 'bench', tenant: 'bench', ttlSec: 3600 }),
    { mode: 0o600 },
  );
  const sinkPort = await freePort();
  const echoPort = await freePort();
  const client = startProcess(
    process.execPath,
    [
      ...nodeArgs('client'),
      cliPath('cloudbridge.js'),
      'connect',
      '--relay',
      `127.0.0.1:${relayPort}`,
      '--ca',
      cert.cert,
      '--servername',
      'localhost',
      '--token-file',
      tokenFile,
      '--tunnel',
      `${sinkPort}:127.0.0.1:${targets.sinkPort}`,
      '--tunnel',
      `${echoPort}:127.0.0.1:${targets.echoPort}`,
    ],
    { name: 'cloudbridge', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    await client.waitForLine(/ Active {2}relay /, 15_000);
    await client.waitForLine(new RegExp(`tunnel t-${sinkPort} {2}listening`), 10_000);
    await client.waitForLine(new RegExp(`tunnel t-${echoPort} {2}listening`), 10_000);
  } catch (error) {
    await Promise.all([client.stop(), relay.stop()]);
    throw error;
  }
  return processPeer(options.name ?? 'tunnel', { sinkPort, echoPort }, relay, client);
}

// Our path for the benchmark: the built relay CLI and the built `cloudbridge connect` as two
// child processes (each with its own RSS and free to use its own core), TLS 1.3 with the
// run's throwaway certificate, through the bench relay (bench-relay.ts).

import { join } from 'node:path';

import { startProcess } from '../test/harness/processes';
import { freePort } from '../test/harness/traffic';
import { defaultCliDir, startBenchRelay } from './bench-relay';
import { processPeer, type Peer, type Targets } from './peers';

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
  const nodeArgs = options.nodeArgs ?? (() => []);
  const relay = await startBenchRelay({
    dir,
    cert,
    cliDir,
    nodeArgs: nodeArgs('relay'),
    name: `relay-${options.name ?? 'tunnel'}`,
    allow: ['127.0.0.0/8'],
  });
  const sinkPort = await freePort();
  const echoPort = await freePort();
  const client = startProcess(
    process.execPath,
    [
      ...nodeArgs('client'),
      join(cliDir, 'cloudbridge.js'),
      'connect',
      ...relay.clientArgs,
      '--token-file',
      await relay.tokenFile('bench'),
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
    await Promise.all([client.stop(), relay.process.stop()]);
    throw error;
  }
  return processPeer(options.name ?? 'tunnel', { sinkPort, echoPort }, relay.process, client);
}

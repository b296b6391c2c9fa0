// The relay our own bench paths run through (tunnel-peer.ts, published-peer.ts, main-loop-delay.ts): the
// built relay CLI as a child process on a throwaway certificate and secret, one tenant whose
// caps leave room for the concurrency case, and tokens of that tenant minted on demand.

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { mintDevToken } from '../src-main/relay/tokens';
import { startProcess, type ManagedProcess } from '../test/harness/processes';

/**
 * Room for the concurrency case, which holds BENCH_CONCURRENT connections (1,000 by default)
 * opened 50 at a time (measure.ts): every per-client, per-tenant and per-server cap the bench
 * relay has is raised to this, so what the bench measures is the path, not an operator's
 * default (256 streams per client, per server and per published computer; 32 OPENs towards
 * a server waiting at once; docs/protocol.md#limits).
 */
export const STREAM_ROOM = 5_000;

/** dist/bench/bench.js -> dist/cli/. */
export function defaultCliDir(): string {
  return join(dirname(process.argv[1] ?? '.'), '..', 'cli');
}

export interface BenchRelayOptions {
  readonly dir: string;
  readonly cert: { readonly cert: string; readonly key: string };
  /** Where cloudbridge-relay.js is (another build, for A/B runs). */
  readonly cliDir: string;
  /** Node flags for the relay process (--cpu-prof, --require ...). */
  readonly nodeArgs?: readonly string[];
  /** The process's name in the report, and the suffix of its files. */
  readonly name: string;
  /** What the tenant's streams may reach: [] for a published server's, which dials nothing. */
  readonly allow: readonly string[];
}

export interface BenchRelay {
  readonly process: ManagedProcess;
  readonly port: number;
  /** --relay, --ca and --servername for a cloudbridge command. */
  readonly clientArgs: readonly string[];
  /** A token of the bench tenant for `sub`, valid for an hour. */
  token(sub: string): Promise<string>;
  /** A file holding such a token (mode 600). */
  tokenFile(sub: string): Promise<string>;
}

export async function startBenchRelay(options: BenchRelayOptions): Promise<BenchRelay> {
  const { dir, cert, name } = options;
  const secret = randomBytes(32).toString('base64url');
  const config = join(dir, `${name}-config.json`);
  writeFileSync(
    config,
    JSON.stringify({
      tenants: [
        {
          id: 'bench',
          maxTunnels: 10,
          maxConnections: STREAM_ROOM,
          maxConnectionsPerClient: STREAM_ROOM,
          allow: options.allow,
        },
      ],
    }),
  );
  const relay = startProcess(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      join(options.cliDir, 'cloudbridge-relay.js'),
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
      name,
      env: { ...process.env, CLOUDBRIDGE_JWT_SECRET: secret },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const listening = await relay.waitForLine(/listening on tls:\/\/127\.0\.0\.1:\d+/, 15_000);
  const port = Number(/:(\d+)\s*$/.exec(listening)?.[1]);
  const token = (sub: string): Promise<string> =>
    mintDevToken({ secret, sub, tenant: 'bench', ttlSec: 3600 });
  return {
    process: relay,
    port,
    clientArgs: ['--relay', `127.0.0.1:${port}`, '--ca', cert.cert, '--servername', 'localhost'],
    token,
    async tokenFile(sub) {
      const file = join(dir, `${name}-token-${sub}`);
      writeFileSync(file, await token(sub), { mode: 0o600 });
      return file;
    },
  };
}

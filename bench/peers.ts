// The paths the benchmark compares, each offering two local ports (to a counting sink and to
// an echo target): direct, our tunnel (relay and client as child processes, so each has its
// own RSS and core), a stunnel4 pair (TLS 1.3), `ssh -L` to a throwaway sshd, and a plain
// Node.js TLS pipe for reference (node-pipe.ts).
// Owns starting and stopping those processes; measuring is measure.ts.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import {
  readCpuSeconds,
  readRssBytes,
  runToCompletion,
  startProcess,
  type ManagedProcess,
} from '../test/harness/processes';
import { startSshd, type Sshd } from '../test/harness/sshd';
import { connectTcp, freePort } from '../test/harness/traffic';
import { descendants } from './machine';

export interface Targets {
  readonly sinkPort: number;
  readonly echoPort: number;
}

export interface Peer {
  readonly name: string;
  readonly sinkPort: number;
  readonly echoPort: number;
  /** RSS in bytes of each process on the path (empty for direct). */
  sampleRss(): Record<string, number>;
  /** CPU seconds used so far by each process on the path (empty for direct). */
  sampleCpu(): Record<string, number>;
  close(): Promise<void>;
}

export function directPeer(targets: Targets): Peer {
  return {
    name: 'direct',
    ...targets,
    sampleRss: () => ({}),
    sampleCpu: () => ({}),
    close: () => Promise.resolve(),
  };
}

/** A throwaway self-signed EC certificate for localhost/127.0.0.1, via the openssl CLI. */
export async function makeCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const result = await runToCompletion('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ]);
  if (result.code !== 0) throw new Error(`openssl failed: ${result.stderr}`);
  return { cert, key };
}

function rssOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (readRssBytes(pid) ?? 0), 0);
}

function cpuOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (readCpuSeconds(pid) ?? 0), 0);
}

/** Free ports for a server/client pair: the client's sink and echo, then the server's. */
async function pairPorts(): Promise<[number, number, number, number]> {
  return [await freePort(), await freePort(), await freePort(), await freePort()];
}

export async function stunnelPeer(
  targets: Targets,
  dir: string,
  cert: { cert: string; key: string },
): Promise<Peer> {
  const [clientSink, clientEcho, serverSink, serverEcho] = await pairPorts();
  const common = ['foreground = yes', 'pid =', 'debug = 5', 'syslog = no', ''];
  const serverConf = join(dir, 'stunnel-server.conf');
  writeFileSync(
    serverConf,
    [
      ...common,
      ...[
        ['sink', serverSink, targets.sinkPort],
        ['echo', serverEcho, targets.echoPort],
      ].flatMap(([name, accept, connect]) => [
        `[${name}]`,
        `accept = 127.0.0.1:${accept}`,
        `connect = 127.0.0.1:${connect}`,
        `cert = ${cert.cert}`,
        `key = ${cert.key}`,
        'sslVersionMin = TLSv1.3',
        '',
      ]),
    ].join('\n'),
  );
  const clientConf = join(dir, 'stunnel-client.conf');
  writeFileSync(
    clientConf,
    [
      ...common,
      ...[
        ['sink', clientSink, serverSink],
        ['echo', clientEcho, serverEcho],
      ].flatMap(([name, accept, connect]) => [
        `[${name}]`,
        'client = yes',
        `accept = 127.0.0.1:${accept}`,
        `connect = 127.0.0.1:${connect}`,
        `CAfile = ${cert.cert}`,
        'verifyChain = yes',
        'checkHost = localhost',
        'sslVersionMin = TLSv1.3',
        '',
      ]),
    ].join('\n'),
  );
  return processPair(
    'stunnel',
    { sinkPort: clientSink, echoPort: clientEcho },
    startProcess('stunnel4', [serverConf], { name: 'stunnel-server' }),
    startProcess('stunnel4', [clientConf], { name: 'stunnel-client' }),
    /Configuration successful/,
  );
}

/** processPeer once both processes have printed a `ready` line. */
async function processPair(
  name: string,
  ports: Targets,
  server: ManagedProcess,
  client: ManagedProcess,
  ready: RegExp,
): Promise<Peer> {
  try {
    await server.waitForLine(ready, 10_000);
    await client.waitForLine(ready, 10_000);
  } catch (error) {
    await Promise.all([client.stop(), server.stop()]);
    throw error;
  }
  return processPeer(name, ports, server, client);
}

/** A peer made of a server and a client process that are both ready. */
export function processPeer(
  name: string,
  ports: Targets,
  server: ManagedProcess,
  client: ManagedProcess,
): Peer {
  return {
    name,
    ...ports,
    sampleRss: () => ({ client: rssOf([client.pid]), server: rssOf([server.pid]) }),
    sampleCpu: () => ({ client: cpuOf([client.pid]), server: cpuOf([server.pid]) }),
    async close() {
      await Promise.all([client.stop(), server.stop()]);
    },
  };
}

/**
 * The reference Node.js TLS pipe (node-pipe.ts) as two child processes, like the tunnel's
 * client and relay: one TLS connection per local connection, no protocol.
 */
export async function nodePipePeer(
  targets: Targets,
  cert: { cert: string; key: string },
): Promise<Peer> {
  const [clientSink, clientEcho, serverSink, serverEcho] = await pairPorts();
  const script = join(dirname(process.argv[1] ?? '.'), 'node-pipe.js');
  const server = startProcess(
    process.execPath,
    [
      script,
      'server',
      cert.cert,
      cert.key,
      `${serverSink}:${targets.sinkPort}`,
      `${serverEcho}:${targets.echoPort}`,
    ],
    { name: 'node-pipe-server' },
  );
  const client = startProcess(
    process.execPath,
    [script, 'client', cert.cert, `${clientSink}:${serverSink}`, `${clientEcho}:${serverEcho}`],
    { name: 'node-pipe-client' },
  );
  return processPair(
    'node pipe',
    { sinkPort: clientSink, echoPort: clientEcho },
    server,
    client,
    /^ready$/,
  );
}

export async function sshPeer(targets: Targets): Promise<Peer> {
  const sshd: Sshd = await startSshd();
  const sinkPort = await freePort();
  const echoPort = await freePort();
  const args = sshd.forwardArgs(sinkPort, '127.0.0.1', targets.sinkPort);
  // Both forwards in one ssh process, like a user's `ssh -L a -L b`.
  args.splice(args.indexOf('-L'), 0, '-L', `127.0.0.1:${echoPort}:127.0.0.1:${targets.echoPort}`);
  const ssh: ManagedProcess = startProcess('ssh', args, { name: 'ssh -L' });
  // ssh -N prints nothing when ready: poll the forward until it accepts.
  try {
    await waitForPort(echoPort, 10_000, ssh);
  } catch (error) {
    await ssh.stop();
    await sshd.close();
    throw error;
  }
  return {
    name: 'ssh -L',
    sinkPort,
    echoPort,
    sampleRss: () => ({
      client: rssOf([ssh.pid]),
      server: rssOf([sshd.process.pid, ...descendants(sshd.process.pid)]),
    }),
    // Session processes that already exited are not counted: the sessions stay open while measuring.
    sampleCpu: () => ({
      client: cpuOf([ssh.pid]),
      server: cpuOf([sshd.process.pid, ...descendants(sshd.process.pid)]),
    }),
    async close() {
      await ssh.stop();
      await sshd.close();
    },
  };
}

async function waitForPort(port: number, timeoutMs: number, proc?: ManagedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc?.exited) throw new Error(`${proc.name} exited: ${proc.stderr()}`);
    try {
      const socket = await connectTcp(port, '127.0.0.1', 1_000);
      socket.destroy();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cloudbridge-bench-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

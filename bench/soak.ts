// `npm run soak`: one relay child process, a legitimate `cloudbridge connect` moving data through
// a tunnel, and the floods of soak-attacks.ts (items 2-5 and 12 of docs/protocol.md#limits)
// from their own child process. Measures the legitimate client's throughput and new-connection
// round trips without and then with the attack, in the same run, and the relay's peak RSS and
// fd count in each phase. Prints a table (or JSON with --json); a relay that dies fails the run.

import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import type { Socket } from 'node:net';
import { parseArgs } from 'node:util';

import { mintDevToken } from '../src-main/relay/tokens';
import {
  readCpuSeconds,
  readRssBytes,
  startProcess,
  type ManagedProcess,
} from '../test/harness/processes';
import { connectTcp, freePort } from '../test/harness/traffic';
import { startCountingSink, startEchoTarget } from './measure';
import { makeCertificate, tempDir } from './peers';
import { runAttacks, type AttackPlan } from './soak-attacks';

const BLOCK = Buffer.alloc(64 * 1024, 0x5a);
const STREAMS = 2;
const PROBE_EVERY_MS = 500;
const PROBE_BYTES = 4 * 1024;

interface Phase {
  readonly name: string;
  readonly seconds: number;
  readonly mbPerSecond: number;
  readonly probesOk: number;
  readonly probesFailed: number;
  readonly probeP50Ms: number | null;
  readonly probeMaxMs: number | null;
  readonly relayPeakRssMiB: number;
  readonly relayPeakFds: number;
  readonly relayLogLines: number;
  /** CPU seconds the relay and the legitimate client used in the phase. */
  readonly relayCpuSeconds: number;
  readonly clientCpuSeconds: number;
}

/** dist/bench/soak.js -> dist/cli/NAME. */
function cliPath(name: string): string {
  return join(dirname(process.argv[1] ?? '.'), '..', 'cli', name);
}

function fdsOf(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      response.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

/** Writes BLOCKs until `until`, honouring back-pressure, then FIN; resolves with the sink's count. */
async function stream(port: number, until: number): Promise<number> {
  const socket: Socket = await connectTcp(port);
  let reply = '';
  socket.on('data', (chunk: Buffer) => (reply += chunk.toString('utf8')));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  while (Date.now() < until && !socket.destroyed) {
    if (!socket.write(BLOCK)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  socket.end();
  await ended;
  return Number(reply.trim()) || 0;
}

/** One echo round trip through the tunnel; its time in ms, or null when it failed. */
async function probe(port: number): Promise<number | null> {
  const started = Date.now();
  try {
    const socket = await connectTcp(port, '127.0.0.1', 5_000);
    socket.on('error', () => undefined);
    const back = await new Promise<number>((resolve) => {
      let got = 0;
      const timer = setTimeout(() => resolve(got), 5_000);
      socket.on('data', (chunk: Buffer) => {
        got += chunk.length;
        if (got >= PROBE_BYTES) {
          clearTimeout(timer);
          resolve(got);
        }
      });
      socket.write(Buffer.alloc(PROBE_BYTES, 0x61));
    });
    socket.destroy();
    return back >= PROBE_BYTES ? Date.now() - started : null;
  } catch {
    return null;
  }
}

async function runPhase(
  name: string,
  seconds: number,
  relay: ManagedProcess,
  client: ManagedProcess,
  ports: { sink: number; echo: number },
): Promise<Phase> {
  const logLinesBefore = relay.stdout().split('\n').length;
  const cpuBefore = readCpuSeconds(relay.pid) ?? 0;
  const clientCpuBefore = readCpuSeconds(client.pid) ?? 0;
  let peakRss = readRssBytes(relay.pid) ?? 0;
  let peakFds = fdsOf(relay.pid);
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, readRssBytes(relay.pid) ?? 0);
    peakFds = Math.max(peakFds, fdsOf(relay.pid));
  }, 250);
  const started = Date.now();
  const until = started + seconds * 1000;
  const probes: Array<number | null> = [];
  const prober = (async () => {
    while (Date.now() < until) {
      probes.push(await probe(ports.echo));
      await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
    }
  })();
  const bytes = await Promise.all(Array.from({ length: STREAMS }, () => stream(ports.sink, until)));
  await prober;
  clearInterval(sampler);
  const elapsed = (Date.now() - started) / 1000;
  const times = probes.filter((t): t is number => t !== null).sort((a, b) => a - b);
  return {
    name,
    seconds: Math.round(elapsed),
    mbPerSecond: bytes.reduce((a, b) => a + b, 0) / elapsed / 1e6,
    probesOk: times.length,
    probesFailed: probes.length - times.length,
    probeP50Ms: times.length > 0 ? (times[Math.floor(times.length / 2)] ?? null) : null,
    probeMaxMs: times.at(-1) ?? null,
    relayPeakRssMiB: peakRss / 1024 / 1024,
    relayPeakFds: peakFds,
    relayLogLines: relay.stdout().split('\n').length - logLinesBefore,
    relayCpuSeconds: (readCpuSeconds(relay.pid) ?? 0) - cpuBefore,
    clientCpuSeconds: (readCpuSeconds(client.pid) ?? 0) - clientCpuBefore,
  };
}

function table(phases: readonly Phase[]): string {
  const rows: string[][] = [
    ['', ...phases.map((p) => p.name)],
    ['seconds', ...phases.map((p) => String(p.seconds))],
    ['legitimate throughput, MB/s', ...phases.map((p) => p.mbPerSecond.toFixed(1))],
    ['new connections ok / failed', ...phases.map((p) => `${p.probesOk} / ${p.probesFailed}`)],
    [
      'new connection p50 / max, ms',
      ...phases.map((p) => `${p.probeP50Ms ?? '-'} / ${p.probeMaxMs ?? '-'}`),
    ],
    ['relay peak RSS, MiB', ...phases.map((p) => p.relayPeakRssMiB.toFixed(1))],
    ['relay peak fds', ...phases.map((p) => String(p.relayPeakFds))],
    ['relay log lines', ...phases.map((p) => String(p.relayLogLines))],
    [
      'relay CPU, % of one core',
      ...phases.map((p) => ((100 * p.relayCpuSeconds) / p.seconds).toFixed(0)),
    ],
    [
      'cloudbridge connect CPU, % of one core',
      ...phases.map((p) => ((100 * p.clientCpuSeconds) / p.seconds).toFixed(0)),
    ],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')).join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      'baseline-seconds': { type: 'string', default: '20' },
      relay: { type: 'string' },
      cli: { type: 'string' },
      json: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
    },
  });
  const seconds = Number(values.seconds);
  const baselineSeconds = Number(values['baseline-seconds']);
  const temp = tempDir();
  const cleanup: Array<() => Promise<unknown> | void> = [temp.remove];
  try {
    const cert = await makeCertificate(temp.dir);
    const sink = await startCountingSink();
    const echo = await startEchoTarget();
    cleanup.unshift(
      () => sink.close(),
      () => echo.close(),
    );
    const secret = randomBytes(32).toString('base64url');
    const config = join(temp.dir, 'relay.json');
    writeFileSync(
      config,
      JSON.stringify({
        tenants: [{ id: 'soak', maxTunnels: 20, maxConnections: 5_000, allow: ['127.0.0.0/8'] }],
      }),
    );
    // The relay's own defaults: the soak shows that they hold, not that a tuned relay does.
    const relay = startProcess(
      process.execPath,
      [
        values.relay ?? cliPath('cloudbridge-relay.js'),
        ...['--listen', '127.0.0.1:0', '--cert', cert.cert, '--key', cert.key],
        ...['--config', config, '--metrics', '127.0.0.1:0'],
      ],
      { name: 'relay', env: { ...process.env, CLOUDBRIDGE_JWT_SECRET: secret } },
    );
    cleanup.unshift(() => relay.stop());
    const listening = JSON.parse(await relay.waitForLine(/"event":"relay_listening"/)) as {
      details: { port: number; metrics: string };
    };
    const relayPort = listening.details.port;
    const token = (sub: string): Promise<string> =>
      mintDevToken({ secret, sub, tenant: 'soak', ttlSec: 3_600 });
    const tokenFile = join(temp.dir, 'token');
    writeFileSync(tokenFile, await token('soak-user'), { mode: 0o600 });
    const ports = { sink: await freePort(), echo: await freePort() };
    const client = startProcess(
      process.execPath,
      [
        values.cli ?? cliPath('cloudbridge.js'),
        ...['connect', '--relay', `127.0.0.1:${relayPort}`, '--ca', cert.cert],
        ...['--servername', 'localhost', '--token-file', tokenFile],
        ...['--tunnel', `${ports.sink}:127.0.0.1:${sink.port}`],
        ...['--tunnel', `${ports.echo}:127.0.0.1:${echo.port}`],
      ],
      { name: 'cloudbridge' },
    );
    cleanup.unshift(() => client.stop());
    await client.waitForLine(new RegExp(`tunnel t-${ports.sink} {2}listening`), 15_000);
    await client.waitForLine(new RegExp(`tunnel t-${ports.echo} {2}listening`), 15_000);

    const quiet = await runPhase('without attack', baselineSeconds, relay, client, ports);
    const plan: AttackPlan = {
      port: relayPort,
      caPem: readFileSync(cert.cert, 'utf8'),
      token: await token('mallory'),
      ...(values.only !== undefined ? { only: values.only } : {}),
    };
    const attacker = startProcess(process.execPath, [process.argv[1] ?? '', '--attacker'], {
      name: 'attacker',
      env: { ...process.env, SOAK_ATTACK_PLAN: JSON.stringify(plan) },
    });
    cleanup.unshift(() => attacker.stop());
    const attacked = await runPhase('under attack', seconds, relay, client, ports);
    const attackerCpu = readCpuSeconds(attacker.pid) ?? 0;
    await attacker.stop(10_000);
    const attacks = attacker.stdout().trim();
    const alive = relay.exited === null;
    const hits = alive
      ? (await httpGet(listening.details.metrics))
          .split('\n')
          .filter((line) => line.startsWith('cloudbridge_relay_limit_hits_total{'))
      : [];
    const result = {
      phases: [quiet, attacked],
      attackerCpuSeconds: attackerCpu,
      relayAlive: alive,
      attacks: attacks ? JSON.parse(attacks) : null,
      limitHits: hits,
    };
    if (values.json === true) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      process.stdout.write(`${table([quiet, attacked])}\n`);
      process.stdout.write(
        `legitimate throughput under attack: ${(attacked.mbPerSecond / quiet.mbPerSecond).toFixed(2)}x the quiet phase\n`,
      );
      process.stdout.write(
        `attacker CPU: ${((100 * attackerCpu) / attacked.seconds).toFixed(0)}% of one core (its own process, on the same cores)\n`,
      );
      process.stdout.write(`relay ${alive ? 'alive' : 'DIED'} at the end; attacks: ${attacks}\n`);
      process.stdout.write(`${hits.join('\n')}\n`);
    }
    return alive && attacked.probesOk > 0 ? 0 : 1;
  } finally {
    for (const step of cleanup) await step();
  }
}

if (process.argv.includes('--attacker')) {
  void runAttacks(JSON.parse(process.env['SOAK_ATTACK_PLAN'] ?? '{}') as AttackPlan);
} else {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(
        `soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}

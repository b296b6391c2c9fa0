// Per-connection profile of new connections (what `npm run bench` times as "new conn"): N
// sequential connect-echo-close round trips through a real relay and `cloudbridge connect`,
// next to `ssh -L`, in interleaved rounds. Reports latency, CPU per connection of each process
// (from /proc), and in one extra pass per path: syscalls per connection (strace -c on each
// process's main thread), async resources and callbacks per connection, bytes allocated and
// GCs (a --require'd preload, tunnel only), and where CPU goes (--cpu-prof, tunnel only).
//   node dist/bench/profile-connections.js [--connections N] [--rounds R] [--warmup N]
//     [--build NAME=CLI_DIR[,NODE_FLAG...]]... [--no-ssh] [--pass N] [--no-strace]
//     [--no-cpu-prof] [--perf] [--no-hooks] [--keep] [--out FILE.json]

import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { stopAllProcesses } from '../test/harness/processes';
import { sampleLoad } from './machine';
import { measureLatency, startEchoTarget } from './measure';
import { makeCertificate, sshPeer, tempDir, type Peer } from './peers';
import {
  cpuOf,
  hooksPass,
  LATENCY_BOX_MS,
  rolesOf,
  startPerf,
  stopPerf,
  stracePass,
  type ByRole,
} from './profile-probes';
import {
  PRELOAD_SOURCE,
  readCpuProfile,
  summarizeCpuProfile,
  type CpuSummary,
  type HookCounts,
  type PerfSummary,
} from './profile-readers';
import { median, rotate } from './stats';
import { tunnelPeer } from './tunnel-peer';

/** V8's default of 1 ms leaves a few samples per connection; this gives a dozen or so. */
const CPU_PROF_INTERVAL_US = 50;

interface Options {
  readonly connections: number;
  readonly rounds: number;
  readonly warmup: number;
  /** Builds to compare; `nodeFlags` are given to both processes of that build in every pass. */
  readonly builds: readonly {
    readonly name: string;
    readonly cliDir: string;
    readonly nodeFlags: readonly string[];
  }[];
  readonly ssh: boolean;
  readonly pass: number;
  readonly strace: boolean;
  readonly cpuProf: boolean;
  /** A perf record pass (kernel and native frames, JS through --perf-basic-prof), every path. */
  readonly perf: boolean;
  /** The async-hooks pass, in processes of its own started with the preload. */
  readonly hooks: boolean;
  /** Leave the temp dir (profiles, perf data, strace tables) in place and name it. */
  readonly keep: boolean;
  readonly out: string;
}

function parseArgs(argv: readonly string[]): Options {
  const value = (flag: string, fallback: number): number => {
    const i = argv.indexOf(flag);
    if (i === -1) return fallback;
    const n = Number(argv[i + 1]);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} needs a whole number`);
    return n;
  };
  const builds: { name: string; cliDir: string; nodeFlags: string[] }[] = [];
  argv.forEach((arg, i) => {
    if (arg !== '--build') return;
    const spec = argv[i + 1] ?? '';
    const at = spec.indexOf('=');
    const [name, dir] =
      at === -1 ? [undefined, undefined] : [spec.slice(0, at), spec.slice(at + 1)];
    if (name === undefined || dir === undefined) throw new Error('--build needs NAME=CLI_DIR');
    // NAME=CLI_DIR,--flag,--flag: the same build under other node flags is another build.
    const [cliDir = '', ...nodeFlags] = dir.split(',');
    builds.push({ name, cliDir, nodeFlags });
  });
  if (builds.length === 0)
    builds.push({ name: 'tunnel', cliDir: join(__dirname, '..', 'cli'), nodeFlags: [] });
  const outAt = argv.indexOf('--out');
  return {
    connections: value('--connections', 2_000),
    rounds: value('--rounds', 3),
    warmup: value('--warmup', 500),
    builds,
    ssh: !argv.includes('--no-ssh'),
    pass: value('--pass', 1_000),
    strace: !argv.includes('--no-strace'),
    cpuProf: !argv.includes('--no-cpu-prof'),
    perf: argv.includes('--perf'),
    keep: argv.includes('--keep'),
    hooks: !argv.includes('--no-hooks'),
    out: outAt === -1 ? 'artifacts/profile-connections.json' : (argv[outAt + 1] ?? ''),
  };
}

interface RoundFigure {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failures: number;
  /** CPU microseconds per connection (user + system), and the system part. */
  readonly clientUs: number;
  readonly serverUs: number;
  readonly clientSysUs: number;
  readonly serverSysUs: number;
}

interface PassFigures {
  strace?: ByRole<Record<string, number>>;
  hooks?: ByRole<HookCounts>;
  cpu?: ByRole<CpuSummary>;
  perf?: ByRole<PerfSummary>;
}

const log = (line: string): void => void process.stderr.write(`profile: ${line}\n`);
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function timedLoop(peer: Peer, count: number): Promise<RoundFigure> {
  const roles = rolesOf(peer.name);
  const before = { client: cpuOf(roles.client), server: cpuOf(roles.server) };
  const result = await measureLatency(peer.echoPort, count, LATENCY_BOX_MS);
  const after = { client: cpuOf(roles.client), server: cpuOf(roles.server) };
  const n = Math.max(1, result.count + result.failures);
  const us = (a: { user: number; sys: number }, b: { user: number; sys: number }): number =>
    ((a.user + a.sys - b.user - b.sys) * 1e6) / n;
  return {
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    failures: result.failures,
    clientUs: us(after.client, before.client),
    serverUs: us(after.server, before.server),
    clientSysUs: ((after.client.sys - before.client.sys) * 1e6) / n,
    serverSysUs: ((after.server.sys - before.server.sys) * 1e6) / n,
  };
}

function fmtCounts(counts: Readonly<Record<string, number>>, limit = 14): string {
  return Object.entries(counts)
    .filter(([, v]) => v >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([k, v]) => `${k} ${v.toFixed(1)}`)
    .join(', ');
}

function sumOf(counts: Readonly<Record<string, number>>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function report(
  options: Options,
  paths: readonly string[],
  rounds: Record<string, RoundFigure[]>,
  passes: Record<string, PassFigures>,
): string {
  const lines: string[] = [];
  const start = sampleLoad();
  lines.push(
    `per-connection profile on Node ${process.version}: ${options.rounds} rounds x ${options.connections} sequential connections per path (interleaved), passes of ${options.pass}; load now ${start.loadAverage.map((v) => v.toFixed(2)).join(' ')} on ${start.cpus} CPUs`,
  );
  lines.push('');
  lines.push(
    'path        p50 ms (rounds)              p99 ms (rounds)              CPU us/conn client (sys)  server (sys)',
  );
  for (const path of paths) {
    const r = rounds[path] ?? [];
    const list = (pick: (f: RoundFigure) => number): string =>
      `${median(r.map(pick)).toFixed(3)} (${r.map((f) => pick(f).toFixed(3)).join(' ')})`;
    const us = (pick: (f: RoundFigure) => number): string =>
      median(r.map(pick)).toFixed(0).padStart(5);
    lines.push(
      `${path.padEnd(11)} ${list((f) => f.p50Ms).padEnd(28)} ${list((f) => f.p99Ms).padEnd(28)} ${us((f) => f.clientUs)} (${us((f) => f.clientSysUs)})  ${us((f) => f.serverUs)} (${us((f) => f.serverSysUs)})`,
    );
  }
  for (const path of paths) {
    const pass = passes[path];
    if (pass === undefined) continue;
    lines.push('', `== ${path}`);
    for (const role of ['client', 'server'] as const) {
      const s = pass.strace?.[role];
      if (s !== undefined)
        lines.push(`syscalls/conn ${role}: ${sumOf(s).toFixed(1)}: ${fmtCounts(s)}`);
    }
    for (const role of ['client', 'server'] as const) {
      const h = pass.hooks?.[role];
      if (h === undefined) continue;
      lines.push(
        `async resources/conn ${role}: ${sumOf(h.created).toFixed(1)}: ${fmtCounts(h.created)}`,
        `callbacks/conn ${role}: ${sumOf(h.callbacks).toFixed(1)}: ${fmtCounts(h.callbacks)}`,
        `allocated/conn ${role}: ${(h.allocatedBytes / 1024).toFixed(1)} KiB; ${h.gcs} GCs, ${h.gcMs.toFixed(1)} ms in the pass (hooks on)`,
      );
    }
    for (const role of ['client', 'server'] as const) {
      const p = pass.perf?.[role];
      if (p === undefined) continue;
      lines.push(
        `perf ${role}: ${p.totalUs.toFixed(0)} us/conn sampled, ${p.kernelUs.toFixed(0)} of it in listed kernel symbols; by symbol (self):`,
      );
      lines.push(`  by object: ${p.dsos.map(([d, us]) => `${d} ${us.toFixed(0)}`).join(', ')}`);
      for (const [name, us] of p.symbols.slice(0, 30))
        lines.push(`  ${us.toFixed(1).padStart(6)}  ${name}`);
    }
    for (const role of ['client', 'server'] as const) {
      const c = pass.cpu?.[role];
      if (c === undefined) continue;
      const sum = c.self.reduce((a, [, us]) => a + us, 0);
      lines.push(
        `cpu profile ${role}: ${c.samples} samples; top self us/conn (sum of these ${sum.toFixed(0)}):`,
      );
      for (const [name, us] of c.self.slice(0, 18))
        lines.push(`  ${us.toFixed(1).padStart(6)}  ${name}`);
      lines.push(`  inclusive:`);
      for (const [name, us] of c.total.slice(0, 18))
        lines.push(`  ${us.toFixed(1).padStart(6)}  ${name}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function run(options: Options): Promise<void> {
  const echo = await startEchoTarget();
  const temp = tempDir();
  const cert = await makeCertificate(temp.dir);
  const preload = join(temp.dir, 'profile-preload.cjs');
  writeFileSync(preload, PRELOAD_SOURCE);
  // The preload writes its counts here, one file per pid.
  process.env['CB_PROFILE_DIR'] = temp.dir;
  const targets = { sinkPort: echo.port, echoPort: echo.port };
  const paths = [...options.builds.map((b) => b.name), ...(options.ssh ? ['ssh -L'] : [])];
  const start = (path: string, extra: (role: 'client' | 'relay') => string[]): Promise<Peer> => {
    if (path === 'ssh -L') return sshPeer(targets);
    const build = options.builds.find((b) => b.name === path)!;
    const dir = join(temp.dir, `${path}-${Date.now()}`);
    mkdirSync(dir);
    return tunnelPeer(targets, dir, cert, {
      cliDir: build.cliDir,
      name: path,
      nodeArgs: (role) => [...build.nodeFlags, ...extra(role)],
    });
  };
  const rounds: Record<string, RoundFigure[]> = {};
  const passes: Record<string, PassFigures> = {};
  try {
    for (let r = 0; r < options.rounds; r++) {
      for (const path of rotate(paths, r)) {
        const peer = await start(path, () => []);
        try {
          await measureLatency(peer.echoPort, options.warmup, LATENCY_BOX_MS);
          const figure = await timedLoop(peer, options.connections);
          (rounds[path] ??= []).push(figure);
          log(
            `round ${r + 1} ${path}: p50 ${figure.p50Ms.toFixed(3)} p99 ${figure.p99Ms.toFixed(3)} ms, CPU ${figure.clientUs.toFixed(0)}/${figure.serverUs.toFixed(0)} us per connection`,
          );
        } finally {
          await peer.close();
        }
        await pause(250);
      }
    }
    if (options.pass > 0) {
      for (const path of paths) {
        const isTunnel = path !== 'ssh -L';
        const profDir = join(temp.dir, `prof-${path}`);
        const pass: PassFigures = {};
        /** Each probe in processes of its own: one probe's overhead must not show in another's. */
        const withPeer = async (
          extra: (role: 'client' | 'relay') => string[],
          probe: (peer: Peer) => Promise<void>,
        ): Promise<void> => {
          const peer = await start(path, extra);
          try {
            await measureLatency(peer.echoPort, options.warmup, LATENCY_BOX_MS);
            await probe(peer);
          } finally {
            await peer.close();
          }
        };
        if (options.strace)
          await withPeer(
            () => [],
            async (peer) => {
              pass.strace = await stracePass(peer, options.pass, temp.dir);
            },
          );
        if (options.perf)
          await withPeer(
            () => ['--perf-basic-prof'],
            async (peer) => {
              const recorders = startPerf(peer.name, temp.dir);
              await pause(500);
              await measureLatency(peer.echoPort, options.pass, LATENCY_BOX_MS);
              pass.perf = await stopPerf(recorders, options.pass);
            },
          );
        let window = { from: 0, to: 0 };
        if (isTunnel && options.cpuProf)
          await withPeer(
            (role) => [
              '--cpu-prof',
              `--cpu-prof-dir=${join(profDir, role)}`,
              `--cpu-prof-interval=${CPU_PROF_INTERVAL_US}`,
            ],
            async (peer) => {
              const from = Number(process.hrtime.bigint() / 1000n);
              await measureLatency(peer.echoPort, options.pass, LATENCY_BOX_MS);
              window = { from, to: Number(process.hrtime.bigint() / 1000n) };
            },
          );
        if (isTunnel && options.hooks)
          await withPeer(
            () => ['--require', preload],
            async (peer) => {
              pass.hooks = await hooksPass(peer, options.pass, temp.dir);
            },
          );
        if (isTunnel && options.cpuProf) {
          const summary = (role: string): CpuSummary => {
            const dir = join(profDir, role);
            const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
            if (file === undefined) throw new Error(`no CPU profile in ${dir}`);
            return summarizeCpuProfile(
              readCpuProfile(join(dir, file)),
              window.from,
              window.to,
              options.pass,
            );
          };
          pass.cpu = { client: summary('client'), server: summary('relay') };
        }
        passes[path] = pass;
        log(`pass ${path} done`);
      }
    }
  } finally {
    await stopAllProcesses();
    await echo.close();
    if (options.keep) log(`kept ${temp.dir}`);
    else temp.remove();
  }
  const text = report(options, paths, rounds, passes);
  process.stdout.write(text);
  if (options.out !== '') {
    mkdirSync(join(options.out, '..'), { recursive: true });
    writeFileSync(options.out, `${JSON.stringify({ options, rounds, passes }, null, 2)}\n`);
    writeFileSync(options.out.replace(/\.json$/, '.txt'), text);
  }
}

run(parseArgs(process.argv.slice(2))).catch((error: unknown) => {
  process.stderr.write(
    `profile: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  void stopAllProcesses().finally(() => process.exit(1));
});

// `npm run bench`: our tunnel and a published server reached by name, next to direct, a
// stunnel4 pair, `ssh -L` and a plain Node.js TLS pipe on loopback: bulk throughput (1 and 8
// streams) with CPU seconds per GiB per process, new-connection latency (p50/p99), many
// concurrent connections (failures, RSS).
// Every case runs once per round, the paths interleaved and rotated between rounds; the
// report gives medians with their spread, ratios and a verdict per target, and the machine's
// load. Saves artifacts/bench.txt and every raw figure in artifacts/bench.json.
//   node dist/bench/bench.js --from artifacts/bench.json [--markdown]   re-renders a saved run

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

import { stopAllProcesses } from '../test/harness/processes';
import { createCpuLedger, readMachineBusySeconds, sampleLoad } from './machine';
import { startCountingSink, startEchoTarget } from './measure';
import {
  directPeer,
  makeCertificate,
  nodePipePeer,
  sshPeer,
  stunnelPeer,
  tempDir,
  type Peer,
  type Targets,
} from './peers';
import { PATHS, settingsFromEnv, type BenchRecord, type RoundRecord } from './record';
import { renderMarkdown, renderReport } from './report';
import { runRound } from './rounds';
import { publishedPeer } from './published-peer';
import { rotate } from './stats';
import { tunnelPeer } from './tunnel-peer';

/** After the run box, a measurement still running has this long to end within its own box. */
const HARD_STOP_GRACE_MS = 2 * 60_000;

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

function rerender(args: readonly string[]): void {
  const file = args[args.indexOf('--from') + 1];
  if (file === undefined) throw new Error('--from needs a bench.json file');
  const record = JSON.parse(readFileSync(file, 'utf8')) as BenchRecord;
  process.stdout.write(args.includes('--markdown') ? renderMarkdown(record) : renderReport(record));
}

async function run(): Promise<void> {
  const settings = settingsFromEnv(process.env);
  const started = Date.now();
  const startLoad = sampleLoad();
  const busyBefore = readMachineBusySeconds();
  const ledger = createCpuLedger();
  const ownBefore = ledger.totalSeconds();
  const deadline = started + settings.runBoxSeconds * 1000;
  const hardStop = setTimeout(
    () => {
      log(`a measurement outlived the run box of ${settings.runBoxSeconds} s; stopping`);
      void stopAllProcesses().finally(() => process.exit(1));
    },
    deadline - started + HARD_STOP_GRACE_MS,
  );
  const sink = await startCountingSink();
  const echo = await startEchoTarget();
  const targets: Targets = { sinkPort: sink.port, echoPort: echo.port };
  const temp = tempDir();
  const rounds: RoundRecord[] = [];
  try {
    const cert = await makeCertificate(temp.dir);
    const starters: Readonly<Record<string, () => Promise<Peer>>> = {
      direct: () => Promise.resolve(directPeer(targets)),
      tunnel: () => tunnelPeer(targets, temp.dir, cert),
      // A published server reached by name, end to end (published-peer.ts).
      published: () => publishedPeer(targets, temp.dir, cert),
      stunnel: () => stunnelPeer(targets, temp.dir, cert),
      'ssh -L': () => sshPeer(targets),
      'node pipe': () => nodePipePeer(targets, cert),
    };
    for (let r = 0; r < settings.rounds; r++) {
      const round = await runRound({
        round: r + 1,
        order: rotate(PATHS, r),
        settings,
        start: (path) => starters[path]!(),
        deadline,
        ledger,
        log,
      });
      rounds.push(round);
      log(`round ${r + 1}/${settings.rounds} took ${round.seconds.toFixed(0)} s`);
    }
  } finally {
    ledger.record();
    await stopAllProcesses();
    await sink.close();
    await echo.close();
    temp.remove();
    clearTimeout(hardStop);
  }
  const busyAfter = readMachineBusySeconds();
  const record: BenchRecord = {
    format: 1,
    node: process.version,
    startedAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    settings,
    machine: {
      start: startLoad,
      end: sampleLoad(),
      busySeconds: busyBefore === null || busyAfter === null ? null : busyAfter - busyBefore,
      ownSeconds: ledger.totalSeconds() - ownBefore,
    },
    paths: PATHS,
    rounds,
  };
  const report = renderReport(record);
  process.stdout.write(report);
  mkdirSync('artifacts', { recursive: true });
  writeFileSync('artifacts/bench.txt', report);
  writeFileSync('artifacts/bench.json', `${JSON.stringify(record, null, 2)}\n`);
  log('saved artifacts/bench.txt and artifacts/bench.json');
}

const args = process.argv.slice(2);
const main = args.includes('--from') ? Promise.resolve().then(() => rerender(args)) : run();
main.catch((error: unknown) => {
  process.stderr.write(
    `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  void stopAllProcesses().finally(() => process.exit(1));
});

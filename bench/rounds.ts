// One round of `npm run bench`: start every path afresh, warm each up, then run each case
// across all paths in the round's order, so a burst of other load hits every path alike.
// Owns the order, the time boxes and the run's deadline; measuring is measure.ts.

import type { CpuLedger } from './machine';
import {
  measureConcurrency,
  measureLatency,
  measureThroughput,
  type ConcurrencyResult,
  type LatencyResult,
  type ThroughputResult,
} from './measure';
import type { Peer } from './peers';
import { MIB, type BenchSettings, type PathRound, type RoundRecord } from './record';

const THROUGHPUT_BOX_MS = 20_000;
const LATENCY_BOX_MS = 40_000;
const CONCURRENCY_BOX_MS = 30_000;
/** Lets the previous path's closing sockets finish before the next path is measured. */
const SETTLE_MS = 250;

export interface RoundOptions {
  /** 1-based. */
  readonly round: number;
  readonly order: readonly string[];
  readonly settings: BenchSettings;
  readonly start: (path: string) => Promise<Peer>;
  /** No measurement starts after this time (ms since the epoch). */
  readonly deadline: number;
  readonly ledger: CpuLedger;
  readonly log: (line: string) => void;
  readonly now?: () => number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Case {
  readonly name: string;
  run(peer: Peer): Promise<ThroughputResult | LatencyResult | ConcurrencyResult>;
  store(result: Mutable<PathRound>, value: unknown): void;
}

function casesFor(settings: BenchSettings): Case[] {
  const throughput = (streams: number) => (peer: Peer) =>
    measureThroughput(peer.sinkPort, streams, settings.bytes, THROUGHPUT_BOX_MS, () =>
      peer.sampleCpu(),
    );
  return [
    {
      name: '1 stream',
      run: throughput(1),
      store: (r, v) => (r.one = v as ThroughputResult),
    },
    {
      name: '8 streams',
      run: throughput(8),
      store: (r, v) => (r.eight = v as ThroughputResult),
    },
    {
      name: `${settings.connections} sequential connections`,
      run: (peer) => measureLatency(peer.echoPort, settings.connections, LATENCY_BOX_MS),
      store: (r, v) => (r.latency = v as LatencyResult),
    },
    {
      name: `${settings.concurrent} concurrent connections`,
      run: (peer) =>
        measureConcurrency(
          peer.echoPort,
          settings.concurrent,
          () => peer.sampleRss(),
          CONCURRENCY_BOX_MS,
        ),
      store: (r, v) => (r.concurrency = v as ConcurrencyResult),
    },
  ];
}

function message(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runRound(options: RoundOptions): Promise<RoundRecord> {
  const { round, order, settings, ledger, log } = options;
  const now = options.now ?? Date.now;
  const started = now();
  const tag = `round ${round}/${settings.rounds}`;
  const skipped = `skipped: the run passed its ${settings.runBoxSeconds} s box`;
  const results: Record<string, Mutable<PathRound>> = {};
  for (const path of order)
    results[path] = { error: null, one: null, eight: null, latency: null, concurrency: null };
  const peers = new Map<string, Peer>();
  try {
    for (const path of order) {
      const result = results[path]!;
      if (now() > options.deadline) {
        result.error = skipped;
        continue;
      }
      try {
        const since = now();
        peers.set(path, await options.start(path));
        log(`${tag}: ${path}: started in ${((now() - since) / 1000).toFixed(1)} s`);
      } catch (error) {
        result.error = `could not start: ${message(error)}`;
        log(`${tag}: ${path}: ${result.error}`);
      }
    }
    // Unmeasured warm-up, the same for every path: a JIT compiles its hot paths over the
    // first few hundred MB and connections (C peers have nothing to warm). The figures are the
    // steady state a long-running tunnel sees.
    for (const [path, peer] of peers) {
      if (now() > options.deadline) break;
      log(
        `${tag}: ${path}: warm-up, ${settings.warmupBytes / MIB} MiB and ${settings.warmupConnections} connections`,
      );
      await measureThroughput(peer.sinkPort, 1, settings.warmupBytes, THROUGHPUT_BOX_MS);
      await measureLatency(peer.echoPort, settings.warmupConnections, LATENCY_BOX_MS);
    }
    for (const measured of casesFor(settings)) {
      for (const path of order) {
        const peer = peers.get(path);
        const result = results[path]!;
        if (peer === undefined) continue;
        if (now() > options.deadline) {
          result.error ??= skipped;
          continue;
        }
        log(`${tag}: ${path}: ${measured.name}`);
        measured.store(result, await measured.run(peer));
        ledger.record();
        await pause(SETTLE_MS);
      }
    }
  } finally {
    ledger.record();
    const since = now();
    await Promise.all([...peers.values()].map((peer) => peer.close()));
    log(`${tag}: stopped every path in ${((now() - since) / 1000).toFixed(1)} s`);
  }
  return { round, order, seconds: (now() - started) / 1000, paths: results };
}

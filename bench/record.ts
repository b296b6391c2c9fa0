// The raw figures of one benchmark run as saved to artifacts/bench.json (settings, machine,
// every path's results in every round) and the per-round figures read from them. Types and
// lookups only: formatting is report.ts, judging is verdicts.ts.

import type { ConcurrencyResult, LatencyResult, ThroughputResult } from './measure';
import type { LoadSample } from './machine';
import { summarize, type Summary } from './stats';

/**
 * The paths in round 1's order; later rounds rotate it. `published` is a published server
 * reached by name (published-peer.ts), next to the forward tunnel it is compared with.
 */
export const PATHS = ['direct', 'tunnel', 'published', 'stunnel', 'ssh -L', 'node pipe'] as const;

/** The two C peers the targets are set against. */
export const PEERS = ['stunnel', 'ssh -L'] as const;

export interface BenchSettings {
  /** Bytes per throughput case per round. */
  readonly bytes: number;
  readonly connections: number;
  readonly concurrent: number;
  readonly rounds: number;
  readonly warmupBytes: number;
  readonly warmupConnections: number;
  readonly runBoxSeconds: number;
}

export interface PathRound {
  /** Why the path has no figures this round (could not start, run box), or null. */
  readonly error: string | null;
  readonly one: ThroughputResult | null;
  readonly eight: ThroughputResult | null;
  readonly latency: LatencyResult | null;
  readonly concurrency: ConcurrencyResult | null;
}

export interface RoundRecord {
  /** 1-based. */
  readonly round: number;
  /** The order the paths ran in, within each case. */
  readonly order: readonly string[];
  readonly seconds: number;
  readonly paths: Readonly<Record<string, PathRound>>;
}

export interface MachineRecord {
  readonly start: LoadSample;
  readonly end: LoadSample;
  /** CPU seconds every process on the machine used during the run; null off Linux. */
  readonly busySeconds: number | null;
  /** CPU seconds this run's own processes used. */
  readonly ownSeconds: number;
}

export interface BenchRecord {
  readonly format: 1;
  /** `process.version` of the Node that ran the bench, the tunnel and the Node.js pipe. */
  readonly node: string;
  readonly startedAt: string;
  readonly seconds: number;
  readonly settings: BenchSettings;
  readonly machine: MachineRecord;
  readonly paths: readonly string[];
  readonly rounds: readonly RoundRecord[];
}

/** One figure of one path in one round; null or undefined when that round has none. */
export type Pick = (result: PathRound) => number | null | undefined;

export const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** Megabytes (10^6) per second that reached the sink; null for a failed case. */
export function mbPerSecond(r: ThroughputResult | null): number | null {
  return r === null || r.error !== null ? null : r.bytesPerSecond / 1e6;
}

/** CPU seconds per GiB moved of one process role; null for direct (no process) or no bytes. */
export function cpuPerGib(r: ThroughputResult | null, role: string): number | null {
  if (r === null || r.error !== null || r.bytes <= 0) return null;
  const seconds = r.cpuSeconds[role];
  return seconds === undefined ? null : seconds / (r.bytes / GIB);
}

/** Client plus relay/server CPU seconds per GiB: the path's whole cost. */
export function pathCpuPerGib(r: ThroughputResult | null): number | null {
  const client = cpuPerGib(r, 'client');
  const server = cpuPerGib(r, 'server');
  return client === null || server === null ? null : client + server;
}

export function p50(r: PathRound): number | null {
  return r.latency && r.latency.count > 0 ? r.latency.p50Ms : null;
}

export function p99(r: PathRound): number | null {
  return r.latency && r.latency.count > 0 ? r.latency.p99Ms : null;
}

/** The figure of `path` in every round, in round order (null where a round has none). */
export function series(record: BenchRecord, path: string, pick: Pick): (number | null)[] {
  return record.rounds.map((round) => {
    const result = round.paths[path];
    return result === undefined ? null : (pick(result) ?? null);
  });
}

export function summaryOf(record: BenchRecord, path: string, pick: Pick): Summary | null {
  return summarize(series(record, path, pick));
}

/** Per round; a round is run BENCH_ROUNDS times (default three). */
export const DEFAULT_SETTINGS: BenchSettings = {
  bytes: 512 * MIB,
  connections: 1_000,
  concurrent: 1_000,
  rounds: 3,
  warmupBytes: 256 * MIB,
  warmupConnections: 500,
  runBoxSeconds: 15 * 60,
};

const ENV_KEYS: Readonly<Record<keyof BenchSettings, string>> = {
  bytes: 'BENCH_BYTES',
  connections: 'BENCH_CONNECTIONS',
  concurrent: 'BENCH_CONCURRENT',
  rounds: 'BENCH_ROUNDS',
  warmupBytes: 'BENCH_WARMUP_BYTES',
  warmupConnections: 'BENCH_WARMUP_CONNECTIONS',
  runBoxSeconds: 'BENCH_RUN_BOX_S',
};

/** A warm-up may be switched off; every other figure needs at least one of its unit. */
const MAY_BE_ZERO: ReadonlySet<string> = new Set(['warmupBytes', 'warmupConnections']);

/** The defaults with any BENCH_* override; a value that is not a whole number is refused. */
export function settingsFromEnv(env: Readonly<Record<string, string | undefined>>): BenchSettings {
  const out: Record<string, number> = { ...DEFAULT_SETTINGS };
  for (const [key, name] of Object.entries(ENV_KEYS)) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    const value = Number(text);
    const least = MAY_BE_ZERO.has(key) ? 0 : 1;
    if (!Number.isSafeInteger(value) || value < least)
      throw new Error(`${name} must be a whole number of at least ${least}, not "${text}"`);
    out[key] = value;
  }
  return out as unknown as BenchSettings;
}

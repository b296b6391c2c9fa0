// Fixed benchmark records for the bench report's unit tests: every figure is given here,
// nothing is measured.

import type { ThroughputResult } from '../../bench/measure';
import {
  MIB,
  PATHS,
  type BenchRecord,
  type MachineRecord,
  type PathRound,
} from '../../bench/record';

const GIB = 1024 * MIB;

/** A throughput case that moved 512 MiB at `mbps` MB/s; CPU given in seconds per GiB. */
export function throughput(mbps: number, cpuPerGib?: { client: number; server: number }) {
  const bytes = 512 * MIB;
  const result: ThroughputResult = {
    streams: 1,
    bytes,
    seconds: bytes / (mbps * 1e6),
    bytesPerSecond: mbps * 1e6,
    cpuSeconds: cpuPerGib
      ? { client: (cpuPerGib.client * bytes) / GIB, server: (cpuPerGib.server * bytes) / GIB }
      : {},
    note: null,
    error: null,
  };
  return result;
}

export interface Figures {
  readonly one?: number;
  readonly eight?: number;
  readonly cpu?: { client: number; server: number };
  readonly p50?: number;
  readonly p99?: number;
  readonly failures?: number;
  readonly kib?: number;
  readonly error?: string;
}

/** One path's round from a few figures; figures left out are absent (a failed case). */
export function pathRound(f: Figures, wanted = 1000): PathRound {
  const failures = f.failures ?? 0;
  return {
    error: f.error ?? null,
    one: f.one === undefined ? null : throughput(f.one, f.cpu),
    eight: f.eight === undefined ? null : throughput(f.eight, f.cpu),
    latency:
      f.p50 === undefined
        ? null
        : { count: 1000, failures: 0, p50Ms: f.p50, p99Ms: f.p99 ?? f.p50 * 2, error: null },
    concurrency:
      f.kib === undefined
        ? null
        : {
            wanted,
            established: wanted - failures,
            failures,
            firstError: failures > 0 ? 'connect ECONNREFUSED' : null,
            rssGrowth: { client: (f.kib * 1024 * (wanted - failures)) / 2, server: 0 },
            bytesPerConnection: f.kib * 1024,
          },
  };
}

export const QUIET: MachineRecord = {
  start: { loadAverage: [0.1, 0.2, 0.3], cpus: 2 },
  end: { loadAverage: [1.9, 0.9, 0.5], cpus: 2 },
  busySeconds: 300,
  ownSeconds: 290,
};

/** A record of `rounds.length` rounds, each giving the paths' figures in PATHS order. */
export function benchRecord(
  rounds: readonly Readonly<Record<string, Figures>>[],
  machine: MachineRecord = QUIET,
): BenchRecord {
  return {
    format: 1,
    node: 'v24.21.0',
    startedAt: '2026-12-01T10:00:00.000Z',
    seconds: 300,
    settings: {
      bytes: 512 * MIB,
      connections: 1000,
      concurrent: 1000,
      rounds: rounds.length,
      warmupBytes: 256 * MIB,
      warmupConnections: 500,
      runBoxSeconds: 900,
    },
    machine,
    paths: PATHS,
    rounds: rounds.map((figures, i) => ({
      round: i + 1,
      order: PATHS,
      seconds: 100,
      paths: Object.fromEntries(Object.entries(figures).map(([path, f]) => [path, pathRound(f)])),
    })),
  };
}

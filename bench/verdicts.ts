// What a benchmark run says: ratios of the tunnel's medians against the best C peer, direct
// and the Node.js pipe, a verdict per target, the published server next to the tunnel, and
// whether the machine was quiet enough to trust any of it. Pure: reads a BenchRecord.

import { fmt, formatRange, ratio } from './format';
import {
  PEERS,
  mbPerSecond,
  p50,
  p99,
  pathCpuPerGib,
  summaryOf,
  type BenchRecord,
  type MachineRecord,
  type Pick,
} from './record';
import { rangesOverlap, type Summary } from './stats';

/** Above this many busy CPUs per CPU, other work is taken to have skewed the figures. */
export const LOAD_WARNING_SHARE = 0.5;

/** CPU seconds other processes used during the run, or null without /proc/stat. */
export function othersCpuSeconds(machine: MachineRecord): number | null {
  return machine.busySeconds === null
    ? null
    : Math.max(0, machine.busySeconds - machine.ownSeconds);
}

export function loadLine(machine: MachineRecord, seconds: number): string {
  const avg = (s: MachineRecord['start']): string =>
    `${s.loadAverage.map((v) => v.toFixed(2)).join(' ')} on ${s.cpus} CPUs`;
  const others = othersCpuSeconds(machine);
  const othersText =
    others === null
      ? ''
      : `; other processes used ${others.toFixed(1)} CPU s during the run (${fmt(others / seconds, 2)} CPUs on average)`;
  return `load average 1/5/15 min: at start ${avg(machine.start)}, at end ${avg(machine.end)} (the end figure includes this run's own processes)${othersText}`;
}

/**
 * A warning per sign of other work: the 1-minute load at start, and the CPU other processes
 * took during the run. The load at end counts this run's own client, relay and load
 * generator, so it is judged only where /proc/stat cannot tell them apart.
 */
export function loadWarnings(machine: MachineRecord, seconds: number): string[] {
  const out: string[] = [];
  const consequence = 'other work shared the CPUs, so these figures are less trustworthy';
  const startLimit = machine.start.cpus * LOAD_WARNING_SHARE;
  const [startLoad = 0] = machine.start.loadAverage;
  if (startLoad > startLimit)
    out.push(
      `warning: at start the 1-minute load average was ${startLoad.toFixed(2)} on ${machine.start.cpus} CPUs (above ${startLimit.toFixed(1)}): ${consequence}`,
    );
  const endLimit = machine.end.cpus * LOAD_WARNING_SHARE;
  const others = othersCpuSeconds(machine);
  if (others !== null) {
    const busy = seconds > 0 ? others / seconds : 0;
    if (busy > endLimit)
      out.push(
        `warning: during the run other processes kept ${busy.toFixed(2)} of ${machine.end.cpus} CPUs busy on average (above ${endLimit.toFixed(1)}): ${consequence}`,
      );
  } else {
    const [endLoad = 0] = machine.end.loadAverage;
    if (endLoad > endLimit)
      out.push(
        `warning: at end the 1-minute load average was ${endLoad.toFixed(2)} on ${machine.end.cpus} CPUs (above ${endLimit.toFixed(1)}, this run's own processes included): ${consequence}`,
      );
  }
  return out;
}

interface Best {
  readonly name: string;
  readonly summary: Summary | null;
}

/** The C peer with the best median for `pick`. */
function bestPeer(record: BenchRecord, pick: Pick, higherIsBetter: boolean): Best {
  let best: Best = { name: 'none', summary: null };
  for (const name of PEERS) {
    const summary = summaryOf(record, name, pick);
    if (summary === null) continue;
    const better =
      best.summary === null ||
      (higherIsBetter
        ? summary.median > best.summary.median
        : summary.median < best.summary.median);
    if (better) best = { name, summary };
  }
  return best;
}

const one: Pick = (r) => mbPerSecond(r.one);
const eight: Pick = (r) => mbPerSecond(r.eight);
const cpuOne: Pick = (r) => pathCpuPerGib(r.one);
const cpuEight: Pick = (r) => pathCpuPerGib(r.eight);

export function ratioLines(record: BenchRecord): string[] {
  const tunnel = (pick: Pick): number | null => summaryOf(record, 'tunnel', pick)?.median ?? null;
  const of = (path: string, pick: Pick): number | null =>
    summaryOf(record, path, pick)?.median ?? null;
  const vsBest = (pick: Pick, higherIsBetter: boolean): string => {
    const best = bestPeer(record, pick, higherIsBetter);
    return `${ratio(tunnel(pick), best.summary?.median)} (${best.name})`;
  };
  const vs = (path: string): string =>
    `1 stream ${ratio(tunnel(one), of(path, one))}, 8 streams ${ratio(tunnel(eight), of(path, eight))}, p50 ${ratio(tunnel(p50), of(path, p50))}`;
  return [
    `ratios tunnel/best peer (medians): 1 stream ${vsBest(one, true)}, 8 streams ${vsBest(eight, true)}, p50 ${vsBest(p50, false)}, p99 ${vsBest(p99, false)}`,
    `ratios tunnel/best peer, CPU s per GiB client+server: 1 stream ${vsBest(cpuOne, false)}, 8 streams ${vsBest(cpuEight, false)}`,
    `ratios tunnel/direct:    ${vs('direct')}`,
    // The reference pipe is not a peer the targets name; it shows what Node's TLS allows.
    `ratios tunnel/node pipe: ${vs('node pipe')}, CPU s per GiB 1 stream ${ratio(tunnel(cpuOne), of('node pipe', cpuOne))}, 8 streams ${ratio(tunnel(cpuEight), of('node pipe', cpuEight))}`,
  ];
}

/** The published server against the forward tunnel: figures only, as no target names it. */
export function publishedLines(record: BenchRecord): string[] {
  if (!record.paths.includes('published')) return [];
  const of = (path: string, pick: Pick): number | null =>
    summaryOf(record, path, pick)?.median ?? null;
  const vs = (pick: Pick): string => ratio(of('published', pick), of('tunnel', pick));
  return [
    `ratios published/tunnel (medians): 1 stream ${vs(one)}, 8 streams ${vs(eight)}, p50 ${vs(p50)}, p99 ${vs(p99)}, CPU s per GiB client+server 1 stream ${vs(cpuOne)}, 8 streams ${vs(cpuEight)}`,
    'published: figures only, no verdict; its client figures are the consumer and the publishing computer together, TLS 1.3 end to end inside each stream',
  ];
}

type Outcome = 'MET' | 'NOT MET' | 'UNKNOWN';

/**
 * Whether the tunnel's median is within `factor` x the peer's median (at most, or at least),
 * and whether the rounds' ranges overlap, which makes a verdict either way a close call.
 */
export function judge(
  tunnel: Summary | null,
  peer: Summary | null,
  atMost: boolean,
  factor = 1,
): { outcome: Outcome; overlap: boolean } {
  if (tunnel === null || peer === null) return { outcome: 'UNKNOWN', overlap: false };
  const limit = peer.median * factor;
  const met = atMost ? tunnel.median <= limit : tunnel.median >= limit;
  const scaled = { ...peer, min: peer.min * factor, max: peer.max * factor, median: limit };
  return { outcome: met ? 'MET' : 'NOT MET', overlap: rangesOverlap(tunnel, scaled) };
}

export function verdictLines(record: BenchRecord): string[] {
  const rounds = record.settings.rounds;
  const tunnel = (pick: Pick): Summary | null => summaryOf(record, 'tunnel', pick);
  const line = (
    title: string,
    t: Summary | null,
    peer: Best,
    atMost: boolean,
    digits: number,
    unit: string,
    factor = 1,
  ): string => {
    const { outcome, overlap } = judge(t, peer.summary, atMost, factor);
    const close = overlap ? '; the rounds overlap' : '';
    const scale = factor === 1 ? '' : `${factor}x `;
    return `verdict ${title}: ${outcome} (${formatRange(t, digits, rounds)} vs ${scale}${formatRange(peer.summary, digits, rounds)} ${unit} ${peer.name}${close})`;
  };
  const ssh: Best = { name: 'ssh -L', summary: summaryOf(record, 'ssh -L', p50) };
  const ssh99: Best = { name: 'ssh -L', summary: summaryOf(record, 'ssh -L', p99) };
  const concurrent = record.settings.concurrent;
  const held = record.rounds
    .map((round) => round.paths['tunnel']?.concurrency)
    .filter((c) => c !== null && c !== undefined);
  const clean = held.every((c) => c.failures === 0 && c.established === c.wanted);
  const concurrencyOutcome: Outcome = held.length === 0 ? 'UNKNOWN' : clean ? 'MET' : 'NOT MET';
  const perRound = held.map((c) => `${c.established} ok, ${c.failures} failed`).join('; ');
  return [
    line(
      '1-stream throughput >= best peer',
      tunnel(one),
      bestPeer(record, one, true),
      false,
      0,
      'MB/s',
    ),
    line(
      '8-stream throughput >= best peer',
      tunnel(eight),
      bestPeer(record, eight, true),
      false,
      0,
      'MB/s',
    ),
    line('new-connection p50 <= ssh -L', tunnel(p50), ssh, true, 3, 'ms'),
    line('new-connection p99 <= 1.5x ssh -L', tunnel(p99), ssh99, true, 3, 'ms', 1.5),
    `verdict ${concurrent} concurrent with no failures in any round: ${concurrencyOutcome} (${held.length === 0 ? 'not run' : `${held.length} of ${rounds} rounds: ${perRound}`})`,
  ];
}

// The machine a benchmark run shares: CPU count and load average, the CPU time every process
// used (from /proc/stat) and the share of it this run's own process tree used. Reads /proc
// only; judging whether the figures can be trusted is verdicts.ts.

import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

import { readCpuSeconds } from '../test/harness/processes';

/** Linux reports /proc/stat in USER_HZ ticks, 100 per second on every common build. */
const TICKS_PER_SECOND = 100;

export interface LoadSample {
  /** 1-, 5- and 15-minute load averages. */
  readonly loadAverage: readonly [number, number, number];
  readonly cpus: number;
}

export function sampleLoad(): LoadSample {
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  return { loadAverage: [one, five, fifteen], cpus: cpus().length };
}

/**
 * CPU seconds every process on the machine has used since boot (user, nice, system, steal),
 * or null off Linux. Interrupt and softirq time is left out: on loopback most of it is this
 * run's own packets, which would otherwise be counted as someone else's work.
 */
export function readMachineBusySeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , , , steal = 0] = fields;
    return (user + nice + system + steal) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Every live descendant of `root`, from the parent pids in /proc. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    for (const child of children.get(pid) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

export interface CpuLedger {
  /** Notes the CPU time of every live descendant; call before processes are stopped. */
  record(): void;
  /** CPU seconds of this process plus the last figure recorded for each descendant. */
  totalSeconds(): number;
}

/**
 * The run's own CPU time, to tell it apart from other work on the machine. A child's time is
 * what it had used at its last record(), so the little it spends after (shutting down) and
 * short-lived tools (openssl, ssh-keygen) are counted as other work: the error makes a
 * warning more likely, never less.
 */
export function createCpuLedger(root: number = process.pid): CpuLedger {
  const seen = new Map<number, number>();
  return {
    record() {
      for (const pid of descendants(root)) {
        const seconds = readCpuSeconds(pid);
        if (seconds !== null) seen.set(pid, Math.max(seen.get(pid) ?? 0, seconds));
      }
    },
    totalSeconds() {
      const self = process.cpuUsage();
      let total = (self.user + self.system) / 1e6;
      for (const seconds of seen.values()) total += seconds;
      return total;
    },
  };
}

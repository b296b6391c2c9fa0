// The probes profile-connections.ts points at a started path's processes: which pids are client
// and server, their CPU time from /proc, and passes under strace -c, perf record and the
// async-hooks preload. Starting paths, timing and reporting are the script's.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { runToCompletion, startProcess } from '../test/harness/processes';
import { descendants } from './machine';
import { measureLatency } from './measure';
import type { Peer } from './peers';
import {
  parsePerfReport,
  parseStraceSummary,
  type HookCounts,
  type PerfSummary,
} from './profile-readers';

export const LATENCY_BOX_MS = 120_000;
const PERF_HZ = 10_000;

export type Role = 'client' | 'server';
export type ByRole<T> = { client: T; server: T };

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The client and server pids of a started path, told apart by command line. */
export function rolesOf(peerName: string): { client: number[]; server: number[] } {
  const out = { client: [] as number[], server: [] as number[] };
  for (const pid of descendants(process.pid)) {
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    if (peerName === 'ssh -L') {
      if (/^ssh /.test(cmd)) out.client.push(pid);
      else if (/sshd/.test(cmd)) out.server.push(pid);
    } else if (cmd.includes('cloudbridge-relay.js')) out.server.push(pid);
    else if (cmd.includes('cloudbridge.js')) out.client.push(pid);
  }
  return out;
}

/** User and system CPU seconds of `pids` together (/proc/PID/stat, 100 ticks a second). */
export function cpuOf(pids: readonly number[]): { user: number; sys: number } {
  const out = { user: 0, sys: 0 };
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.user += Number(fields[11]) / 100;
      out.sys += Number(fields[12]) / 100;
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Syscalls per connection on each process's main thread while `count` connections run. */
export async function stracePass(
  peer: Peer,
  count: number,
  dir: string,
): Promise<ByRole<Record<string, number>>> {
  const roles = rolesOf(peer.name);
  const tracers: (readonly ['client' | 'server', number])[] = [
    ...roles.client.map((p) => ['client', p] as const),
    ...roles.server.map((p) => ['server', p] as const),
  ];
  const files = tracers.map(([role, pid]) => [role, join(dir, `strace-${pid}.txt`)] as const);
  const procs = tracers.map(([, pid], i) =>
    startProcess('strace', ['-c', '-o', files[i]![1], '-p', String(pid)], { name: 'strace' }),
  );
  await pause(500);
  await measureLatency(peer.echoPort, count, LATENCY_BOX_MS);
  await Promise.all(procs.map((p) => (p.signal('SIGINT'), p.waitForExit(10_000))));
  const sum = { client: {} as Record<string, number>, server: {} as Record<string, number> };
  for (const [role, file] of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const [name, calls] of Object.entries(parseStraceSummary(text)))
      sum[role][name] = (sum[role][name] ?? 0) + calls / count;
  }
  return sum;
}

export interface PerfRecorder {
  readonly role: 'client' | 'server';
  readonly file: string;
  readonly proc: ReturnType<typeof startProcess>;
}

export function startPerf(path: string, dir: string): PerfRecorder[] {
  const roles = rolesOf(path);
  const list = [
    ...roles.client.map((pid) => ['client', pid] as const),
    ...roles.server.map((pid) => ['server', pid] as const),
  ];
  return list.map(([role, pid]) => {
    const file = join(dir, `perf-${pid}.data`);
    const args = ['record', '-F', String(PERF_HZ), '-g', '-p', String(pid), '-o', file];
    return { role, file, proc: startProcess('perf', args, { name: 'perf' }) };
  });
}

export async function stopPerf(
  recorders: readonly PerfRecorder[],
  count: number,
): Promise<ByRole<PerfSummary>> {
  await Promise.all(recorders.map((r) => (r.proc.signal('SIGINT'), r.proc.waitForExit(30_000))));
  const out: Partial<Record<'client' | 'server', PerfSummary>> = {};
  for (const r of recorders) {
    const report = await runToCompletion('perf', [
      'report',
      '-i',
      r.file,
      '--stdio',
      '--no-children',
      '-g',
      'none',
      '--sort',
      'dso,sym',
      '--percent-limit',
      '0.3',
    ]);
    const byDso = await runToCompletion('perf', [
      'report',
      '-i',
      r.file,
      '--stdio',
      '--no-children',
      '-g',
      'none',
      '--sort',
      'dso',
    ]);
    out[r.role] = parsePerfReport(`${report.stdout}\n${byDso.stdout}`, count);
  }
  return { client: out.client!, server: out.server! };
}

export async function hooksPass(
  peer: Peer,
  count: number,
  dir: string,
): Promise<ByRole<HookCounts>> {
  const roles = rolesOf(peer.name);
  const all = [...roles.client, ...roles.server];
  for (const pid of all) process.kill(pid, 'SIGUSR2');
  await pause(200);
  await measureLatency(peer.echoPort, count, LATENCY_BOX_MS);
  for (const pid of all) process.kill(pid, 'SIGUSR2');
  await pause(500);
  const read = (pid: number | undefined): HookCounts => {
    const raw = JSON.parse(readFileSync(join(dir, `hooks-${pid}.json`), 'utf8')) as HookCounts;
    const per = (r: Readonly<Record<string, number>>): Record<string, number> =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v / count]));
    return {
      created: per(raw.created),
      callbacks: per(raw.callbacks),
      allocatedBytes: raw.allocatedBytes / count,
      gcs: raw.gcs,
      gcMs: raw.gcMs,
    };
  };
  return { client: read(roles.client[0]), server: read(roles.server[0]) };
}

// What profile-connections.ts reads out of a process: `strace -c` summaries, V8 .cpuprofile
// files restricted to a time window, and the counts its preload script (PRELOAD_SOURCE) writes:
// async resources created and callbacks run by type, bytes allocated, GCs. Parsing and
// summing only; starting processes and timing connections are the script's.

import { readFileSync } from 'node:fs';

/** Calls per syscall name from the table `strace -c -o FILE` writes. */
export function parseStraceSummary(text: string): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const line of text.split('\n')) {
    // "% time  seconds  usecs/call  calls  errors syscall": errors may be blank.
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5 || !/^\d+\.\d+$/.test(fields[0] ?? '')) continue;
    const name = fields[fields.length - 1] ?? '';
    if (name === 'total') continue;
    const count = Number(fields[3]);
    if (Number.isFinite(count)) calls[name] = (calls[name] ?? 0) + count;
  }
  return calls;
}

export interface PerfSummary {
  /** CPU microseconds per unit that perf sampled, all of it and in the kernel. */
  readonly totalUs: number;
  readonly kernelUs: number;
  /** `[dso] symbol` and microseconds per unit, largest first. */
  readonly symbols: readonly (readonly [string, number])[];
  /** Microseconds per unit by shared object (kernel, node, libc, libcrypto, JIT code). */
  readonly dsos: readonly (readonly [string, number])[];
}

/**
 * `perf report --stdio --no-children -g none --sort dso,sym` output of a cpu-clock recording
 * (its event count is in nanoseconds), as microseconds per unit.
 */
export function parsePerfReport(text: string, units: number): PerfSummary {
  const nanoseconds = Number(/^# Event count \(approx\.\): (\d+)/m.exec(text)?.[1] ?? 0);
  const totalUs = nanoseconds / 1000 / units;
  const symbols: [string, number][] = [];
  const dsos = new Map<string, number>();
  let kernel = 0;
  for (const line of text.split('\n')) {
    // "    17.74%  node                  [.] Builtins_RecordWriteSaveFP"; the object may hold
    // spaces ("[JIT] tid 21591"), the mark is one character ([k] kernel, [.] user).
    const match = /^\s+([\d.]+)%\s+(.+?)\s+\[(.)\]\s+(.*)$/.exec(line);
    if (match !== null) {
      const share = Number(match[1]) / 100;
      if (match[3] === 'k') kernel += share;
      symbols.push([`${dsoName(match[2]!)} ${match[4]!.trim()}`, share * totalUs]);
      continue;
    }
    // The report sorted by dso alone: "    47.36%  [JIT] tid 21591".
    const dso = /^\s+([\d.]+)%\s+(.+?)\s*$/.exec(line);
    if (dso === null) continue;
    const name = dsoName(dso[2]!);
    dsos.set(name, (dsos.get(name) ?? 0) + (Number(dso[1]) / 100) * totalUs);
  }
  return { totalUs, kernelUs: kernel * totalUs, symbols, dsos: [...dsos.entries()] };
}

/** JIT code is named by thread ("[JIT] tid 21591"); one name lets runs be compared. */
function dsoName(raw: string): string {
  return raw.startsWith('[JIT]') ? '[JIT]' : raw;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface CpuSummary {
  /** Samples taken inside the window and their mean spacing. */
  readonly samples: number;
  readonly sampleUs: number;
  /** Microseconds per unit (connection) by function, self and inclusive, largest first. */
  readonly self: readonly (readonly [string, number])[];
  readonly total: readonly (readonly [string, number])[];
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url === '' ? '' : (url.split('/').pop() ?? url);
  const name = functionName === '' ? '(anonymous)' : functionName;
  return file === '' ? name : `${name} ${file}:${lineNumber + 1}`;
}

/** A .cpuprofile file as written by `node --cpu-prof`. */
export function readCpuProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

/**
 * Self and inclusive time per function of the samples taken between `fromUs` and `toUs`
 * (CLOCK_MONOTONIC microseconds, the clock of process.hrtime and of V8's profiler), divided
 * by `units`. Idle time is left out.
 */
export function summarizeCpuProfile(
  profile: CpuProfile,
  fromUs: number,
  toUs: number,
  units: number,
  top = 80,
): CpuSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let t = profile.startTime;
  let count = 0;
  let spacing = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (t < fromUs || t > toUs) continue;
    const node = byId.get(profile.samples[i] ?? -1);
    if (node === undefined || node.callFrame.functionName === '(idle)') continue;
    count += 1;
    spacing += delta;
    const name = frameName(node);
    self.set(name, (self.get(name) ?? 0) + 1);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id);
      if (frame === undefined || frame.callFrame.functionName === '(root)') continue;
      const key = frameName(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + 1);
    }
  }
  const sampleUs = count === 0 ? 0 : spacing / count;
  const rank = (map: Map<string, number>): (readonly [string, number])[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, n]) => [name, (n * sampleUs) / units] as const);
  return { samples: count, sampleUs, self: rank(self), total: rank(total) };
}

/** What the preload script writes when its window closes. */
export interface HookCounts {
  /** Async resources created, by type (PROMISE, TCPWRAP, Timeout, TickObject, ...). */
  readonly created: Readonly<Record<string, number>>;
  /** Callbacks run (async_hooks `before`), by the type of their resource. */
  readonly callbacks: Readonly<Record<string, number>>;
  /** Bytes allocated on the V8 heap in the window (collected by GCs plus growth). */
  readonly allocatedBytes: number;
  readonly gcs: number;
  readonly gcMs: number;
}

/**
 * Plain CommonJS for `node --require`: SIGUSR2 opens a window (async hooks on, a GC profiler
 * started), the next SIGUSR2 closes it and writes HookCounts as JSON to
 * $CB_PROFILE_DIR/hooks-PID.json. Off between windows, so it costs nothing while latency is
 * measured.
 */
export const PRELOAD_SOURCE = `'use strict';
const { createHook } = require('node:async_hooks');
const v8 = require('node:v8');
const fs = require('node:fs');
const out = require('node:path').join(process.env.CB_PROFILE_DIR || '.', 'hooks-' + process.pid + '.json');
let open = null;
process.on('SIGUSR2', () => {
  if (open === null) {
    const created = Object.create(null);
    const callbacks = Object.create(null);
    const types = new Map();
    const hook = createHook({
      init(id, type) { created[type] = (created[type] || 0) + 1; types.set(id, type); },
      before(id) { const t = types.get(id) || 'other'; callbacks[t] = (callbacks[t] || 0) + 1; },
      destroy(id) { types.delete(id); },
      promiseResolve() {},
    });
    const gc = new v8.GCProfiler();
    gc.start();
    open = { hook, gc, created, callbacks, used: v8.getHeapStatistics().used_heap_size };
    hook.enable();
    return;
  }
  const { hook, gc, created, callbacks, used } = open;
  open = null;
  hook.disable();
  const end = v8.getHeapStatistics().used_heap_size;
  const stats = gc.stop();
  let collected = 0;
  let gcMs = 0;
  for (const s of stats.statistics) {
    collected += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
    gcMs += s.cost / 1000;
  }
  fs.writeFileSync(out, JSON.stringify({
    created, callbacks, allocatedBytes: end - used + collected,
    gcs: stats.statistics.length, gcMs,
  }));
});
`;

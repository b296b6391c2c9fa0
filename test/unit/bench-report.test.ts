// The bench report from a fixed record: the Node version and sizes on top, medians with their
// spread, CPU seconds per GiB per process, notes by round, the README's Markdown table, and
// the BENCH_* overrides.
import { describe, expect, it } from 'vitest';

import { fmt, formatRange, formatSummary, pad, ratio, widthsOf } from '../../bench/format';
import {
  DEFAULT_SETTINGS,
  MIB,
  cpuPerGib,
  pathCpuPerGib,
  settingsFromEnv,
} from '../../bench/record';
import {
  headerLines,
  noteLines,
  renderMarkdown,
  renderReport,
  tableRows,
} from '../../bench/report';
import { benchRecord, QUIET, throughput, type Figures } from './bench-fixture';

function rounds(): Readonly<Record<string, Figures>>[] {
  const round = (tunnelOne: number, kib: number): Record<string, Figures> => ({
    direct: { one: 2400, eight: 1800, p50: 0.139, p99: 0.5, kib: 0 },
    tunnel: {
      one: tunnelOne,
      eight: 494,
      cpu: { client: 1.7, server: 1.6 },
      p50: 0.871,
      p99: 4.993,
      kib,
    },
    published: {
      one: 160,
      eight: 150,
      cpu: { client: 4.5, server: 1.2 },
      p50: 3.1,
      p99: 9.2,
      kib: 40,
      failures: 744,
    },
    stunnel: { one: 504, eight: 597, cpu: { client: 1.2, server: 1.5 }, p50: 2.358, kib: 184 },
    'ssh -L': { one: 535, eight: 450, cpu: { client: 1.1, server: 1.1 }, p50: 0.28, kib: 66 },
    'node pipe': { one: 464, eight: 463, cpu: { client: 1.5, server: 1.7 }, p50: 4.632, kib: 63 },
  });
  return [round(427, 8), round(400, 9), round(440, 7)];
}

describe('bench figures', () => {
  it('writes a median with ± half the range or its range, and marks a figure some rounds lack', () => {
    expect(formatSummary({ median: 427, min: 400, max: 440, count: 3 }, 0, 3)).toBe('427 ±20');
    expect(formatSummary({ median: 0.871, min: 0.8, max: 0.9, count: 2 }, 3, 3)).toBe(
      '0.871 ±0.050 (2/3)',
    );
    expect(formatSummary({ median: 5, min: 5, max: 5, count: 1 }, 1, 3)).toBe('5.0 (1/3)');
    expect(formatSummary(null, 0, 3)).toBe('n/a');
    expect(formatRange({ median: 427, min: 400, max: 440, count: 3 }, 0, 3)).toBe('427 (400-440)');
    expect(formatRange({ median: 0.5, min: 0.4, max: 0.6, count: 2 }, 1, 3)).toBe(
      '0.5 (0.4-0.6, 2/3)',
    );
    expect(formatRange({ median: 5, min: 5, max: 5, count: 1 }, 0, 3)).toBe('5 (1/3)');
    expect(formatRange({ median: 5, min: 5, max: 5, count: 1 }, 0, 1)).toBe('5');
    expect(fmt(Number.NaN)).toBe('n/a');
    expect(ratio(1, 0)).toBe('n/a');
    expect(ratio(3, 2)).toBe('1.50x');
  });

  it('turns CPU seconds over a transfer into seconds per GiB for each process', () => {
    // 512 MiB with 0.85 s in the client is 1.7 s per GiB.
    const r = throughput(427, { client: 1.7, server: 1.6 });
    expect(cpuPerGib(r, 'client')).toBeCloseTo(1.7, 10);
    expect(cpuPerGib(r, 'server')).toBeCloseTo(1.6, 10);
    expect(pathCpuPerGib(r)).toBeCloseTo(3.3, 10);
    // Direct has no process on the path; a failed case has no figure.
    expect(cpuPerGib(throughput(2400), 'client')).toBeNull();
    expect(cpuPerGib({ ...r, error: 'reset' }, 'client')).toBeNull();
    expect(cpuPerGib({ ...r, bytes: 0 }, 'client')).toBeNull();
  });

  it('pads the first column left and the rest right', () => {
    const rows = [
      ['', 'a', 'bb'],
      ['label', '1', '22 ±3'],
    ];
    const widths = widthsOf(rows);
    expect(widths).toEqual([5, 1, 5]);
    expect(rows.map((row) => pad(row, widths))).toEqual(['       a     bb', 'label  1  22 ±3']);
  });
});

describe('bench report', () => {
  it('opens with the Node version, the sizes per round and the load', () => {
    const [first, method, sizes, load] = headerLines(benchRecord(rounds()));
    expect(first).toBe(
      'CloudBridge bench on Node v24.21.0, 2026-12-01T10:00:00.000Z, loopback, 300 s',
    );
    expect(method).toMatch(
      /^3 rounds, the paths interleaved within each case \(round 1: direct, tunnel, published, stunnel, ssh -L, node pipe;/,
    );
    expect(sizes).toBe(
      'per round and path: 512 MiB per throughput case, 1000 sequential and 1000 concurrent connections, after a warm-up of 256 MiB and 500 connections',
    );
    expect(load).toMatch(
      /^load average 1\/5\/15 min: at start 0\.10 0\.20 0\.30 on 2 CPUs, at end/,
    );
  });

  it('shows each path’s medians with their spread, CPU per GiB per process', () => {
    const table = tableRows(benchRecord(rounds()));
    const row = (label: string): string[] | undefined => table.find((r) => r[0] === label);
    expect(table[0]).toEqual([
      '',
      'direct',
      'tunnel',
      'published',
      'stunnel',
      'ssh -L',
      'node pipe',
    ]);
    expect(row('1 stream MB/s')).toEqual([
      '1 stream MB/s',
      '2400 ±0',
      '427 ±20',
      '160 ±0',
      '504 ±0',
      '535 ±0',
      '464 ±0',
    ]);
    expect(row('1 stream CPU s/GiB client')?.slice(1)).toEqual([
      'n/a',
      '1.70 ±0.00',
      '4.50 ±0.00',
      '1.20 ±0.00',
      '1.10 ±0.00',
      '1.50 ±0.00',
    ]);
    expect(row('8 streams CPU s/GiB relay/server')?.[2]).toBe('1.60 ±0.00');
    expect(row('new conn p99 ms')?.[2]).toBe('4.993 ±0.000');
    expect(row('KiB per connection')?.[2]).toBe('8.0 ±1.0');
    expect(row('new conn p50 ms')?.[3]).toBe('3.100 ±0.000');
    expect(row('1000 conc. failed, worst round')?.slice(1)).toEqual([
      '0',
      '0',
      '744',
      '0',
      '0',
      '0',
    ]);
  });

  it('shows the worst round’s failures, not the median', () => {
    const r = rounds();
    r[1] = { ...r[1], tunnel: { ...r[1]!['tunnel'], failures: 12 } };
    const failed = tableRows(benchRecord(r)).find(
      (row) => row[0] === '1000 conc. failed, worst round',
    );
    expect(failed?.[2]).toBe('12');
  });

  it('notes each error by path and round, and leaves a path that never started as n/a', () => {
    const r = rounds();
    r[0] = { ...r[0], stunnel: { error: 'could not start: stunnel4 exited' } };
    r[2] = { ...r[2], stunnel: { error: 'could not start: stunnel4 exited' } };
    const record = benchRecord(r);
    expect(noteLines(record)).toEqual([
      // The published server's refusals past its 256 streams, in every round.
      'note published, round 1: connect ECONNREFUSED',
      'note published, round 2: connect ECONNREFUSED',
      'note published, round 3: connect ECONNREFUSED',
      'note stunnel, round 1: could not start: stunnel4 exited',
      'note stunnel, round 3: could not start: stunnel4 exited',
    ]);
    const one = tableRows(record).find((row) => row[0] === '1 stream MB/s');
    expect(one?.[4]).toBe('504 (1/3)');
  });

  it('puts load warnings above the table and again under the verdicts', () => {
    const busy = { ...QUIET, start: { loadAverage: [1.5, 1, 1] as const, cpus: 2 } };
    const lines = renderReport(benchRecord(rounds(), busy)).split('\n');
    const warnings = lines.filter((l) => l.startsWith('warning: at start'));
    expect(warnings).toHaveLength(2);
    expect(lines.indexOf(warnings[0]!)).toBeLessThan(
      lines.findIndex((l) => l.startsWith('1 stream MB/s')),
    );
    expect(lines.lastIndexOf(warnings[0]!)).toBeGreaterThan(
      lines.findIndex((l) => l.startsWith('verdict')),
    );
    expect(renderReport(benchRecord(rounds()))).not.toContain('warning');
  });

  it('sets the published server against the tunnel under the ratios, before the verdicts', () => {
    const lines = renderReport(benchRecord(rounds())).split('\n');
    const published = lines.findIndex((l) => l.startsWith('ratios published/tunnel'));
    expect(lines[published]).toContain('1 stream 0.37x');
    expect(published).toBeGreaterThan(lines.findIndex((l) => l.startsWith('ratios tunnel/')));
    expect(published).toBeLessThan(lines.findIndex((l) => l.startsWith('verdict')));
    expect(lines.filter((l) => l.startsWith('verdict'))).toHaveLength(5);
  });

  it('renders the README table in Markdown under the Node version and the method', () => {
    const lines = renderMarkdown(benchRecord(rounds())).split('\n');
    expect(lines[0]).toBe(
      'Node v24.21.0, 2026-12-01: medians of 3 interleaved rounds ± half their range; per round 512 MiB per throughput case, 1000 sequential and 1000 concurrent connections.',
    );
    expect(lines[2]).toBe('|  | direct | tunnel | published | stunnel | ssh -L | node pipe |');
    expect(lines[3]).toBe('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    expect(lines[4]).toBe(
      '| 1 stream MB/s | 2400 ±0 | 427 ±20 | 160 ±0 | 504 ±0 | 535 ±0 | 464 ±0 |',
    );
  });
});

describe('bench settings', () => {
  it('defaults to three rounds of 512 MiB and 1,000 connections', () => {
    expect(settingsFromEnv({})).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS).toMatchObject({
      bytes: 512 * MIB,
      connections: 1000,
      concurrent: 1000,
      rounds: 3,
    });
  });

  it('takes the BENCH_* overrides and refuses values that are not whole numbers', () => {
    const s = settingsFromEnv({
      BENCH_BYTES: String(64 * MIB),
      BENCH_CONNECTIONS: '200',
      BENCH_CONCURRENT: '200',
      BENCH_ROUNDS: '5',
      BENCH_WARMUP_BYTES: '0',
      BENCH_RUN_BOX_S: '60',
    });
    expect(s).toMatchObject({
      bytes: 64 * MIB,
      connections: 200,
      concurrent: 200,
      rounds: 5,
      warmupBytes: 0,
      runBoxSeconds: 60,
    });
    expect(() => settingsFromEnv({ BENCH_ROUNDS: '0' })).toThrow(
      'BENCH_ROUNDS must be a whole number of at least 1, not "0"',
    );
    expect(() => settingsFromEnv({ BENCH_BYTES: '1e9x' })).toThrow(/BENCH_BYTES/);
    expect(() => settingsFromEnv({ BENCH_CONNECTIONS: '2.5' })).toThrow(/BENCH_CONNECTIONS/);
  });
});

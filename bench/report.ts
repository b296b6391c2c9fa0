// The benchmark's report from a BenchRecord: the header (Node version, sizes, method, load),
// the table of medians with their spread, per-round notes, ratios and verdicts, and the same
// table as Markdown for the README. Pure: the record in, text out.

import { fmt, formatSummary, pad, widthsOf } from './format';
import {
  MIB,
  cpuPerGib,
  mbPerSecond,
  p50,
  p99,
  series,
  summaryOf,
  type BenchRecord,
  type PathRound,
  type Pick,
} from './record';
import { loadLine, loadWarnings, publishedLines, ratioLines, verdictLines } from './verdicts';

interface Row {
  readonly label: string;
  readonly digits: number;
  readonly pick: Pick;
  /** Show the worst (largest) round instead of the median: a failure in one round counts. */
  readonly worst?: boolean;
}

function rowsFor(record: BenchRecord): Row[] {
  const rss =
    (role: string): Pick =>
    (r) => {
      const growth = r.concurrency?.rssGrowth[role];
      return growth === undefined ? null : growth / MIB;
    };
  return [
    { label: '1 stream MB/s', digits: 0, pick: (r) => mbPerSecond(r.one) },
    { label: '8 streams MB/s', digits: 0, pick: (r) => mbPerSecond(r.eight) },
    { label: '1 stream CPU s/GiB client', digits: 2, pick: (r) => cpuPerGib(r.one, 'client') },
    {
      label: '1 stream CPU s/GiB relay/server',
      digits: 2,
      pick: (r) => cpuPerGib(r.one, 'server'),
    },
    { label: '8 streams CPU s/GiB client', digits: 2, pick: (r) => cpuPerGib(r.eight, 'client') },
    {
      label: '8 streams CPU s/GiB relay/server',
      digits: 2,
      pick: (r) => cpuPerGib(r.eight, 'server'),
    },
    { label: 'new conn p50 ms', digits: 3, pick: p50 },
    { label: 'new conn p99 ms', digits: 3, pick: p99 },
    {
      label: `${record.settings.concurrent} conc. failed, worst round`,
      digits: 0,
      pick: (r) => r.concurrency?.failures,
      worst: true,
    },
    { label: 'client RSS +MiB', digits: 1, pick: rss('client') },
    { label: 'relay/server RSS +MiB', digits: 1, pick: rss('server') },
    {
      label: 'KiB per connection',
      digits: 1,
      pick: (r) => {
        const bytes = r.concurrency?.bytesPerConnection;
        return bytes === null || bytes === undefined ? null : bytes / 1024;
      },
    },
  ];
}

function cell(record: BenchRecord, path: string, row: Row): string {
  if (row.worst) {
    const values = series(record, path, row.pick).filter((v): v is number => v !== null);
    return values.length === 0 ? 'n/a' : fmt(Math.max(...values), row.digits);
  }
  return formatSummary(summaryOf(record, path, row.pick), row.digits, record.settings.rounds);
}

/** Header row, then one row per figure: a label and one cell per path. */
export function tableRows(record: BenchRecord): string[][] {
  return [
    ['', ...record.paths],
    ...rowsFor(record).map((row) => [row.label, ...record.paths.map((p) => cell(record, p, row))]),
  ];
}

/** The README's table, under a line that says what produced it. */
export function renderMarkdown(record: BenchRecord): string {
  const s = record.settings;
  const [head = [], ...body] = tableRows(record);
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [
    `Node ${record.node}, ${record.startedAt.slice(0, 10)}: medians of ${s.rounds} interleaved rounds ± half their range; per round ${s.bytes / MIB} MiB per throughput case, ${s.connections} sequential and ${s.concurrent} concurrent connections.`,
    '',
    line(head),
    line(head.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...body.map(line),
    '',
  ].join('\n');
}

export function headerLines(record: BenchRecord): string[] {
  const s = record.settings;
  return [
    `CloudBridge bench on Node ${record.node}, ${record.startedAt}, loopback, ${record.seconds.toFixed(0)} s`,
    `${s.rounds} rounds, the paths interleaved within each case (round 1: ${record.paths.join(', ')}; each later round starts one path on); each figure is the median across rounds ± half its range`,
    `per round and path: ${s.bytes / MIB} MiB per throughput case, ${s.connections} sequential and ${s.concurrent} concurrent connections, after a warm-up of ${s.warmupBytes / MIB} MiB and ${s.warmupConnections} connections`,
    loadLine(record.machine, record.seconds),
  ];
}

/** Every error and time-box note, by path and round. */
export function noteLines(record: BenchRecord): string[] {
  const out: string[] = [];
  for (const path of record.paths) {
    for (const round of record.rounds) {
      const r: PathRound | undefined = round.paths[path];
      if (r === undefined) continue;
      const notes = [
        r.error,
        r.one?.error,
        r.one?.note,
        r.eight?.error,
        r.eight?.note,
        r.latency?.error,
        r.concurrency?.firstError,
      ].filter((e): e is string => !!e);
      if (notes.length > 0) out.push(`note ${path}, round ${round.round}: ${notes.join('; ')}`);
    }
  }
  return out;
}

export function renderReport(record: BenchRecord): string {
  const rows = tableRows(record);
  const widths = widthsOf(rows);
  const warnings = loadWarnings(record.machine, record.seconds);
  const notes = noteLines(record);
  return [
    ...headerLines(record),
    ...warnings,
    '',
    ...rows.map((row) => pad(row, widths)),
    '',
    ...(notes.length > 0 ? [...notes, ''] : []),
    ...ratioLines(record),
    ...publishedLines(record),
    '',
    ...verdictLines(record),
    // Repeated under the verdicts, which are what gets quoted.
    ...(warnings.length > 0 ? ['', ...warnings] : []),
    '',
  ].join('\n');
}

// `npm run bench`: one run on loopback comparing our tunnel with direct, a stunnel4 pair and
// `ssh -L` (and, for reference, a plain Node.js TLS pipe): bulk throughput (1 and 8 streams),
// new-connection latency (p50/p99 over 2,000 sequential connections) and 1,000 concurrent
// connections (failures, RSS). Prints a table with ratios and a verdict per target (against
// stunnel and ssh -L), and saves it to artifacts/bench.txt. Nothing here is
// hard-coded: every figure comes from this run, and a failed peer is shown as failed.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

import { stopAllProcesses } from '../test/harness/processes';
import {
  measureConcurrency,
  measureLatency,
  measureThroughput,
  startCountingSink,
  startEchoTarget,
  type ConcurrencyResult,
  type LatencyResult,
  type ThroughputResult,
} from './measure';
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
import { tunnelPeer } from './tunnel-peer';

const MIB = 1024 * 1024;
const TOTAL_BYTES = Number(process.env['BENCH_BYTES'] ?? 1024 * MIB);
const LATENCY_CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 2_000);
const CONCURRENT = Number(process.env['BENCH_CONCURRENT'] ?? 1_000);
const WARMUP_BYTES = Number(process.env['BENCH_WARMUP_BYTES'] ?? 256 * MIB);
const WARMUP_CONNECTIONS = 500;
const THROUGHPUT_BOX_MS = 20_000;
const LATENCY_BOX_MS = 40_000;
const CONCURRENCY_BOX_MS = 30_000;
/** The whole run stops here, whatever is left. */
const RUN_BOX_MS = 5 * 60_000;

interface PeerResult {
  readonly name: string;
  readonly one: ThroughputResult | null;
  readonly eight: ThroughputResult | null;
  readonly latency: LatencyResult | null;
  readonly concurrency: ConcurrencyResult | null;
  readonly error: string | null;
}

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

async function runPeer(name: string, start: () => Promise<Peer>): Promise<PeerResult> {
  let peer: Peer;
  try {
    peer = await start();
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    log(`${name}: could not start: ${message}`);
    return { name, one: null, eight: null, latency: null, concurrency: null, error: message };
  }
  try {
    // Unmeasured warm-up, the same for every peer: a JIT compiles its hot paths over the
    // first few hundred MB and connections (C peers have nothing to warm). The figures below
    // are the steady state a long-running tunnel sees.
    log(`${name}: warm-up, ${WARMUP_BYTES / MIB} MiB and ${WARMUP_CONNECTIONS} connections`);
    await measureThroughput(peer.sinkPort, 1, WARMUP_BYTES, THROUGHPUT_BOX_MS, () =>
      peer.sampleCpu(),
    );
    await measureLatency(peer.echoPort, WARMUP_CONNECTIONS, LATENCY_BOX_MS);
    log(`${name}: 1 stream`);
    const one = await measureThroughput(peer.sinkPort, 1, TOTAL_BYTES, THROUGHPUT_BOX_MS, () =>
      peer.sampleCpu(),
    );
    log(`${name}: 8 streams`);
    const eight = await measureThroughput(peer.sinkPort, 8, TOTAL_BYTES, THROUGHPUT_BOX_MS, () =>
      peer.sampleCpu(),
    );
    log(`${name}: ${LATENCY_CONNECTIONS} sequential connections`);
    const latency = await measureLatency(peer.echoPort, LATENCY_CONNECTIONS, LATENCY_BOX_MS);
    log(`${name}: ${CONCURRENT} concurrent connections`);
    const concurrency = await measureConcurrency(
      peer.echoPort,
      CONCURRENT,
      () => peer.sampleRss(),
      CONCURRENCY_BOX_MS,
    );
    return { name: peer.name, one, eight, latency, concurrency, error: null };
  } finally {
    await peer.close();
  }
}

const mbps = (r: ThroughputResult | null): number | null =>
  r === null || r.error !== null ? null : r.bytesPerSecond / 1e6;

function fmt(value: number | null, digits = 0): string {
  return value === null || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
}

function ratio(a: number | null, b: number | null): string {
  return a === null || b === null || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`;
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
    .join('  ');
}

/** Load on the machine: other work on the same cores skews every column, so say how much there was. */
function loadLine(label: string): string {
  const [one, five] = loadavg();
  return `${label} load average ${one?.toFixed(2)} (1 min), ${five?.toFixed(2)} (5 min) on ${cpus().length} cores`;
}

function render(results: readonly PeerResult[], elapsedS: number, loadBefore: string): string {
  const tunnel = results.find((r) => r.name === 'tunnel');
  const direct = results.find((r) => r.name === 'direct');
  const nodePipe = results.find((r) => r.name === 'node pipe');
  const peers = results.filter((r) => r.name === 'stunnel' || r.name === 'ssh -L');
  const ssh = results.find((r) => r.name === 'ssh -L');
  const best = (
    pick: (r: PeerResult) => number | null,
    higherIsBetter: boolean,
  ): { value: number | null; name: string } => {
    let out: { value: number | null; name: string } = { value: null, name: 'none' };
    for (const peer of peers) {
      const v = pick(peer);
      if (v === null || !Number.isFinite(v)) continue;
      if (out.value === null || (higherIsBetter ? v > out.value : v < out.value))
        out = { value: v, name: peer.name };
    }
    return out;
  };
  const p50 = (r: PeerResult | undefined): number | null =>
    r?.latency && r.latency.count > 0 ? r.latency.p50Ms : null;
  const p99 = (r: PeerResult | undefined): number | null =>
    r?.latency && r.latency.count > 0 ? r.latency.p99Ms : null;
  const rows: string[][] = [['', ...results.map((r) => r.name)]];
  rows.push(['1 stream MB/s', ...results.map((r) => fmt(mbps(r.one)))]);
  rows.push(['8 streams MB/s', ...results.map((r) => fmt(mbps(r.eight)))]);
  const cpu = (r: ThroughputResult | null): string =>
    r === null || Object.keys(r.cpuSeconds).length === 0
      ? 'n/a'
      : `${(r.cpuSeconds['client'] ?? 0).toFixed(1)}/${(r.cpuSeconds['server'] ?? 0).toFixed(1)}`;
  rows.push(['1 stream CPU s cli/srv', ...results.map((r) => cpu(r.one))]);
  rows.push(['8 streams CPU s cli/srv', ...results.map((r) => cpu(r.eight))]);
  rows.push(['new conn p50 ms', ...results.map((r) => fmt(p50(r), 3))]);
  rows.push(['new conn p99 ms', ...results.map((r) => fmt(p99(r), 3))]);
  rows.push([
    `${CONCURRENT} conc. ok`,
    ...results.map((r) => (r.concurrency ? String(r.concurrency.established) : 'n/a')),
  ]);
  rows.push([
    `${CONCURRENT} conc. failed`,
    ...results.map((r) => (r.concurrency ? String(r.concurrency.failures) : 'n/a')),
  ]);
  rows.push([
    'client RSS +MiB',
    ...results.map((r) =>
      fmt(
        r.concurrency?.rssGrowth['client'] === undefined
          ? null
          : r.concurrency.rssGrowth['client'] / MIB,
        1,
      ),
    ),
  ]);
  rows.push([
    'relay/server RSS +MiB',
    ...results.map((r) =>
      fmt(
        r.concurrency?.rssGrowth['server'] === undefined
          ? null
          : r.concurrency.rssGrowth['server'] / MIB,
        1,
      ),
    ),
  ]);
  rows.push([
    'KiB per connection',
    ...results.map((r) =>
      fmt(
        r.concurrency?.bytesPerConnection == null ? null : r.concurrency.bytesPerConnection / 1024,
        1,
      ),
    ),
  ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const lines = [
    `CloudBridge bench, ${new Date().toISOString()}, loopback, ${TOTAL_BYTES / MIB} MiB per throughput case, ${LATENCY_CONNECTIONS} sequential and ${CONCURRENT} concurrent connections, after a warm-up of ${WARMUP_BYTES / MIB} MiB and ${WARMUP_CONNECTIONS} connections per peer, ${elapsedS.toFixed(0)} s`,
    `${loadBefore}; ${loadLine('after:')}`,
    '',
    ...rows.map((row) => pad(row, widths)),
    '',
  ];
  for (const r of results) {
    const errors = [
      r.error,
      r.one?.error,
      r.one?.note,
      r.eight?.error,
      r.eight?.note,
      r.latency?.error,
      r.concurrency?.firstError,
    ].filter((e): e is string => !!e);
    if (errors.length > 0) lines.push(`note ${r.name}: ${errors.join('; ')}`);
  }
  if (tunnel) {
    const t1 = mbps(tunnel.one);
    const t8 = mbps(tunnel.eight);
    const b1 = best((r) => mbps(r.one), true);
    const b8 = best((r) => mbps(r.eight), true);
    const bp50 = best((r) => p50(r), false);
    lines.push('');
    lines.push(
      `ratios tunnel/best peer: 1 stream ${ratio(t1, b1.value)} (${b1.name}), 8 streams ${ratio(t8, b8.value)} (${b8.name}), p50 ${ratio(p50(tunnel), bp50.value)} (${bp50.name})`,
    );
    lines.push(
      `ratios tunnel/direct:    1 stream ${ratio(t1, mbps(direct?.one ?? null))}, 8 streams ${ratio(t8, mbps(direct?.eight ?? null))}, p50 ${ratio(p50(tunnel), p50(direct))}`,
    );
    // The reference pipe is not a peer the targets name; it shows what Node's TLS allows.
    lines.push(
      `ratios tunnel/node pipe: 1 stream ${ratio(t1, mbps(nodePipe?.one ?? null))}, 8 streams ${ratio(t8, mbps(nodePipe?.eight ?? null))}, p50 ${ratio(p50(tunnel), p50(nodePipe))}`,
    );
    const verdict = (ok: boolean | null): string =>
      ok === null ? 'UNKNOWN' : ok ? 'MET' : 'NOT MET';
    lines.push('');
    lines.push(
      `verdict 1-stream throughput >= best peer: ${verdict(t1 === null || b1.value === null ? null : t1 >= b1.value)} (${fmt(t1)} vs ${fmt(b1.value)} MB/s ${b1.name})`,
    );
    lines.push(
      `verdict 8-stream throughput >= best peer: ${verdict(t8 === null || b8.value === null ? null : t8 >= b8.value)} (${fmt(t8)} vs ${fmt(b8.value)} MB/s ${b8.name})`,
    );
    const sp50 = p50(ssh);
    const tp50 = p50(tunnel);
    lines.push(
      `verdict new-connection p50 <= ssh -L: ${verdict(tp50 === null || sp50 === null ? null : tp50 <= sp50)} (${fmt(tp50, 3)} vs ${fmt(sp50, 3)} ms)`,
    );
    const c = tunnel.concurrency;
    lines.push(
      `verdict ${CONCURRENT} concurrent with no failures: ${verdict(c === null ? null : c.failures === 0 && c.established === CONCURRENT)} (${c ? `${c.established} ok, ${c.failures} failed` : 'not run'})`,
    );
  }
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadBefore = loadLine('before:');
  const runTimer = setTimeout(() => {
    log('the run exceeded its 5-minute box; stopping');
    void stopAllProcesses().finally(() => process.exit(1));
  }, RUN_BOX_MS);
  const sink = await startCountingSink();
  const echo = await startEchoTarget();
  const targets: Targets = { sinkPort: sink.port, echoPort: echo.port };
  const temp = tempDir();
  const results: PeerResult[] = [];
  try {
    const cert = await makeCertificate(temp.dir);
    results.push(await runPeer('direct', () => Promise.resolve(directPeer(targets))));
    results.push(await runPeer('tunnel', () => tunnelPeer(targets, temp.dir, cert)));
    results.push(await runPeer('stunnel', () => stunnelPeer(targets, temp.dir, cert)));
    results.push(await runPeer('ssh -L', () => sshPeer(targets)));
    results.push(await runPeer('node pipe', () => nodePipePeer(targets, cert)));
  } finally {
    await stopAllProcesses();
    await sink.close();
    await echo.close();
    temp.remove();
    clearTimeout(runTimer);
  }
  const table = render(results, (Date.now() - started) / 1000, loadBefore);
  process.stdout.write(table);
  mkdirSync('artifacts', { recursive: true });
  writeFileSync('artifacts/bench.txt', table);
  log('saved artifacts/bench.txt');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  void stopAllProcesses().finally(() => process.exit(1));
});

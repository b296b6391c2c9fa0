// `npm run bench:loop`: how long the desktop main process's event loop is held up while 1 GiB
// goes through a tunnel, with the engine in main (before) and in the engine host child
// (after), in one run of alternating rounds. This process plays main (the real services); the relay, the sink and
// the sender are child processes, so what is measured here is the engine's share only.

import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { createForkTransport, childEnvironment } from '../src-main/engine-host/transport';
import { createAppServices, type AppServices } from '../src-main/services/app-services';
import { createMemorySecretStore } from '../src-main/services/secret-store';
import type { Result } from '../src-main/shared/ipc-contract';
import { startProcess, type ManagedProcess } from '../test/harness/processes';
import { freePort } from '../test/harness/traffic';
import { startBenchRelay } from './bench-relay';
import { makeCertificate, tempDir } from './peers';

const TOTAL_BYTES = Number(process.env.BENCH_LOOP_BYTES ?? 1024 * 1024 * 1024);
const WARMUP_BYTES = 64 * 1024 * 1024;
const TIME_BOX_MS = 120_000;
/**
 * The histogram's sampling tick. It records the whole time between ticks, so the tick itself
 * is taken off every figure: what is left is how late the loop was.
 */
const RESOLUTION_MS = 1;
const ROUNDS = Number(process.env.BENCH_LOOP_ROUNDS ?? 3);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function medianFigures(all: readonly Figures[]): Figures {
  return {
    p99Ms: median(all.map((f) => f.p99Ms)),
    maxMs: median(all.map((f) => f.maxMs)),
    meanMs: median(all.map((f) => f.meanMs)),
    mbPerSecond: median(all.map((f) => f.mbPerSecond)),
    mainCpuSeconds: median(all.map((f) => f.mainCpuSeconds)),
  };
}

/** dist/bench/main-loop-delay.js -> dist/<dir>/<name>. */
function built(dir: string, name: string): string {
  return join(dirname(process.argv[1] ?? '.'), '..', dir, name);
}

/** A counting sink in its own process: prints its port, then one count line per connection. */
const SINK = `
const net = require('node:net');
const server = net.createServer({ allowHalfOpen: true }, (s) => {
  let n = 0;
  s.on('data', (d) => (n += d.length));
  s.on('end', () => s.end(n + '\\n'));
  s.on('error', () => s.destroy());
});
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
`;

/** Sends argv[2] bytes to port argv[1] and prints what the sink counted. */
const SENDER = `
const net = require('node:net');
const [port, total] = [Number(process.argv[1]), Number(process.argv[2])];
const block = Buffer.alloc(256 * 1024, 0x5a);
const s = net.connect(port, '127.0.0.1');
let sent = 0; let reply = '';
s.on('data', (d) => (reply += d));
s.on('end', () => { console.log('counted ' + reply.trim()); process.exit(0); });
s.on('error', (e) => { console.log('error ' + e.message); process.exit(1); });
const pump = () => {
  while (sent < total) { sent += block.length; if (!s.write(block)) return; }
  s.end();
};
s.on('connect', pump); s.on('drain', pump);
`;

interface Figures {
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
  readonly mbPerSecond: number;
  readonly mainCpuSeconds: number;
}

function expectOk(result: Result<unknown>): void {
  if (!result.ok) throw new Error(`request failed: ${JSON.stringify(result.error)}`);
}

async function startRelay(dir: string, cert: { cert: string; key: string }) {
  const bench = await startBenchRelay({
    dir,
    cert,
    cliDir: join(dirname(process.argv[1] ?? '.'), '..', 'cli'),
    name: 'relay',
    allow: ['127.0.0.0/8'],
  });
  return { relay: bench.process, port: bench.port, token: await bench.token('bench') };
}

async function send(port: number, bytes: number): Promise<number> {
  const sender = startProcess(process.execPath, ['-e', SENDER, String(port), String(bytes)], {
    name: 'sender',
  });
  const line = await sender.waitForLine(/^(counted|error) /m, TIME_BOX_MS);
  await sender.waitForExit(5_000).catch(() => undefined);
  const counted = /^counted (\d+)/.exec(line);
  if (!counted) throw new Error(`sender: ${line}`);
  return Number(counted[1]);
}

function services(mode: 'in-process' | 'engine host', dataDir: string): AppServices {
  return createAppServices({
    dataDir,
    secretStore: createMemorySecretStore(),
    launch: () => Promise.resolve(),
    ...(mode === 'engine host'
      ? {
          engineHost: {
            start: () =>
              createForkTransport(built('engine-host', 'host-child.js'), {
                env: childEnvironment(process.env),
              }),
          },
        }
      : {}),
  });
}

async function measure(
  mode: 'in-process' | 'engine host',
  relay: { port: number; token: string },
  caFile: string,
  sinkPort: number,
): Promise<Figures> {
  const { dir, remove } = tempDir();
  const app = services(mode, dir);
  try {
    await app.start();
    expectOk(
      await app.router.handle('cloudbridge:settings.update', {
        relay: {
          id: 'bench-relay',
          name: 'Bench relay',
          host: '127.0.0.1',
          port: relay.port,
          caFile,
          pinSha256: null,
          serverName: 'localhost',
          insecure: false,
          opener: 'auto',
          builtin: false,
        },
      }),
    );
    const localPort = await freePort();
    const tunnel = await app.router.handle('cloudbridge:tunnel.save', {
      name: 'sink',
      kind: 'other',
      localHost: '127.0.0.1',
      localPort,
      remoteHost: '127.0.0.1',
      remotePort: sinkPort,
      enabled: true,
    });
    expectOk(tunnel);
    expectOk(await app.router.handle('cloudbridge:token.save', { token: relay.token }));
    const deadline = Date.now() + 20_000;
    while (app.controller.snapshot().engine.tunnels[0]?.status !== 'listening') {
      if (Date.now() > deadline) throw new Error(`${mode}: the tunnel never listened`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await send(localPort, WARMUP_BYTES);

    const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    const cpuBefore = process.cpuUsage();
    const start = process.hrtime.bigint();
    histogram.enable();
    const counted = await send(localPort, TOTAL_BYTES);
    histogram.disable();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    if (counted < TOTAL_BYTES)
      throw new Error(`${mode}: sink counted ${counted} of ${TOTAL_BYTES}`);
    const late = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    return {
      p99Ms: late(histogram.percentile(99)),
      maxMs: late(histogram.max),
      meanMs: late(histogram.mean),
      mbPerSecond: counted / 1e6 / seconds,
      mainCpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  } finally {
    await app.close();
    remove();
  }
}

async function main(): Promise<void> {
  const { dir, remove } = tempDir();
  const running: ManagedProcess[] = [];
  try {
    const cert = await makeCertificate(dir);
    const relay = await startRelay(dir, cert);
    running.push(relay.relay);
    const sink = startProcess(process.execPath, ['-e', SINK], { name: 'sink' });
    running.push(sink);
    const sinkPort = Number(/port (\d+)/.exec(await sink.waitForLine(/^port \d+/m, 10_000))?.[1]);

    // Rounds alternate, so a burst of load from elsewhere on the machine hits both modes.
    const rounds: { before: Figures; after: Figures }[] = [];
    for (let i = 0; i < ROUNDS; i += 1) {
      const before = await measure('in-process', relay, cert.cert, sinkPort);
      const after = await measure('engine host', relay, cert.cert, sinkPort);
      rounds.push({ before, after });
    }
    const mib = (TOTAL_BYTES / 1024 / 1024).toFixed(0);
    const cells = (f: Figures) =>
      [f.p99Ms, f.maxMs, f.meanMs].map((v) => v.toFixed(2).padStart(8)).join(' ') +
      ` ${f.mbPerSecond.toFixed(0).padStart(6)} ${f.mainCpuSeconds.toFixed(2).padStart(8)}`;
    console.log(
      `main-process event-loop delay during ${mib} MiB through one tunnel, ${ROUNDS} rounds`,
    );
    console.log(
      `${''.padEnd(34)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'mean ms'.padStart(8)} ${'MB/s'.padStart(6)} ${'main CPU'.padStart(8)}`,
    );
    rounds.forEach((r, i) => {
      console.log(`${`round ${i + 1}: engine in main (before)`.padEnd(34)} ${cells(r.before)}`);
      console.log(`${`round ${i + 1}: engine host child (after)`.padEnd(34)} ${cells(r.after)}`);
    });
    const before = medianFigures(rounds.map((r) => r.before));
    const after = medianFigures(rounds.map((r) => r.after));
    console.log(`${'median: engine in main (before)'.padEnd(34)} ${cells(before)}`);
    console.log(`${'median: engine host child (after)'.padEnd(34)} ${cells(after)}`);
    console.log(
      `before/after (medians): p99 ${(before.p99Ms / after.p99Ms).toFixed(1)}x, max ${(before.maxMs / after.maxMs).toFixed(1)}x, main CPU ${(before.mainCpuSeconds / after.mainCpuSeconds).toFixed(0)}x`,
    );
  } finally {
    await Promise.all(running.map((p) => p.stop()));
    remove();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);

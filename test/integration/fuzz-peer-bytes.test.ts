// Property-based fuzzing of both ends over real TLS (docs/protocol.md "Framing", "Multiplexed
// data streams", "Limits"): fast-check sends arbitrary lines and mux frames, before and after
// authentication, to the real `cloudbridge-relay` child process, and a hostile proxy in front of
// a real relay sends them to two real `cloudbridge connect` child processes (one on tcp_mux, one
// on a data connection per stream). After every run each process is alive, within its RSS bound,
// and carries SHA-256-checked data; a legitimate client does so during the run too.
//
// Bounded: RELAY_RUNS and CLIENT_RUNS runs, each property stopped after PROPERTY_TIME_MS.
// Replay a failure with FUZZ_SEED=<seed printed below> (fast-check also prints the path).

import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitAt } from '../harness/chunks';
import {
  connectTls,
  jsonLine,
  rawFrame,
  startMutatingProxy,
  type MutatingProxy,
  type Script,
} from '../harness/hostile-peer';
import { clientLine, cuts, fuzzFrame, relayLine } from '../harness/peer-fuzz';
import {
  connectRawClient,
  spawnRelayProcess,
  type RawRelayClient,
  type RelayProcess,
} from '../harness/relay';
import { connectTcp, startEchoServer, type TestServer } from '../harness/traffic';
import {
  echoMatches,
  fdCount,
  rssMiB,
  settleFds,
  sanitizeControlLine,
  sleep,
  startCliConnect,
  startLegitClient,
  watchExit,
  type CliUnderTest,
} from './hostile-stack';
import {
  Cleanup,
  pki,
  startTestRelay,
  waitUntil,
  type TestClient,
  type TestRelay,
} from './system-stack';

const SEED = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 0x7fff_ffff));
console.log(`fuzz-peer-bytes: seed ${SEED} (replay with FUZZ_SEED=${SEED})`);

const RELAY_RUNS = 150;
const CLIENT_RUNS = 40;
const PROPERTY_TIME_MS = 30_000;
/** RSS growth over the process's own baseline (after setup and one warm-up transfer). */
const RELAY_RSS_GROWTH_MIB = 96;
const CLIENT_RSS_GROWTH_MIB = 64;
/**
 * Descriptors over the baseline a process may still hold a moment after a run: pooled and mux
 * connections being replaced, streams being torn down. A leak of one per run passes it soon.
 */
const FD_SLACK = 16;
const KiB = 1024;

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

describe('the relay process fed fuzzed lines and frames', () => {
  let relay: RelayProcess;
  let exit: { readonly exited: boolean };
  let localPort = 0;
  let baseline = 0;
  let baselineFds = 0;
  let streamToken = '';
  const tunnelId = 'fz-1';

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloudbridge-fuzz-'));
    cleanup.add(dir, (d) => rmSync(d, { recursive: true, force: true }));
    const config = join(dir, 'relay.json');
    // Many identities authenticate and register here within a minute: the seed's per-hour and
    // per-minute limits are not what this test is about.
    writeFileSync(config, JSON.stringify({ limits: { tunnelCreationsPerHour: 100_000 } }));
    relay = await spawnRelayProcess({
      args: [
        '--allow',
        '127.0.0.0/8',
        '--auth-per-minute',
        '100000',
        '--heartbeat-min-ms',
        '1000',
        // Every fuzzed connection comes from 127.0.0.1, the legitimate client's address too:
        // penalising the fuzz's abuse would lock that client out, which is not the point here.
        '--limit',
        'penaltyMinMs=0',
        '--config',
        config,
      ],
    });
    cleanup.add(relay, (r) => r.close());
    exit = watchExit(relay);
    const echo: TestServer = cleanup.add(await startEchoServer(), (s) => s.close());
    const legit = await startLegitClient(relay, echo.port);
    cleanup.add(legit.client, (c: TestClient) => c.close());
    localPort = legit.localPort;
    // A registration of our own, so the "after authentication" half can open real streams.
    const registrar: RawRelayClient = await connectRawClient(relay);
    cleanup.add(registrar, (r) => r.destroy());
    registrar.send({ type: 'hello', version: '1.0', features: ['tcp_stream', 'tcp_mux'] });
    registrar.send({ type: 'auth', token: await relay.token({ sub: 'fuzz-registrar' }) });
    registrar.send({
      type: 'tunnel_info',
      tunnel_id: tunnelId,
      local_port: 1,
      remote_host: '127.0.0.1',
      remote_port: echo.port,
    });
    for (;;) {
      const answer = await registrar.next();
      if (answer['type'] === 'tunnel_response') {
        streamToken = String(answer['stream_token']);
        break;
      }
    }
    const beat = setInterval(() => registrar.send({ type: 'heartbeat' }), 5_000);
    cleanup.add(beat, (t) => clearInterval(t));
    expect(await echoMatches(localPort, 256 * KiB)).toBe(true);
    baseline = rssMiB(relay.pid);
    baselineFds = fdCount(relay.pid);
  });

  const connection = fc.record({
    kind: fc.oneof(
      { weight: 2, arbitrary: fc.constant('control' as const) },
      { weight: 3, arbitrary: fc.constant('mux' as const) },
      { weight: 2, arbitrary: fc.constant('stream' as const) },
      { weight: 1, arbitrary: fc.constant('raw' as const) },
    ),
    authed: fc.boolean(),
    lines: fc.array(clientLine, { maxLength: 6 }),
    frames: fc.array(fuzzFrame, { maxLength: 24 }),
    bytes: fc.uint8Array({ maxLength: 8 * KiB }),
    cuts,
    lingerMs: fc.integer({ min: 0, max: 150 }),
    ending: fc.constantFrom('destroy', 'end'),
  });
  type Connection = typeof connection extends fc.Arbitrary<infer T> ? T : never;

  /** The bytes one fuzzed connection sends: a prefix that gets it past the first checks, then fuzz. */
  async function bytesOf(c: Connection, n: number): Promise<Buffer> {
    const token = c.authed ? await relay.token({ sub: `fuzz-${n % 3}` }) : 'not-a-token';
    const open = Buffer.from(
      JSON.stringify({ tunnel_id: tunnelId, stream_token: c.authed ? streamToken : 'x' }),
    );
    switch (c.kind) {
      case 'control':
        return Buffer.concat([
          ...(c.authed
            ? [
                jsonLine({ type: 'hello', version: '1.0', features: [] }),
                jsonLine({ type: 'auth', token }),
              ]
            : []),
          ...c.lines,
        ]);
      case 'mux':
        // Stream 1 exists as the fuzz starts: admitted (authed), or refused a moment later.
        return Buffer.concat([jsonLine({ type: 'mux_open' }), rawFrame(1, 1, open), ...c.frames]);
      case 'stream':
        return Buffer.concat([
          c.authed
            ? jsonLine({ type: 'stream_open', tunnel_id: tunnelId, stream_token: streamToken })
            : (c.lines[0] ?? jsonLine({ type: 'stream_open' })),
          Buffer.from(c.bytes),
        ]);
      default:
        return Buffer.concat([Buffer.from(c.bytes), ...c.lines]);
    }
  }

  async function play(c: Connection, n: number): Promise<void> {
    const bytes = await bytesOf(c, n);
    const socket: TLSSocket = await connectTls(relay.port, relay.caPem);
    socket.on('data', () => undefined);
    for (const part of splitAt(bytes, c.cuts)) {
      if (socket.destroyed) break;
      socket.write(part);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await sleep(c.lingerMs);
    if (c.ending === 'end') socket.end();
    socket.destroy();
  }

  it(`never exits, grows by less than ${RELAY_RSS_GROWTH_MIB} MiB, and carries checksummed data during and after every run`, async () => {
    let runs = 0;
    let peak = baseline;
    await fc.assert(
      fc.asyncProperty(
        fc.array(connection, { minLength: 1, maxLength: 4 }),
        async (connections) => {
          runs += 1;
          const during = echoMatches(localPort, 256 * KiB, runs).catch(() => false);
          await Promise.all(connections.map((c, i) => play(c, runs * 4 + i)));
          const duringOk = await during;
          // A relay that died fails the transfer first; give its exit a moment to be seen.
          if (!duringOk) await Promise.race([relay.waitExit(), sleep(1_000)]);
          expect(exit.exited).toBe(false);
          expect(duringOk).toBe(true);
          const rss = rssMiB(relay.pid);
          peak = Math.max(peak, rss);
          expect(rss - baseline).toBeLessThan(RELAY_RSS_GROWTH_MIB);
          expect(await echoMatches(localPort, 256 * KiB, runs + 1000)).toBe(true);
          // Every fuzzed connection, and every stream it opened, is gone: nothing leaks.
          expect(await settleFds(relay.pid, baselineFds + FD_SLACK)).toBeLessThanOrEqual(
            baselineFds + FD_SLACK,
          );
        },
      ),
      {
        seed: SEED,
        numRuns: RELAY_RUNS,
        interruptAfterTimeLimit: PROPERTY_TIME_MS,
        endOnFailure: true,
      },
    );
    console.log(
      `relay fuzz: ${runs} runs, RSS baseline ${baseline.toFixed(1)} MiB, peak ${peak.toFixed(1)} MiB, fds ${baselineFds} -> ${fdCount(relay.pid)}`,
    );
    expect(runs).toBeGreaterThanOrEqual(10);
    expect(exit.exited).toBe(false);
    expect(relay.stderr).not.toMatch(/Error|uncaught/i);
  });
});

describe('cloudbridge connect fed fuzzed answers by a hostile relay', () => {
  let relay: TestRelay;
  const clis: Record<
    'mux' | 'stream',
    { cli: CliUnderTest; proxy: MutatingProxy; baseline: number; fds: number; breaks: number }
  > = {} as never;

  beforeAll(async () => {
    relay = cleanup.add(
      await startTestRelay({
        limits: { authAttemptsPerMinute: 10_000, tunnelCreationsPerHour: 10_000 },
      }),
      (r) => r.server.close(),
    );
    const echo = cleanup.add(await startEchoServer(), (s) => s.close());
    for (const kind of ['mux', 'stream'] as const) {
      const proxy = cleanup.add(
        await startMutatingProxy({
          pki: await pki(),
          upstreamPort: relay.server.port,
          stripMux: kind === 'stream',
        }),
        (p) => p.close(),
      );
      const cli = await startCliConnect({
        relayPort: proxy.port,
        caPem: relay.endpoint.ca ?? '',
        secret: relay.secret,
        targetPort: echo.port,
        sub: `fuzz-cli-${kind}`,
      });
      cleanup.add(cli, (c) => c.proc.stop());
      expect(await echoMatches(cli.localPort, 128 * KiB)).toBe(true);
      clis[kind] = {
        cli,
        proxy,
        baseline: rssMiB(cli.proc.pid),
        fds: fdCount(cli.proc.pid),
        breaks: 0,
      };
    }
  });

  const run = fc.record({
    target: fc.constantFrom('mux', 'stream'),
    /** null: the relay's own answer to mux_open / stream_open goes through first. */
    answer: fc.option(relayLine, { nil: null, freq: 2 }),
    waitForClient: fc.boolean(),
    frames: fc.array(fuzzFrame, { maxLength: 16 }),
    lines: fc.array(relayLine, { maxLength: 3 }),
    cuts,
    locals: fc.integer({ min: 1, max: 3 }),
    /** The local program half-closes after its request instead of holding the connection. */
    localEnds: fc.boolean(),
    control: fc.array(relayLine, { maxLength: 2 }),
  });
  type Run = typeof run extends fc.Arbitrary<infer T> ? T : never;

  function scriptFor(r: Run): Script {
    const body = r.target === 'mux' ? Buffer.concat(r.frames) : Buffer.concat(r.lines);
    return async (ctx) => {
      ctx.send(r.answer ?? (await ctx.relayAnswer()));
      if (r.waitForClient) await ctx.nextClientBytes(300);
      for (const part of splitAt(body, r.cuts)) {
        ctx.send(part);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await ctx.nextClientBytes(50);
    };
  }

  const activeLines = (cli: CliUnderTest): number =>
    (cli.proc.stdout().match(/ Active {2}relay /g) ?? []).length;

  /** Up to three tries: a stream may land on a mux connection the proxy is closing that instant. */
  async function recovers(port: number, seed: number): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await echoMatches(port, 128 * KiB, seed).catch(() => false)) return true;
      await sleep(200);
    }
    return false;
  }

  it(`never exits, grows by less than ${CLIENT_RSS_GROWTH_MIB} MiB, and carries checksummed data after every run`, async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(run, async (r) => {
        runs += 1;
        const attacked = clis[r.target];
        const bystander = clis[r.target === 'mux' ? 'stream' : 'mux'];
        const activeBefore = activeLines(attacked.cli);
        // The other client, on the same relay, moves data while this one is attacked.
        const during = echoMatches(bystander.cli.localPort, 128 * KiB, runs).catch(() => false);
        let broke = false;
        for (const line of r.control) {
          const clean = sanitizeControlLine(line, attacked.breaks < 2);
          broke ||= clean.breaks;
          attacked.proxy.injectControl(clean.bytes);
        }
        if (broke) attacked.breaks += 1;
        const seen = attacked.proxy.seen[r.target];
        attacked.proxy.setScript(r.target, scriptFor(r));
        if (r.target === 'mux') attacked.proxy.cut('mux');
        // The client may reset a local connection before it is even seen as connected.
        const dialled = await Promise.all(
          Array.from({ length: r.locals }, () =>
            connectTcp(attacked.cli.localPort).catch(() => null),
          ),
        );
        const locals = dialled.filter((local) => local !== null);
        for (const local of locals) {
          local.on('error', () => undefined);
          local.write('through a hostile relay');
          if (r.localEnds) local.end();
        }
        const deadline = Date.now() + 3_000;
        while (
          (attacked.proxy.seen[r.target] === seen || attacked.proxy.scriptsRunning > 0) &&
          Date.now() < deadline
        )
          await sleep(20);
        attacked.proxy.setScript(r.target, null);
        for (const local of locals) local.destroy();
        expect(await during).toBe(true);
        // A line that broke framing closed the control session: wait for the reconnect.
        if (broke)
          await waitUntil(
            'the client to be active again',
            () => activeLines(attacked.cli) > activeBefore,
            20_000,
          );
        for (const side of [attacked, bystander]) {
          expect(side.cli.proc.exited).toBeNull();
          expect(rssMiB(side.cli.proc.pid) - side.baseline).toBeLessThan(CLIENT_RSS_GROWTH_MIB);
        }
        expect(await recovers(attacked.cli.localPort, runs + 1000)).toBe(true);
        // Every stream of the run ended, whatever the relay said: no socket is left behind.
        for (const side of [attacked, bystander])
          expect(await settleFds(side.cli.proc.pid, side.fds + FD_SLACK)).toBeLessThanOrEqual(
            side.fds + FD_SLACK,
          );
      }),
      {
        seed: SEED,
        numRuns: CLIENT_RUNS,
        interruptAfterTimeLimit: PROPERTY_TIME_MS,
        endOnFailure: true,
      },
    );
    const peaks = Object.entries(clis).map(
      ([kind, c]) =>
        `${kind} ${c.baseline.toFixed(1)} -> ${rssMiB(c.cli.proc.pid).toFixed(1)} MiB, fds ${c.fds} -> ${fdCount(c.cli.proc.pid)}`,
    );
    console.log(
      `client fuzz: ${runs} runs; RSS ${peaks.join(', ')}; control breaks ${clis.mux.breaks + clis.stream.breaks}`,
    );
    expect(runs).toBeGreaterThanOrEqual(8);
    // The protocol errors were logged, not thrown: both processes name them and are still up.
    expect(clis.mux.cli.proc.stdout()).toMatch(
      /warn (mux_closed|mux_protocol_error|stream_failed)/,
    );
    expect(clis.stream.cli.proc.stdout()).toMatch(/warn stream_failed/);
    for (const c of Object.values(clis))
      expect(c.cli.proc.stderr()).not.toMatch(/Error:|uncaught/i);
  });
});

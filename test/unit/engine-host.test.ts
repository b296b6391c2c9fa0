// The engine host supervisor without processes: the restart schedule and its reset, fake
// transports on an injected clock (backoff, replay, reasons, dropped messages, a child that
// never gets ready), the proxy's one sequence across restarts, and main's token codes kept.
import { describe, expect, it } from 'vitest';
import { createEngineHost, type HostRestart } from '../../src-main/engine-host/engine-host';
import type { HostCommand } from '../../src-main/engine-host/host-protocol';
import { describeExit, nextRestartDelay } from '../../src-main/engine-host/restart-policy';
import type { HostExit, HostTransport } from '../../src-main/engine-host/transport';
import type { EngineOptions } from '../../src-main/engine/types';
import type { EngineSnapshot, TunnelConfig } from '../../src-main/shared/model';
import { ServiceError } from '../../src-main/services/errors';
import { FakeClock } from './engine-fake-clock';

const TUNNEL: TunnelConfig = {
  id: 't1',
  name: 'ssh',
  kind: 'ssh',
  localHost: '127.0.0.1',
  localPort: 2222,
  remoteHost: '10.0.0.5',
  remotePort: 22,
  enabled: true,
};

class FakeTransport implements HostTransport {
  readonly sent: HostCommand[] = [];
  private messageListener: (m: unknown) => void = () => undefined;
  private exitListener: (e: HostExit) => void = () => undefined;
  killed = false;
  constructor(readonly pid: number) {}
  send(message: HostCommand): boolean {
    this.sent.push(message);
    return true;
  }
  onMessage(listener: (m: unknown) => void): void {
    this.messageListener = listener;
  }
  onExit(listener: (e: HostExit) => void): void {
    this.exitListener = listener;
  }
  kill(): void {
    this.killed = true;
    this.exit({ code: null, signal: 'SIGKILL' });
  }
  emit(message: unknown): void {
    this.messageListener(message);
  }
  exit(e: HostExit): void {
    this.exitListener(e);
  }
  replyAll(): void {
    for (const c of this.sent.splice(0))
      if ('id' in c) this.emit({ type: 'reply', id: c.id, value: null, error: null });
  }
}

function snapshot(seq: number, state: EngineSnapshot['state'] = 'active'): EngineSnapshot {
  return {
    state,
    session: {
      relay: 'relay:443',
      insecure: false,
      clientId: null,
      tenantId: null,
      connectedSince: null,
      reconnectAttempt: 0,
      maxReconnectAttempts: 10,
      nextRetryAt: null,
      relayVersion: null,
      relayFeatures: [],
    },
    tunnels: [],
    lastError: null,
    seq,
    at: new Date(0).toISOString(),
  };
}

function setUp(policy = {}) {
  const clock = new FakeClock(0);
  const transports: FakeTransport[] = [];
  const logs: { event: string; details: object }[] = [];
  const host = createEngineHost({
    start: () => {
      const t = new FakeTransport(1000 + transports.length);
      transports.push(t);
      return t;
    },
    clock,
    restartPolicy: policy,
    shutdownTimeoutMs: 20,
    log: (_level, event, details) => logs.push({ event, details }),
  });
  return { clock, transports, logs, host, last: () => transports.at(-1)! };
}

const engineOptions = (getToken: () => Promise<string> = () => Promise.resolve('tok')) =>
  ({
    relay: { host: 'relay', port: 443 },
    tunnels: [TUNNEL],
    getToken,
  }) satisfies EngineOptions;

describe('restart schedule', () => {
  it('waits 0.5 s, doubles per quick exit up to 30 s, and starts over after a minute up', () => {
    let failures = 0;
    const waits: number[] = [];
    for (let i = 0; i < 9; i += 1) {
      const next = nextRestartDelay(failures, 10);
      waits.push(next.delayMs);
      failures = next.failures;
    }
    expect(waits).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(nextRestartDelay(failures, 60_000).delayMs).toBe(500);
  });

  it('names the exit: signal, code, our uncaught-error code, or no start at all', () => {
    expect(describeExit({ code: null, signal: 'SIGKILL' })).toBe('killed by SIGKILL');
    expect(describeExit({ code: 3, signal: null })).toBe('exited with code 3');
    expect(describeExit({ code: 70, signal: null })).toMatch(/code 70: an error nobody caught/);
    expect(describeExit({ code: null, signal: null })).toBe('could not be started');
  });
});

describe('engine host supervisor', () => {
  it('backs off a child that exits at once every time, on the injected clock', () => {
    const { clock, transports, host } = setUp();
    const restarts: HostRestart[] = [];
    host.onRestart((r) => restarts.push(r));
    host.start();
    const startedAt: number[] = [clock.now()];
    for (let i = 0; i < 5; i += 1) {
      const before = transports.length;
      transports.at(-1)!.exit({ code: 1, signal: null });
      while (transports.length === before) clock.advance(10);
      startedAt.push(clock.now());
    }
    const gaps = startedAt.slice(1).map((t, i) => t - startedAt[i]!);
    expect(gaps).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(restarts.map((r) => r.count)).toEqual([1, 2, 3, 4, 5]);
    expect(restarts[0]).toMatchObject({ reason: 'exited with code 1', code: 1, delayMs: 500 });
  });

  it('replays the relay, the tunnels and a wanted connection into a restarted child', () => {
    const { clock, host, last, transports } = setUp();
    const engine = host.createEngine(engineOptions());
    last().emit({ type: 'ready', pid: 1000 });
    expect(last().sent.map((c) => c.type)).toEqual(['init']);
    engine.connect();
    engine.setRelay({ host: 'other-relay', port: 8443 });
    engine.setTunnelEnabled('t1', false);
    last().emit({ type: 'snapshot', snapshot: snapshot(1, 'active') });

    last().exit({ code: null, signal: 'SIGKILL' });
    clock.advance(500);
    expect(transports).toHaveLength(2);
    last().emit({ type: 'ready', pid: 1001 });
    const [init, connect] = last().sent;
    expect(init).toMatchObject({
      type: 'init',
      options: {
        relay: { host: 'other-relay', port: 8443 },
        tunnels: [{ id: 't1', enabled: false }],
      },
    });
    expect(connect?.type).toBe('connect');
  });

  it('does not reconnect on restart what the engine itself gave up on', () => {
    const { clock, host, last } = setUp();
    const engine = host.createEngine(engineOptions());
    last().emit({ type: 'ready', pid: 1000 });
    engine.connect();
    last().emit({ type: 'snapshot', snapshot: snapshot(1, 'authenticating') });
    last().emit({ type: 'snapshot', snapshot: snapshot(2, 'disconnected') });
    last().exit({ code: 1, signal: null });
    clock.advance(500);
    last().emit({ type: 'ready', pid: 1001 });
    expect(last().sent.map((c) => c.type)).toEqual(['init']);
  });

  it('keeps one rising sequence across restarts, so a store that drops lower seqs keeps up', () => {
    const { clock, host, last } = setUp();
    const engine = host.createEngine(engineOptions());
    const seqs: number[] = [];
    engine.on('snapshot', (s) => seqs.push(s.seq));
    last().emit({ type: 'ready', pid: 1000 });
    engine.connect();
    last().emit({ type: 'snapshot', snapshot: snapshot(50) });
    last().exit({ code: null, signal: 'SIGKILL' });
    clock.advance(500);
    last().emit({ type: 'ready', pid: 1001 });
    last().emit({ type: 'snapshot', snapshot: snapshot(1, 'authenticating') });
    last().emit({ type: 'snapshot', snapshot: snapshot(2, 'active') });
    expect(seqs).toHaveLength(4);
    for (let i = 1; i < seqs.length; i += 1) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
    // Between the exit and the new child the window sees why the tunnels are down.
    expect(engine.snapshot().state).toBe('active');
  });

  it('shows the exit on the snapshot while the child is down', () => {
    const { host, last } = setUp();
    const engine = host.createEngine(engineOptions());
    last().emit({ type: 'ready', pid: 1000 });
    engine.connect();
    last().emit({ type: 'snapshot', snapshot: snapshot(3, 'active') });
    last().exit({ code: null, signal: 'SIGKILL' });
    expect(engine.snapshot()).toMatchObject({
      state: 'reconnecting',
      lastError: { code: 'internal_error', message: expect.stringMatching(/killed by SIGKILL/) },
    });
  });

  it('drops and logs malformed messages from the child instead of throwing', () => {
    const { host, last, logs } = setUp();
    const engine = host.createEngine(engineOptions());
    last().emit({ type: 'ready', pid: 1000 });
    for (const bad of [
      null,
      42,
      'x',
      { type: 'snapshot', snapshot: { seq: 'one' } },
      { type: 'nope' },
    ])
      expect(() => last().emit(bad)).not.toThrow();
    expect(logs.filter((l) => l.event === 'engine_host_message_dropped')).toHaveLength(5);
    expect(engine.snapshot().seq).toBe(0);
  });

  it('hands the token over per request and keeps the code of a failure', async () => {
    let calls = 0;
    const { host, last } = setUp();
    host.createEngine(
      engineOptions(() => {
        calls += 1;
        return calls === 1
          ? Promise.resolve('secret-token')
          : Promise.reject(new ServiceError('keychain_unavailable', 'The keychain is locked.'));
      }),
    );
    last().emit({ type: 'ready', pid: 1000 });
    last().sent.length = 0;
    last().emit({ type: 'token.request', requestId: 1 });
    last().emit({ type: 'token.request', requestId: 2 });
    await new Promise((r) => setTimeout(r, 0));
    expect(last().sent).toEqual([
      { type: 'token.reply', requestId: 1, token: 'secret-token', error: null },
      {
        type: 'token.reply',
        requestId: 2,
        token: null,
        error: { code: 'keychain_unavailable', message: 'The keychain is locked.' },
      },
    ]);
    expect(host.status().tokenRequests).toBe(2);
  });

  it('fails a built-in relay start that waits for a child when the host is closed', async () => {
    const { host } = setUp();
    const starting = host.startBuiltinRelay({
      secret: 'x'.repeat(32),
      dataDir: '/tmp/none',
      preferredPort: null,
      nowMs: 0,
    });
    const refused = expect(starting).rejects.toMatchObject({ code: 'internal_error' });
    await host.close();
    await refused;
  });

  it('kills a child that never says ready, and restarts it', () => {
    const { clock, host, transports } = setUp();
    host.start();
    clock.advance(15_000);
    expect(transports[0]!.killed).toBe(true);
    clock.advance(500);
    expect(transports).toHaveLength(2);
  });
});

// The registration queue against the real relay over real TLS: tunnels added, changed or
// removed while a registration is in flight (held at a proxy that reads the control lines)
// are registered once with their current config, stale answers are dropped, a removed tunnel
// is never registered, and none of it needs a reconnect (docs/protocol.md#tunnel-registration).

import { afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../../src-main/engine/engine';
import type { Engine } from '../../src-main/engine/types';
import type { EngineSnapshot, TunnelConfig } from '../../src-main/shared/model';
import { startTestRelay, type TestRelay } from '../harness/relay';
import { connectTcp, echoRoundTrip, freePort, Pattern, startEchoServer } from '../harness/traffic';
import { startGateProxy, type GateProxy } from './engine-gate-proxy';
import { tunnel } from './system-stack';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

interface Stack {
  readonly relay: TestRelay;
  readonly proxy: GateProxy;
  readonly targetPort: number;
}

async function stack(): Promise<Stack> {
  const relay = await startTestRelay({ logLevel: 'error' });
  closers.push(() => relay.close());
  const target = await startEchoServer();
  closers.push(() => target.close());
  const proxy = await startGateProxy(relay.pki, relay);
  closers.push(() => proxy.close());
  return { relay, proxy, targetPort: target.port };
}

async function engineOn(
  s: Stack,
  tunnels: TunnelConfig[],
): Promise<{ engine: Engine; snaps: EngineSnapshot[] }> {
  const token = await s.relay.token();
  const engine = createEngine({
    relay: s.proxy.endpoint(),
    tunnels,
    getToken: () => Promise.resolve(token),
  });
  const snaps: EngineSnapshot[] = [];
  engine.on('snapshot', (snap) => snaps.push(snap));
  closers.push(() => engine.close());
  return { engine, snaps };
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function statusOf(engine: Engine, id: string): string | undefined {
  return engine.snapshot().tunnels.find((t) => t.id === id)?.status;
}

/** The tunnel_info lines the client sent for `id`, as their local ports. */
function registrationsOf(proxy: GateProxy, id: string): unknown[] {
  return proxy.clientLines
    .filter((l) => l.type === 'tunnel_info' && l.tunnel_id === id)
    .map((l) => l.local_port);
}

async function echoes(port: number): Promise<boolean> {
  const result = await echoRoundTrip(port, new Pattern(4_096, port % 251));
  return result.received.sha256 === result.sent;
}

describe('tunnel registration queue', () => {
  it('registers a tunnel added while the first registration is in flight, without a reconnect', async () => {
    const s = await stack();
    const a = tunnel('t-a', await freePort(), s.targetPort);
    const b = tunnel('t-b', await freePort(), s.targetPort);
    const { engine, snaps } = await engineOn(s, [a]);
    s.proxy.holdNext('tunnel_info');
    engine.connect();
    await until('the first tunnel_info held', () => s.proxy.holding);
    expect(engine.snapshot().state).toBe('registered');

    engine.setTunnels([a, b]);
    expect(statusOf(engine, 't-b')).toBe('pending');
    s.proxy.release();

    await until(
      'both tunnels listening',
      () => statusOf(engine, 't-a') === 'listening' && statusOf(engine, 't-b') === 'listening',
    );
    expect(engine.snapshot().state).toBe('active');
    expect(await echoes(b.localPort)).toBe(true);
    expect(registrationsOf(s.proxy, 't-a')).toHaveLength(1);
    expect(registrationsOf(s.proxy, 't-b')).toHaveLength(1);
    expect(s.proxy.controlConnections).toBe(1);
    expect(snaps.some((snap) => snap.state === 'reconnecting')).toBe(false);
  });

  it('registers a tunnel changed while its registration is in flight once more, with the new port, and drops the stale answer', async () => {
    const s = await stack();
    const [oldPort, newPort] = [await freePort(), await freePort()];
    const a = tunnel('t-a', oldPort, s.targetPort);
    const { engine } = await engineOn(s, [a]);
    s.proxy.holdNext('tunnel_info');
    engine.connect();
    await until('the first tunnel_info held', () => s.proxy.holding);

    engine.setTunnels([{ ...a, localPort: newPort }]);
    s.proxy.release();

    await until('the tunnel listening', () => statusOf(engine, 't-a') === 'listening');
    expect(engine.snapshot().state).toBe('active');
    expect(engine.snapshot().tunnels[0]?.localPort).toBe(newPort);
    expect(registrationsOf(s.proxy, 't-a')).toEqual([oldPort, newPort]);
    expect(await echoes(newPort)).toBe(true);
    await expect(connectTcp(oldPort, '127.0.0.1', 1_000)).rejects.toThrow();
    expect(s.proxy.controlConnections).toBe(1);
  });

  it('never registers a tunnel removed while it waits, nor listens for one removed in flight', async () => {
    const s = await stack();
    const a = tunnel('t-a', await freePort(), s.targetPort);
    const b = tunnel('t-b', await freePort(), s.targetPort);
    const c = tunnel('t-c', await freePort(), s.targetPort);
    const { engine } = await engineOn(s, [a, b, c]);
    s.proxy.holdNext('tunnel_info');
    engine.connect();
    await until('the first tunnel_info held', () => s.proxy.holding);
    expect(registrationsOf(s.proxy, 't-a')).toHaveLength(1);

    engine.setTunnels([c]);
    s.proxy.release();

    await until('the remaining tunnel listening', () => statusOf(engine, 't-c') === 'listening');
    expect(engine.snapshot().state).toBe('active');
    expect(engine.snapshot().tunnels.map((t) => t.id)).toEqual(['t-c']);
    expect(registrationsOf(s.proxy, 't-b')).toEqual([]);
    expect(registrationsOf(s.proxy, 't-c')).toHaveLength(1);
    await expect(connectTcp(a.localPort, '127.0.0.1', 1_000)).rejects.toThrow();
    await expect(connectTcp(b.localPort, '127.0.0.1', 1_000)).rejects.toThrow();
    expect(await echoes(c.localPort)).toBe(true);
  });

  it('takes a tunnel added while Authenticating into the first round', async () => {
    const s = await stack();
    const a = tunnel('t-a', await freePort(), s.targetPort);
    const b = tunnel('t-b', await freePort(), s.targetPort);
    const { engine } = await engineOn(s, [a]);
    s.proxy.holdNext('auth');
    engine.connect();
    await until('auth held', () => s.proxy.holding);
    expect(engine.snapshot().state).toBe('authenticating');

    engine.setTunnels([a, b]);
    s.proxy.release();

    await until('active', () => engine.snapshot().state === 'active');
    expect(engine.snapshot().tunnels.map((t) => t.status)).toEqual(['listening', 'listening']);
    expect(registrationsOf(s.proxy, 't-b')).toHaveLength(1);
    expect(await echoes(b.localPort)).toBe(true);
  });
});

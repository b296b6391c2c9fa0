// The warm pool of data connections (docs/protocol.md#data-streams-feature-tcp_stream): filled to
// size in the background, idle connections replaced before the relay's 60 s limit, refilled after a
// take, and failures retried with a growing delay rather than a tight loop. Injected clock.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DataPool, POOL_MAX_IDLE_MS } from '../../src-main/engine/data-pool';
import { FakeClock } from './engine-fake-clock';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function countingServer(): Promise<{
  port: number;
  accepted: () => number;
  open: () => number;
}> {
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    accepted += 1;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    open: () => sockets.size,
  };
}

function dial(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => resolve(s)).once('error', reject);
  });
}

describe('data pool', () => {
  it('fills to size, hands out a ready connection and refills behind it', async () => {
    const server = await countingServer();
    const clock = new FakeClock();
    const pool = new DataPool({
      connect: () => dial(server.port),
      size: 2,
      clock,
      log: () => undefined,
    });
    closers.push(() => pool.stop());
    pool.start();
    await until(() => pool.readyCount === 2 && server.accepted() === 2, 'pool filled');
    const taken = await pool.take();
    closers.push(() => taken.destroy());
    expect(taken.writable).toBe(true);
    await until(() => pool.readyCount === 2 && server.accepted() === 3, 'pool refilled');
    await new Promise((r) => setTimeout(r, 50));
    expect(server.accepted()).toBe(3); // exactly one new connection for the one taken
  });

  it('replaces idle connections before the relay would drop them at 60 s', async () => {
    const server = await countingServer();
    const clock = new FakeClock();
    const pool = new DataPool({
      connect: () => dial(server.port),
      size: 2,
      clock,
      log: () => undefined,
    });
    closers.push(() => pool.stop());
    pool.start();
    await until(() => pool.readyCount === 2, 'pool filled');
    expect(POOL_MAX_IDLE_MS).toBeLessThan(60_000);
    clock.advance(POOL_MAX_IDLE_MS - 1);
    expect(pool.readyCount).toBe(2);
    clock.advance(1);
    await until(() => server.accepted() === 4 && pool.readyCount === 2, 'replacements');
    await until(() => server.open() === 2, 'old connections closed');
  });

  it('backs off instead of spinning when the relay cannot be reached, and stop() ends it all', async () => {
    const clock = new FakeClock();
    let attempts = 0;
    const pool = new DataPool({
      connect: () => {
        attempts += 1;
        return Promise.reject(new Error('refused'));
      },
      size: 2,
      clock,
      log: () => undefined,
    });
    pool.start();
    await until(() => attempts === 2 && clock.pending === 1, 'first failures');
    await new Promise((r) => setTimeout(r, 50));
    expect(attempts).toBe(2);
    clock.advance(1000);
    await until(() => attempts === 4, 'retry after 1 s');
    await until(() => clock.pending === 1, 'next retry scheduled');
    clock.advance(1000);
    await new Promise((r) => setTimeout(r, 50));
    expect(attempts).toBe(4); // the second retry waits 2 s
    pool.stop();
    expect(clock.pending).toBe(0);
  });

  it('hands a waiting take() the refill already under way instead of opening another', async () => {
    const server = await countingServer();
    const clock = new FakeClock();
    let calls = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const pool = new DataPool({
      connect: async () => {
        calls += 1;
        await gate;
        return dial(server.port);
      },
      size: 1,
      clock,
      log: () => undefined,
    });
    closers.push(() => pool.stop());
    pool.start();
    const taking = pool.take();
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toBe(1); // no second handshake started for the take
    release();
    const socket = await taking;
    closers.push(() => socket.destroy());
    expect(socket.writable).toBe(true);
    await until(() => pool.readyCount === 1, 'refilled after the hand-over');
    expect(calls).toBe(2);
  });
});

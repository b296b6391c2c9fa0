// Target lookups: per-client and total bounds, one lookup per name, the TTL cache with a cap
// and short negative caching, and the deadline, on an injected clock and a controllable
// resolver. Also the hosts-file and /proc/net/tcp parsers the resolver and the buffer ceiling use.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHostsFile } from '../../src-main/relay/dns-resolver';
import { createProcSendQueueReader, parseProcTcp } from '../../src-main/relay/kernel-queue';
import { LookupError, LookupService, type ResolvedAddress } from '../../src-main/relay/lookup';
import { FakeClock } from './engine-fake-clock';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A resolver whose answers the test hands out by name. */
function controlled() {
  const asked: string[] = [];
  const pending = new Map<string, Array<(answer: ResolvedAddress[] | Error) => void>>();
  return {
    asked,
    resolve: (name: string): Promise<readonly ResolvedAddress[]> => {
      asked.push(name);
      return new Promise((resolve, reject) => {
        const list = pending.get(name) ?? [];
        list.push((answer) => (answer instanceof Error ? reject(answer) : resolve(answer)));
        pending.set(name, list);
      });
    },
    answer(name: string, answer: ResolvedAddress[] | Error): void {
      for (const settle of pending.get(name) ?? []) settle(answer);
      pending.delete(name);
    },
  };
}

const A = 'acme\u0000alice';
const B = 'acme\u0000bob';
const addr = (address: string, ttlMs?: number): ResolvedAddress =>
  ttlMs === undefined ? { address, family: 4 } : { address, family: 4, ttlMs };

describe('lookup bounds', () => {
  it("runs at most perClient lookups of one client, while another client's lookup runs at once", async () => {
    const clock = new FakeClock();
    const r = controlled();
    const lookups = new LookupService({ clock, resolve: r.resolve, perClient: 4, total: 32 });
    const slow = Array.from({ length: 16 }, (_, i) =>
      lookups.lookup(`n${i}.slow.test`, A).catch((e: unknown) => e),
    );
    await flush();
    expect(r.asked).toHaveLength(4);
    const good = lookups.lookup('good.test', B);
    await flush();
    expect(r.asked).toContain('good.test');
    r.answer('good.test', [addr('10.0.0.1')]);
    await expect(good).resolves.toEqual([{ address: '10.0.0.1', family: 4 }]);
    // The deadline ends every wait: queued lookups fail as timeouts, not as a hang.
    clock.advance(5_000);
    const results = await Promise.all(slow);
    expect(results.every((e) => e instanceof LookupError && e.code === 'lookup_timeout')).toBe(
      true,
    );
    // The four that ran still hold their slots until the resolver gives up on them.
    await flush();
    expect(r.asked).toHaveLength(5);
    expect(lookups.inFlightCount).toBe(4);
    for (let i = 0; i < 4; i++) r.answer(`n${i}.slow.test`, new Error('ETIMEOUT'));
    await flush();
    expect(lookups.inFlightCount).toBe(0);
  });

  it("counts the resolver's own timeout as a timeout, and a missing name as a failure", async () => {
    const clock = new FakeClock();
    const r = controlled();
    const outcomes: string[] = [];
    const lookups = new LookupService({
      clock,
      resolve: r.resolve,
      perClient: 4,
      total: 32,
      onOutcome: (outcome) => outcomes.push(outcome),
    });
    const silent = lookups.lookup('silent.test', A).catch((e: unknown) => e);
    const missing = lookups.lookup('missing.test', A).catch((e: unknown) => e);
    await flush();
    r.answer('silent.test', Object.assign(new Error('queryA ETIMEOUT'), { code: 'ETIMEOUT' }));
    r.answer('missing.test', Object.assign(new Error('queryA ENOTFOUND'), { code: 'ENOTFOUND' }));
    expect(await silent).toMatchObject({ code: 'ETIMEOUT' });
    expect(await missing).toMatchObject({ code: 'ENOTFOUND' });
    expect(outcomes).toEqual(['timeout', 'failed']);
  });

  it('keeps to the total bound across clients', async () => {
    const clock = new FakeClock();
    const r = controlled();
    const lookups = new LookupService({ clock, resolve: r.resolve, perClient: 2, total: 3 });
    for (const [i, client] of ['a', 'b', 'c'].entries()) {
      void lookups.lookup(`x${i}.test`, client).catch(() => undefined);
      void lookups.lookup(`y${i}.test`, client).catch(() => undefined);
    }
    await flush();
    expect(r.asked).toHaveLength(3);
    r.answer('x0.test', [addr('10.0.0.1')]);
    await flush();
    await flush();
    expect(r.asked).toHaveLength(4);
  });

  it('asks once for a name that several clients want at the same time', async () => {
    const clock = new FakeClock();
    const r = controlled();
    const lookups = new LookupService({ clock, resolve: r.resolve });
    const all = [A, B, A].map((client) => lookups.lookup('same.test', client));
    await flush();
    expect(r.asked).toEqual(['same.test']);
    r.answer('same.test', [addr('10.0.0.2')]);
    for (const answer of await Promise.all(all))
      expect(answer).toEqual([{ address: '10.0.0.2', family: 4 }]);
  });
});

describe('lookup cache', () => {
  it('keeps an answer for its TTL, capped, and asks again after', async () => {
    const clock = new FakeClock();
    const r = controlled();
    const lookups = new LookupService({ clock, resolve: r.resolve, maxTtlMs: 60_000 });
    const first = lookups.lookup('ttl.test', A);
    await flush();
    r.answer('ttl.test', [addr('10.0.0.3', 3_600_000)]);
    await first;
    clock.advance(59_000);
    await expect(lookups.lookup('TTL.test', B)).resolves.toEqual([
      { address: '10.0.0.3', family: 4 },
    ]);
    expect(r.asked).toHaveLength(1);
    clock.advance(2_000);
    void lookups.lookup('ttl.test', A);
    await flush();
    expect(r.asked).toHaveLength(2);
  });

  it('does not keep an answer that carries no TTL', async () => {
    const clock = new FakeClock();
    const r = controlled();
    const lookups = new LookupService({ clock, resolve: r.resolve });
    const first = lookups.lookup('nottl.test', A);
    await flush();
    r.answer('nottl.test', [addr('10.0.0.4')]);
    await first;
    void lookups.lookup('nottl.test', A);
    await flush();
    expect(r.asked).toHaveLength(2);
  });

  it('remembers a failure for the negative TTL only', async () => {
    const clock = new FakeClock();
    const r = controlled();
    const lookups = new LookupService({ clock, resolve: r.resolve, negativeTtlMs: 5_000 });
    const first = lookups.lookup('missing.test', A);
    await flush();
    const notFound = Object.assign(new Error('queryA ENOTFOUND'), { code: 'ENOTFOUND' });
    r.answer('missing.test', notFound);
    await expect(first).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(lookups.lookup('missing.test', B)).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(r.asked).toHaveLength(1);
    clock.advance(5_001);
    void lookups.lookup('missing.test', B).catch(() => undefined);
    await flush();
    expect(r.asked).toHaveLength(2);
  });
});

describe('parsers', () => {
  it('reads a hosts file: comments, aliases, both families, first address kept once', () => {
    const table = parseHostsFile(
      '# comment\n127.0.0.1 localhost box\n::1 localhost ip6-localhost\n10.1.2.3 Intranet.Example  # hi\n\nbogus name\n',
    );
    expect(table.get('localhost')?.map((e) => e.address)).toEqual(['127.0.0.1', '::1']);
    expect(table.get('intranet.example')?.[0]).toMatchObject({ address: '10.1.2.3', family: 4 });
    expect(table.get('box')?.[0]?.address).toBe('127.0.0.1');
    expect(table.has('name')).toBe(false);
  });

  it('reads tx_queue per connection from /proc/net/tcp', () => {
    const text =
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1\n' +
      '   1: 0100007F:8AF2 0100007F:A483 01 003F4000:00000010 01:00000014 00000000  1000        0 2\n';
    const queues = parseProcTcp(text);
    expect(queues.get('0100007F:8AF2 0100007F:A483')).toBe(0x3f4000);
    // A listening socket never holds bytes for a peer.
    expect(queues.has('0100007F:1F90 00000000:0000')).toBe(false);
  });

  it('reads a /proc/net/tcp of tens of thousands of lines in pieces, past TIME_WAIT, keeping drained sockets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proc-tcp-'));
    try {
      const line = (i: number, state: string, tx: number): string =>
        `${String(i).padStart(6)}: 0100007F:${i.toString(16).toUpperCase().padStart(4, '0')} ` +
        `0100007F:1F90 ${state} ${tx.toString(16).toUpperCase().padStart(8, '0')}:00000000 ` +
        '00:00000000 00000000  1000        0 0 1 0000000000000000 20 4 0 10 -1\n';
      const lines = ['  sl  local_address rem_address   st tx_queue rx_queue tr tm->when\n'];
      for (let i = 1; i <= 20_000; i++) lines.push(line(i, '06', 0));
      // Sockets the relay writes to, one of them drained, spread across the 64 KiB pieces.
      const watched = [1_000, 7_777, 15_000, 20_001];
      for (const [n, i] of watched.entries()) lines.splice(i, 0, line(40_000 + n, '01', n * 100));
      const path = join(dir, 'tcp');
      writeFileSync(path, lines.join(''));
      const queues = await createProcSendQueueReader([path])!();
      expect(queues.size).toBe(watched.length);
      for (const n of watched.keys())
        expect(
          queues.get(`0100007F:${(40_000 + n).toString(16).toUpperCase()} 0100007F:1F90`),
        ).toBe(n * 100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Tunnel registrations on an injected clock (grace period, hand-back, expiry), stream token
// strength and comparison, and log redaction (no token ever reaches a log line).

import { describe, expect, it } from 'vitest';
import { createLogger, redact } from '../../src-main/relay/log';
import {
  newOpaqueToken,
  tokensEqual,
  TunnelRegistry,
  type Registration,
} from '../../src-main/relay/registry';
import type { Clock } from '../../src-main/shared/clock';

/** A manual clock: timers fire only when the test advances time. */
function manualClock(): Clock & { advance(ms: number): void; pending(): number } {
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (handle) => {
      timers.delete(handle as number);
    },
    advance(ms) {
      now += ms;
      for (const [id, timer] of [...timers].sort((a, b) => a[1].at - b[1].at)) {
        if (timer.at <= now) {
          timers.delete(id);
          timer.fn();
        }
      }
    },
    pending: () => timers.size,
  };
}

const target = { remoteHost: '127.0.0.1', remotePort: 22, localPort: 2222 };

describe('TunnelRegistry', () => {
  it('keeps a dropped session’s registration for the grace period, then forgets it', () => {
    const clock = manualClock();
    const expired: Registration[] = [];
    const registry = new TunnelRegistry({
      clock,
      graceMs: 60_000,
      onExpire: (r) => expired.push(r),
    });
    registry.create('t1', 'acme', 'alice', 1, target);
    registry.create('t2', 'acme', 'alice', 2, target);
    expect(registry.releaseSession(1).map((r) => r.tunnelId)).toEqual(['t1']);
    expect(registry.find('acme', 'alice', 't1')).toMatchObject({
      sessionId: null,
      graceUntil: 60_000,
    });
    clock.advance(59_999);
    expect(registry.find('acme', 'alice', 't1')).toBeDefined();
    clock.advance(1);
    expect(registry.find('acme', 'alice', 't1')).toBeUndefined();
    expect(expired.map((r) => r.tunnelId)).toEqual(['t1']);
    expect(registry.find('acme', 'alice', 't2')?.sessionId).toBe(2);
  });

  it('hands a registration back with the same stream token and stops its grace timer', () => {
    const clock = manualClock();
    const registry = new TunnelRegistry({ clock, graceMs: 60_000 });
    const original = registry.create('t1', 'acme', 'alice', 1, target);
    const token = original.streamToken;
    registry.releaseSession(1);
    clock.advance(30_000);
    const back = registry.find('acme', 'alice', 't1')!;
    expect(registry.find('acme', 'mallory', 't1')).toBeUndefined();
    expect(registry.find('other', 'alice', 't1')).toBeUndefined();
    registry.reclaim(back, 7, { ...target, remotePort: 2200 });
    expect(clock.pending()).toBe(0);
    clock.advance(120_000);
    expect(registry.find('acme', 'alice', 't1')).toMatchObject({
      sessionId: 7,
      streamToken: token,
      remotePort: 2200,
      graceUntil: null,
    });
  });

  it('scopes tunnel ids per client: two clients hold the same id, each stream finds its own', () => {
    const clock = manualClock();
    const registry = new TunnelRegistry({ clock, graceMs: 60_000 });
    const alice = registry.create('t-2222', 'acme', 'alice', 1, target);
    const bob = registry.create('t-2222', 'acme', 'bob', 2, { ...target, remotePort: 2200 });
    const carol = registry.create('t-2222', 'globex', 'alice', 3, target);
    expect(registry.size).toBe(3);
    expect(registry.forStream('t-2222', alice.streamToken)).toBe(alice);
    expect(registry.forStream('t-2222', bob.streamToken)).toBe(bob);
    expect(registry.forStream('t-2222', carol.streamToken)).toBe(carol);
    expect(registry.forStream('t-2222', newOpaqueToken())).toBeUndefined();
    // A token is good only with the id it was issued for.
    expect(registry.forStream('t-3333', alice.streamToken)).toBeUndefined();
    // One client's expiry leaves the other holders of the id alone.
    registry.releaseSession(1);
    clock.advance(60_000);
    expect(registry.forStream('t-2222', alice.streamToken)).toBeUndefined();
    expect(registry.forStream('t-2222', bob.streamToken)).toBe(bob);
  });

  it('admits streams only until the registering token’s access ends, and a reclaim renews it', () => {
    const clock = manualClock();
    const registry = new TunnelRegistry({ clock, graceMs: 60_000 });
    const r = registry.create('t1', 'acme', 'alice', 1, target, 10_000);
    clock.advance(9_999);
    expect(registry.forStream('t1', r.streamToken)).toBe(r);
    clock.advance(1);
    expect(registry.forStream('t1', r.streamToken)).toBeUndefined();
    registry.reclaim(r, 2, target, 50_000);
    expect(registry.forStream('t1', r.streamToken)).toBe(r);
  });

  it('does not expire a registration that was handed back and then released again early', () => {
    const clock = manualClock();
    const registry = new TunnelRegistry({ clock, graceMs: 10_000 });
    const r = registry.create('t1', 'acme', 'alice', 1, target);
    registry.releaseSession(1);
    clock.advance(9_000);
    registry.reclaim(r, 2, target);
    registry.releaseSession(2);
    clock.advance(9_000); // 18 s after the first drop, 9 s after the second
    expect(registry.find('acme', 'alice', 't1')).toBeDefined();
    clock.advance(1_000);
    expect(registry.find('acme', 'alice', 't1')).toBeUndefined();
  });

  it('counts per tenant, issues one stable reconnect token per owner, and clears all timers', () => {
    const clock = manualClock();
    const registry = new TunnelRegistry({ clock, graceMs: 1_000 });
    registry.create('a', 'acme', 'alice', 1, target);
    registry.create('b', 'acme', 'bob', 2, target);
    registry.create('c', 'globex', 'carol', 3, target);
    expect(registry.countForTenant('acme')).toBe(2);
    expect(registry.reconnectTokenFor('acme', 'alice')).toBe(
      registry.reconnectTokenFor('acme', 'alice'),
    );
    expect(registry.reconnectTokenFor('acme', 'alice')).not.toBe(
      registry.reconnectTokenFor('acme', 'bob'),
    );
    registry.releaseSession(1);
    registry.clear();
    expect(registry.size).toBe(0);
    expect(clock.pending()).toBe(0);
  });
});

describe('stream tokens', () => {
  it('are 256-bit base64url strings, all different', () => {
    const tokens = new Set(Array.from({ length: 200 }, () => newOpaqueToken()));
    expect(tokens.size).toBe(200);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url').length).toBe(32);
    }
  });

  it('compare equal only when identical, whatever the lengths', () => {
    const token = newOpaqueToken();
    expect(tokensEqual(token, token)).toBe(true);
    expect(tokensEqual(token, token.slice(0, -1))).toBe(false);
    expect(tokensEqual(token, token + 'A')).toBe(false);
    expect(tokensEqual(token, '')).toBe(false);
    expect(tokensEqual(token, newOpaqueToken())).toBe(false);
  });
});

describe('relay log', () => {
  it('writes one JSON record per line with timestamp, level, event, tunnel_id and details', () => {
    const lines: string[] = [];
    const log = createLogger({
      sink: (line) => lines.push(line),
      clock: { now: () => Date.UTC(2026, 0, 2, 3, 4, 5) },
    });
    log.log('warn', 'auth_failed', { reason: 'expired' }, 't1');
    log.log('debug', 'hidden', {});
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      timestamp: '2026-01-02T03:04:05.000Z',
      level: 'warn',
      event: 'auth_failed',
      tunnel_id: 't1',
      details: { reason: 'expired' },
    });
  });

  it('never lets a token, stream token, reconnect token or secret through, at any depth', () => {
    const secretValues = [
      'eyJhbGciOiJIUzI1NiJ9.e30.sig',
      'stream-secret-value',
      'reconnect-secret-value',
      'hmac-secret-value',
    ];
    const record = redact({
      token: secretValues[0],
      nested: { stream_token: secretValues[1], list: [{ reconnect_token: secretValues[2] }] },
      jwtSecret: secretValues[3],
      reason: 'kept',
    });
    const text = JSON.stringify(record);
    for (const value of secretValues) expect(text).not.toContain(value);
    expect(text).toContain('kept');
  });

  it('survives a sink that throws', () => {
    const log = createLogger({
      sink: () => {
        throw new Error('EPIPE');
      },
      clock: { now: () => 0 },
    });
    expect(() => log.log('info', 'x')).not.toThrow();
  });
});

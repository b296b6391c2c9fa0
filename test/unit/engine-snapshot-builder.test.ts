// The pure snapshot builder and the retry decision: same input, same snapshot, input never
// touched; what a failed attempt leads to (stop, give up, retry after the schedule).
import { describe, expect, it } from 'vitest';
import { EngineError } from '../../src-main/engine/errors';
import { afterFailure, isFatal } from '../../src-main/engine/retry-decision';
import { buildSnapshot, type SnapshotInput } from '../../src-main/engine/snapshot-builder';
import { NEEDS_USER_CODES } from '../../src-main/shared/error-codes';

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function input(): SnapshotInput {
  return deepFreeze({
    session: {
      state: 'reconnecting' as const,
      relay: { host: 'relay.example', port: 8443, insecure: true },
      clientId: 'c-1',
      tenantId: 't-1',
      connectedSince: null,
      attempt: 3,
      nextRetryAt: NOW + 4_000,
      relayVersion: '2.0',
      relayFeatures: ['tcp_stream'],
      lastError: {
        code: 'connection_lost' as const,
        message: 'gone',
        at: new Date(NOW).toISOString(),
      },
    },
    tunnels: [
      {
        config: {
          id: 't-ssh',
          name: 'ssh',
          kind: 'ssh' as const,
          localHost: '127.0.0.1',
          localPort: 2222,
          remoteHost: '10.0.0.5',
          remotePort: 22,
          enabled: true,
        },
        status: 'pending' as const,
        dataMode: 'stream' as const,
        error: null,
        counters: {
          bytesIn: 10,
          bytesOut: 20,
          rateInBps: 1,
          rateOutBps: 2,
          openConnections: 1,
          totalConnections: 4,
          failedConnections: 1,
        },
      },
    ],
    seq: 41,
    now: NOW,
  });
}

describe('snapshot builder', () => {
  it('gives the same snapshot for the same input and leaves the (frozen) input alone', () => {
    const a = buildSnapshot(input());
    const b = buildSnapshot(input());
    expect(b).toEqual(a);
    expect(a).toMatchObject({
      state: 'reconnecting',
      seq: 41,
      at: new Date(NOW).toISOString(),
      session: {
        relay: 'relay.example:8443',
        insecure: true,
        reconnectAttempt: 3,
        maxReconnectAttempts: 10,
        nextRetryAt: new Date(NOW + 4_000).toISOString(),
        connectedSince: null,
      },
    });
    expect(a.tunnels[0]).toMatchObject({
      id: 't-ssh',
      bytesIn: 10,
      rateOutBps: 2,
      failedConnections: 1,
    });
  });

  it('shows the attempt number only while Reconnecting', () => {
    const base = input();
    const active = buildSnapshot({
      ...base,
      session: { ...base.session, state: 'active', connectedSince: NOW - 1_000 },
    });
    expect(active.session.reconnectAttempt).toBe(0);
    expect(active.session.connectedSince).toBe(new Date(NOW - 1_000).toISOString());
  });
});

describe('retry decision', () => {
  it('stops at once on every code that needs the user, and on fatal relay codes', () => {
    for (const code of NEEDS_USER_CODES) {
      expect(afterFailure(new EngineError(code, 'x'), 0, () => 0)).toEqual({ kind: 'fatal' });
    }
    expect(isFatal('invalid_token')).toBe(true);
    expect(isFatal('keychain_unavailable')).toBe(false);
    expect(isFatal('connection_lost')).toBe(false);
  });

  it('retries on the schedule, honours retry_after as a floor, and gives up after the 10th attempt', () => {
    const lost = new EngineError('connection_lost', 'gone');
    expect(afterFailure(lost, 0, () => 0)).toEqual({ kind: 'retry', attempt: 1, delayMs: 1_000 });
    expect(afterFailure(lost, 4, () => 0)).toEqual({ kind: 'retry', attempt: 5, delayMs: 16_000 });
    const limited = new EngineError('rate_limit_exceeded', 'slow down', undefined, 45);
    expect(afterFailure(limited, 0, () => 0)).toMatchObject({ kind: 'retry', delayMs: 45_000 });
    const last = afterFailure(lost, 10, () => 0);
    expect(last.kind).toBe('gave_up');
    if (last.kind === 'gave_up') {
      expect(last.error.code).toBe('reconnect_exhausted');
      expect(last.error.detail).toBe('connection_lost: gone');
    }
  });
});

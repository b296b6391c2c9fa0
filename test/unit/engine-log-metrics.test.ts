// Log records never carry tokens (docs/protocol.md#metrics-and-logs) and metrics are valid
// Prometheus text with the seed metric names.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src-main/engine/log';
import { EngineMetrics } from '../../src-main/engine/metrics';
import type { LogRecord } from '../../src-main/shared/model';
import { FakeClock } from './engine-fake-clock';

describe('engine log scrubber', () => {
  it('redacts token-named fields, known secrets anywhere, and JWT-shaped strings', () => {
    const clock = new FakeClock(Date.parse('2026-01-02T03:04:05.000Z'));
    const records: LogRecord[] = [];
    const logger = createLogger(clock, (r) => records.push(r));
    logger.secrets.add('stream-secret-0123456789');
    logger.log('warn', 'relay_error', 't1', {
      token: 'plain',
      nested: {
        stream_token: 'x',
        reconnect_token: 'y',
        list: ['prefix stream-secret-0123456789 suffix'],
      },
      message: 'bad token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abcdefgh given',
      port: 443,
    });
    const record = records[0]!;
    expect(record).toMatchObject({
      timestamp: '2026-01-02T03:04:05.000Z',
      level: 'warn',
      event: 'relay_error',
      tunnel_id: 't1',
    });
    const text = JSON.stringify(record);
    expect(text).not.toContain('plain');
    expect(text).not.toContain('stream-secret-0123456789');
    expect(text).not.toContain('eyJhbGciOiJIUzI1NiJ9');
    expect(record.details['port']).toBe(443);
    expect(record.details['message']).toBe('bad token [redacted] given');
  });
});

describe('engine metrics', () => {
  it('exposes the seed metrics from the engine counters at scrape time', async () => {
    let bytesIn = 10;
    const metrics = new EngineMetrics({
      connectionTimeSeconds: () => 12.5,
      bytesIn: () => bytesIn,
      bytesOut: () => 20,
      activeTunnels: () => 3,
      errorCounts: () => new Map([['connection_refused', 2]]),
    });
    let text = await metrics.text();
    expect(text).toContain('# TYPE cloudbridge_connection_time_seconds gauge');
    expect(text).toContain('cloudbridge_connection_time_seconds 12.5');
    expect(text).toContain('# TYPE cloudbridge_bytes_transferred_total counter');
    expect(text).toContain('cloudbridge_bytes_transferred_total{direction="in"} 10');
    expect(text).toContain('cloudbridge_bytes_transferred_total{direction="out"} 20');
    expect(text).toContain('cloudbridge_active_tunnels 3');
    expect(text).toContain('cloudbridge_errors_total{code="connection_refused"} 2');
    expect(text).not.toContain('process_cpu');
    bytesIn = 1000;
    text = await metrics.text();
    expect(text).toContain('cloudbridge_bytes_transferred_total{direction="in"} 1000');
    metrics.close();
  });
});

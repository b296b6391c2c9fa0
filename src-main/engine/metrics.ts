// Client metrics in Prometheus text (docs/protocol.md#metrics-and-logs) on a registry of our own,
// custom metrics only (prom-client's default process metrics fail promtool). Values are read
// from the engine at scrape time, so the data path never touches prom-client.

import { Counter, Gauge, Registry } from 'prom-client';

export interface MetricsSource {
  /** Seconds since the session last became Active, 0 when not Active. */
  connectionTimeSeconds(): number;
  bytesIn(): number;
  bytesOut(): number;
  activeTunnels(): number;
  /** Errors seen so far, by ErrorCode. */
  errorCounts(): ReadonlyMap<string, number>;
}

export class EngineMetrics {
  readonly registry = new Registry();

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    new Gauge({
      name: 'cloudbridge_connection_time_seconds',
      help: 'Seconds the current relay session has been Active (0 when not Active).',
      registers,
      collect() {
        this.set(source.connectionTimeSeconds());
      },
    });
    new Counter({
      name: 'cloudbridge_bytes_transferred_total',
      help: 'Bytes carried through tunnels; direction in = relay to local, out = local to relay.',
      labelNames: ['direction'] as const,
      registers,
      collect() {
        // The engine keeps the totals; mirror them at scrape time.
        this.reset();
        this.inc({ direction: 'in' }, source.bytesIn());
        this.inc({ direction: 'out' }, source.bytesOut());
      },
    });
    new Gauge({
      name: 'cloudbridge_active_tunnels',
      help: 'Tunnels registered with the relay and listening locally.',
      registers,
      collect() {
        this.set(source.activeTunnels());
      },
    });
    new Counter({
      name: 'cloudbridge_errors_total',
      help: 'Errors by code; rate() of this is the error rate (docs/protocol.md#metrics-and-logs).',
      labelNames: ['code'] as const,
      registers,
      collect() {
        this.reset();
        for (const [code, count] of source.errorCounts()) this.inc({ code }, count);
      },
    });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  close(): void {
    this.registry.clear();
  }
}

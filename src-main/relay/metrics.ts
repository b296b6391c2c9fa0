// The relay's Prometheus metrics (docs/protocol.md#metrics-and-logs) on a registry of its own:
// custom metrics only (no default Node collectors, which fail `promtool check metrics`), counters
// named *_total. Also the optional HTTP listener that serves them on /metrics.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry } from 'prom-client';

export class RelayMetrics {
  readonly registry = new Registry();
  readonly sessionsActive: Gauge;
  readonly sessionsTotal: Counter;
  readonly tunnelsActive: Gauge;
  readonly tunnelRegistrationsTotal: Counter<'kind'>;
  readonly streamsActive: Gauge;
  readonly streamsTotal: Counter<'result'>;
  readonly bytesTotal: Counter<'direction'>;
  readonly authFailuresTotal: Counter<'reason'>;
  readonly errorsTotal: Counter<'code'>;
  /** Every configured bound by name (docs/protocol.md#limits), so /metrics shows the caps. */
  readonly limit: Gauge<'limit'>;
  /** Times a bound acted (a refusal, a timeout, a cut), by the bound's name. */
  readonly limitHitsTotal: Counter<'limit'>;
  readonly connectionsActive: Gauge<'phase'>;
  readonly logSuppressedTotal: Counter;

  constructor() {
    const registers = [this.registry];
    this.sessionsActive = new Gauge({
      name: 'cloudbridge_relay_sessions_active',
      help: 'Control sessions currently open',
      registers,
    });
    this.sessionsTotal = new Counter({
      name: 'cloudbridge_relay_sessions_total',
      help: 'Control sessions accepted',
      registers,
    });
    this.tunnelsActive = new Gauge({
      name: 'cloudbridge_relay_tunnels_active',
      help: 'Tunnel registrations held, live or in grace',
      registers,
    });
    this.tunnelRegistrationsTotal = new Counter({
      name: 'cloudbridge_relay_tunnel_registrations_total',
      help: 'Tunnel registrations by kind: created, or handed back after a reconnect',
      labelNames: ['kind'],
      registers,
    });
    this.streamsActive = new Gauge({
      name: 'cloudbridge_relay_streams_active',
      help: 'Data streams currently carrying bytes',
      registers,
    });
    this.streamsTotal = new Counter({
      name: 'cloudbridge_relay_streams_total',
      help: 'Data stream requests by result',
      labelNames: ['result'],
      registers,
    });
    const totals = this.totals;
    this.bytesTotal = new Counter({
      name: 'cloudbridge_relay_transferred_bytes_total',
      help: 'Bytes carried on data streams by direction',
      labelNames: ['direction'],
      registers,
      collect() {
        // Counted per chunk into plain numbers (a labelled inc() hashes its labels on every
        // call, a measurable cost per 16 KiB) and mirrored here at scrape time.
        this.reset();
        this.inc({ direction: 'to_target' }, totals.bytesToTarget);
        this.inc({ direction: 'to_client' }, totals.bytesToClient);
      },
    });
    this.authFailuresTotal = new Counter({
      name: 'cloudbridge_relay_auth_failures_total',
      help: 'Failed authentications by reason',
      labelNames: ['reason'],
      registers,
    });
    this.errorsTotal = new Counter({
      name: 'cloudbridge_relay_errors_total',
      help: 'Error messages sent to clients by wire code',
      labelNames: ['code'],
      registers,
    });
    this.limit = new Gauge({
      name: 'cloudbridge_relay_limit',
      help: 'Configured bound by name: a count, bytes (_bytes) or milliseconds (_ms)',
      labelNames: ['limit'],
      registers,
    });
    this.limitHitsTotal = new Counter({
      name: 'cloudbridge_relay_limit_hits_total',
      help: 'Times a bound refused, timed out or cut a connection or request, by bound',
      labelNames: ['limit'],
      registers,
    });
    this.connectionsActive = new Gauge({
      name: 'cloudbridge_relay_connections_active',
      help: 'Client connections by phase: handshake, unauthenticated, established',
      labelNames: ['phase'],
      registers,
    });
    this.logSuppressedTotal = new Counter({
      name: 'cloudbridge_relay_log_suppressed_total',
      help: 'Log records dropped by the refusal log budgets (summarised in the log)',
      registers,
    });
  }

  /** Plain running totals for RelayServer.stats(), which must answer synchronously. */
  readonly totals = { bytesToTarget: 0, bytesToClient: 0, authFailures: 0 };

  countBytes(direction: 'to_target' | 'to_client', bytes: number): void {
    if (direction === 'to_target') this.totals.bytesToTarget += bytes;
    else this.totals.bytesToClient += bytes;
  }

  countAuthFailure(reason: string): void {
    this.authFailuresTotal.inc({ reason });
    this.totals.authFailures += 1;
  }

  sessionOpened(): void {
    this.sessionsTotal.inc();
    this.sessionsActive.inc();
  }

  sessionClosed(): void {
    this.sessionsActive.dec();
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Serves GET /metrics on its own port. Resolves once listening. */
export async function startMetricsServer(
  metrics: RelayMetrics,
  host: string,
  port: number,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.text().then(
      (body) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostText = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${hostText}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

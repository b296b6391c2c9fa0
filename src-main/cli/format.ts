// What `cloudbridge connect` prints: one line per state change and per changed tunnel
// counter set, for people or (with --json) for machines. Pure functions plus a small
// throttling reporter with an injected clock; it never sees or prints a token.

import type { EngineSnapshot, LogRecord, PublishSnapshot, TunnelSnapshot } from '../shared/model';

/** Counter lines for one tunnel are printed at most this often, and only when they change. */
export const COUNTER_MIN_INTERVAL_MS = 1_000;

const STATE_LABEL: Readonly<Record<EngineSnapshot['state'], string>> = {
  disconnected: 'Disconnected',
  authenticating: 'Authenticating',
  registered: 'Registered',
  active: 'Active',
  reconnecting: 'Reconnecting',
};

/** SI units, as network tools show them: 1.2 MB, 300 kB/s. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 'B';
  for (const next of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = next;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${unit}`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** `HH:MM:SS` in UTC, so lines from client and relay logs line up. */
export function formatClock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function hostForDisplay(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** e.g. `12:00:01 Active  relay 127.0.0.1:8443  client alice  tenant t1`. */
export function formatStateLine(snapshot: EngineSnapshot, nowMs: number): string {
  const { session } = snapshot;
  const parts = [`${formatClock(nowMs)} ${STATE_LABEL[snapshot.state]}`, `relay ${session.relay}`];
  if (session.insecure) parts.push('PLAINTEXT (insecure)');
  if (snapshot.state === 'reconnecting') {
    parts.push(`attempt ${session.reconnectAttempt}/${session.maxReconnectAttempts}`);
    if (session.nextRetryAt !== null) parts.push(`next try ${session.nextRetryAt.slice(11, 19)}`);
  }
  if (snapshot.state === 'active' || snapshot.state === 'registered') {
    if (session.clientId !== null) parts.push(`client ${session.clientId}`);
    if (session.tenantId !== null) parts.push(`tenant ${session.tenantId}`);
  }
  if (snapshot.lastError !== null && snapshot.state !== 'active') {
    parts.push(`error ${snapshot.lastError.code}: ${snapshot.lastError.message}`);
  }
  return parts.join('  ');
}

/** e.g. `tunnel t-5022  listening 127.0.0.1:5022 -> 10.0.0.5:22  in 1.2 MB (300 kB/s)  out ...  conns 2`. */
export function formatTunnelLine(tunnel: TunnelSnapshot): string {
  const parts = [
    `tunnel ${tunnel.id}`,
    `${tunnel.status} ${hostForDisplay(tunnel.localHost)}:${tunnel.localPort} -> ${hostForDisplay(tunnel.remoteHost)}:${tunnel.remotePort}`,
  ];
  if (tunnel.dataMode === 'direct') parts.push('DIRECT (relay does not carry data)');
  if (tunnel.endToEnd === true) parts.push('end to end');
  if (tunnel.endToEnd === false) parts.push('KEYLESS (not end to end)');
  parts.push(`in ${formatBytes(tunnel.bytesIn)} (${formatRate(tunnel.rateInBps)})`);
  parts.push(`out ${formatBytes(tunnel.bytesOut)} (${formatRate(tunnel.rateOutBps)})`);
  parts.push(`conns ${tunnel.openConnections}`);
  if (tunnel.failedConnections > 0) parts.push(`failed ${tunnel.failedConnections}`);
  if (tunnel.error !== null) {
    parts.push(
      `error ${tunnel.error.code}: ${tunnel.error.message}${tunnel.error.detail ? ` (${tunnel.error.detail})` : ''}`,
    );
  }
  return parts.join('  ');
}

/**
 * e.g. `server office-pc  online  ports 22,3389  end to end  conns 1  in 1.2 MB  out 3.4 MB
 * alice@acme from 198.51.100.7 port 3389 since 12:00:01`: who is connected, one per entry.
 */
export function formatPublishLine(publish: PublishSnapshot): string {
  const parts = [`server ${publish.name}`, publish.status, `ports ${publish.ports.join(',')}`];
  // Until the first registration the key may not be read yet: keyless is said once it is a fact.
  if (publish.publicKey !== null) parts.push('end to end');
  else if (publish.status === 'online') parts.push('KEYLESS (not end to end)');
  if (publish.allowSubs !== null) parts.push(`for ${publish.allowSubs.join(',')}`);
  parts.push(`conns ${publish.connections.length}`);
  parts.push(`in ${formatBytes(publish.bytesIn)}`, `out ${formatBytes(publish.bytesOut)}`);
  for (const c of publish.connections)
    parts.push(
      `${c.sub}@${c.tenantId} from ${hostForDisplay(c.remote)} port ${c.port} since ${c.since.slice(11, 19)}`,
    );
  if (publish.error !== null) {
    const detail = publish.error.detail !== undefined ? ` (${publish.error.detail})` : '';
    parts.push(`error ${publish.error.code}: ${publish.error.message}${detail}`);
  }
  return parts.join('  ');
}

/** The part of a tunnel that, when it changes, is worth a new line. Rates alone are not. */
function tunnelKey(tunnel: TunnelSnapshot): string {
  return JSON.stringify([
    tunnel.status,
    tunnel.dataMode,
    tunnel.bytesIn,
    tunnel.bytesOut,
    tunnel.openConnections,
    tunnel.failedConnections,
    tunnel.error?.code ?? null,
  ]);
}

function structuralKey(tunnel: TunnelSnapshot): string {
  return JSON.stringify([
    tunnel.status,
    tunnel.dataMode,
    tunnel.error?.code ?? null,
    tunnel.error?.message ?? null,
  ]);
}

export interface ReporterOptions {
  readonly json: boolean;
  readonly write: (line: string) => void;
  readonly now: () => number;
}

/**
 * Folds snapshots and log records into output lines. State changes print at once; a tunnel's
 * counter line prints when its status changes, or when its counters changed and at least
 * COUNTER_MIN_INTERVAL_MS passed since its last line.
 */
export class Reporter {
  private lastStateKey: string | null = null;
  private readonly lastTunnelKey = new Map<string, string>();
  private readonly lastStructuralKey = new Map<string, string>();
  private readonly lastTunnelAt = new Map<string, number>();
  private latest: EngineSnapshot | null = null;
  private lastPublishKey: string | null = null;
  private lastPublishStructural: string | null = null;
  private lastPublishAt: number | null = null;

  constructor(private readonly options: ReporterOptions) {}

  /**
   * Re-reads the latest snapshot so a counter change held back by the throttle still gets
   * its line once traffic stops; the CLI calls it once a second.
   */
  flush(): void {
    if (this.latest !== null) this.snapshot(this.latest);
  }

  snapshot(snapshot: EngineSnapshot): void {
    this.latest = snapshot;
    const now = this.options.now();
    const stateKey = JSON.stringify([
      snapshot.state,
      snapshot.session.reconnectAttempt,
      snapshot.session.clientId,
      snapshot.session.tenantId,
      snapshot.lastError?.code ?? null,
    ]);
    const stateChanged = stateKey !== this.lastStateKey;
    const changedTunnels: TunnelSnapshot[] = [];
    for (const tunnel of snapshot.tunnels) {
      const key = tunnelKey(tunnel);
      if (key === this.lastTunnelKey.get(tunnel.id)) continue;
      const structural = structuralKey(tunnel) !== this.lastStructuralKey.get(tunnel.id);
      const last = this.lastTunnelAt.get(tunnel.id);
      if (
        !structural &&
        !stateChanged &&
        last !== undefined &&
        now - last < COUNTER_MIN_INTERVAL_MS
      )
        continue;
      changedTunnels.push(tunnel);
      this.lastTunnelKey.set(tunnel.id, key);
      this.lastStructuralKey.set(tunnel.id, structuralKey(tunnel));
      this.lastTunnelAt.set(tunnel.id, now);
    }
    const publish = this.publishChanged(snapshot.publish ?? null, now, stateChanged);
    if (this.options.json) {
      if (stateChanged || changedTunnels.length > 0 || publish !== null)
        this.options.write(JSON.stringify({ kind: 'snapshot', ...snapshot }));
    } else {
      if (stateChanged) this.options.write(formatStateLine(snapshot, now));
      for (const tunnel of changedTunnels)
        this.options.write(`${formatClock(now)} ${formatTunnelLine(tunnel)}`);
      if (publish !== null) this.options.write(`${formatClock(now)} ${formatPublishLine(publish)}`);
    }
    this.lastStateKey = stateKey;
  }

  /** The published server when its line is due: at once for status or who, else throttled. */
  private publishChanged(
    publish: PublishSnapshot | null,
    now: number,
    stateChanged: boolean,
  ): PublishSnapshot | null {
    if (publish === null) return null;
    const structural = JSON.stringify([
      publish.status,
      publish.connections.map((c) => c.id),
      publish.error?.code ?? null,
    ]);
    const key = JSON.stringify([structural, publish.bytesIn, publish.bytesOut]);
    if (key === this.lastPublishKey) return null;
    const isStructural = structural !== this.lastPublishStructural;
    if (
      !isStructural &&
      !stateChanged &&
      this.lastPublishAt !== null &&
      now - this.lastPublishAt < COUNTER_MIN_INTERVAL_MS
    )
      return null;
    this.lastPublishKey = key;
    this.lastPublishStructural = structural;
    this.lastPublishAt = now;
    return publish;
  }

  /** Log records go out as JSON lines in --json mode, warnings and errors as text otherwise. */
  log(record: LogRecord): void {
    if (this.options.json) {
      this.options.write(JSON.stringify({ kind: 'log', ...record }));
      return;
    }
    if (record.level !== 'warn' && record.level !== 'error') return;
    const tunnel = record.tunnel_id === null ? '' : `  tunnel ${record.tunnel_id}`;
    const details =
      Object.keys(record.details).length === 0 ? '' : `  ${JSON.stringify(record.details)}`;
    this.options.write(
      `${formatClock(this.options.now())} ${record.level} ${record.event}${tunnel}${details}`,
    );
  }
}

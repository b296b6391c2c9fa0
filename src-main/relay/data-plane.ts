// Builds the relay's data-plane bounds from its options (docs/protocol.md#limits): the stream
// table (per-client and per-tenant stream limits, idle and half-closed reaping), the buffer
// ceiling, and bounded, cached target lookups; plus their metrics on the relay's registry.
// relay-server.ts calls this once; the parts live in stream-table.ts, stream-budget.ts,
// lookup.ts and dns-resolver.ts.

import { Counter, Gauge } from 'prom-client';
import type { Clock } from '../shared/clock';
import type { LookupAll } from './context';
import { createDnsResolver, type ResolverMode } from './dns-resolver';
import { createProcSendQueueReader } from './kernel-queue';
import type { RelayLogger } from './log';
import { LookupService, type LookupBounds, type RawResolve } from './lookup';
import type { RelayMetrics } from './metrics';
import {
  DEFAULT_MAX_BUFFERED_BYTES_PER_CLIENT,
  DEFAULT_MAX_BUFFERED_BYTES_PER_TENANT,
  kernelSendBufferBytes,
  StreamBudget,
} from './stream-budget';
import {
  DEFAULT_MAX_STREAMS_PER_CLIENT,
  DEFAULT_STREAM_HALF_CLOSED_TIMEOUT_MS,
  DEFAULT_STREAM_IDLE_TIMEOUT_MS,
  StreamTable,
  type ReapReason,
} from './stream-table';

/** `streams` in the relay's options and config file. */
export interface StreamOptions {
  /** No byte either way for this long: the stream is reset. 0 = never. */
  readonly idleTimeoutMs: number;
  /** One side sent its FIN and nothing moved for this long: reset. 0 = never. */
  readonly halfClosedTimeoutMs: number;
  /** Streams one client (tenant + subject) may hold; a tenant's own setting wins. */
  readonly maxPerClient: number;
  /** Bytes held for peers that do not read, per client and per tenant. 0 = no ceiling. */
  readonly maxBufferedBytesPerClient: number;
  readonly maxBufferedBytesPerTenant: number;
  /** Read the kernel's send queues (Linux /proc/net/tcp) instead of estimating them. */
  readonly readKernelQueues: boolean;
}

/** `dns` in the relay's options and config file. */
export interface DnsOptions extends LookupBounds {
  readonly mode: ResolverMode;
  readonly servers: readonly string[];
  readonly hostsFile: string;
}

const REAP_LIMITS = {
  idle: 'stream_idle_timeout_ms',
  half_closed: 'stream_half_closed_timeout_ms',
} as const;

/** getaddrinfo runs on libuv's pool of four threads: keep two for files and crypto. */
const SYSTEM_MODE_MAX_TOTAL = 2;

export interface DataPlane {
  readonly streams: StreamTable;
  readonly budget: StreamBudget;
  readonly lookups: LookupService;
  /** The bounded lookup the context hands to stream and session code. */
  readonly lookup: LookupAll;
  /** A registration expired: its streams end (docs/protocol.md#limits). */
  closeRegistration(registration: object, tunnelId: string): void;
  close(): void;
}

export function createDataPlane(options: {
  readonly clock: Clock;
  readonly log: RelayLogger;
  readonly metrics: RelayMetrics;
  readonly streams?: Partial<StreamOptions>;
  readonly dns?: Partial<DnsOptions>;
  /** A test's resolver instead of DNS (its answers carry no TTL, so they are not cached). */
  readonly resolve?: RawResolve;
}): DataPlane {
  const { clock, log, metrics } = options;
  const registers = [metrics.registry];
  const reaped = new Counter({
    name: 'cloudbridge_relay_streams_reaped_total',
    help: 'Streams the relay ended: idle, half-closed too long, or their registration expired',
    labelNames: ['reason'],
    registers,
  });
  const holds = new Counter({
    name: 'cloudbridge_relay_stream_holds_total',
    help: 'Times a stream was held back because its client or tenant was over its buffer ceiling',
    registers,
  });
  const lookupsTotal = new Counter({
    name: 'cloudbridge_relay_lookups_total',
    help: 'Target name lookups by result (ok, cached, joined, failed, timeout)',
    labelNames: ['result'],
    registers,
  });

  // Many streams can be reaped in one sweep: one log record per reason and tick, not per stream.
  let pendingLog: Map<ReapReason, number> | null = null;
  const streams = new StreamTable({
    clock,
    idleTimeoutMs: options.streams?.idleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS,
    halfClosedTimeoutMs:
      options.streams?.halfClosedTimeoutMs ?? DEFAULT_STREAM_HALF_CLOSED_TIMEOUT_MS,
    onReap: (_slot, reason) => {
      reaped.inc({ reason });
      if (reason !== 'registration_expired')
        metrics.limitHitsTotal.inc({ limit: REAP_LIMITS[reason] });
      if (pendingLog === null) {
        pendingLog = new Map();
        queueMicrotask(() => {
          const counts = pendingLog ?? new Map<ReapReason, number>();
          pendingLog = null;
          for (const [why, count] of counts)
            log.log('info', 'streams_reaped', { reason: why, streams: count });
        });
      }
      pendingLog.set(reason, (pendingLog.get(reason) ?? 0) + 1);
    },
  });
  const budget = new StreamBudget({
    clock,
    table: streams,
    perClient: options.streams?.maxBufferedBytesPerClient ?? DEFAULT_MAX_BUFFERED_BYTES_PER_CLIENT,
    perTenant: options.streams?.maxBufferedBytesPerTenant ?? DEFAULT_MAX_BUFFERED_BYTES_PER_TENANT,
    kernelBytes: kernelSendBufferBytes(),
    readQueues: options.streams?.readKernelQueues === false ? null : createProcSendQueueReader(),
    onHold: () => {
      holds.inc();
      metrics.limitHitsTotal.inc({ limit: 'buffered_bytes' });
    },
  });

  const dns = options.dns ?? {};
  const mode = dns.mode ?? 'dns';
  const resolver =
    options.resolve === undefined
      ? createDnsResolver({
          clock,
          mode,
          timeoutMs: dns.timeoutMs ?? 5_000,
          ...(dns.servers !== undefined ? { servers: dns.servers } : {}),
          ...(dns.hostsFile !== undefined ? { hostsFile: dns.hostsFile } : {}),
        })
      : null;
  const lookups = new LookupService({
    ...dns,
    // One client must never hold every slot, or it starves the others all the same.
    ...(mode === 'system'
      ? {
          total: Math.min(dns.total ?? SYSTEM_MODE_MAX_TOTAL, SYSTEM_MODE_MAX_TOTAL),
          perClient: 1,
        }
      : {}),
    clock,
    resolve: options.resolve ?? ((name) => resolver!.resolve(name)),
    onOutcome: (result) => {
      lookupsTotal.inc({ result });
      if (result === 'timeout') metrics.limitHitsTotal.inc({ limit: 'lookup_timeout_ms' });
    },
  });
  // The configured bounds on /metrics next to the front door's (cloudbridge_relay_limit).
  const bounds: Record<string, number> = {
    streams_per_client: options.streams?.maxPerClient ?? DEFAULT_MAX_STREAMS_PER_CLIENT,
    stream_idle_timeout_ms: streams.idleTimeoutMs,
    stream_half_closed_timeout_ms: streams.halfClosedTimeoutMs,
    buffered_bytes_per_client: budget.perClient,
    buffered_bytes_per_tenant: budget.perTenant,
    lookups_per_client: lookups.bounds.perClient,
    lookups_total: lookups.bounds.total,
    lookup_timeout_ms: lookups.bounds.timeoutMs,
    lookup_cache_entries: lookups.bounds.cacheEntries,
    lookup_negative_ttl_ms: lookups.bounds.negativeTtlMs,
  };
  for (const [limit, value] of Object.entries(bounds)) metrics.limit.set({ limit }, value);

  new Gauge({
    name: 'cloudbridge_relay_stream_buffered_bytes',
    help: 'Bytes held for stream peers that do not read (queued writes and kernel estimate)',
    registers,
    collect() {
      this.set(budget.totalHeld());
    },
  });
  new Gauge({
    name: 'cloudbridge_relay_lookups_in_flight',
    help: 'Target name lookups running now',
    registers,
    collect() {
      this.set(lookups.inFlightCount);
    },
  });

  return {
    streams,
    budget,
    lookups,
    lookup: (hostname, identity) => lookups.lookup(hostname, identity),
    closeRegistration(registration, tunnelId) {
      const closed = streams.closeRegistration(registration);
      if (closed > 0) log.log('info', 'registration_streams_closed', { streams: closed }, tunnelId);
    },
    close() {
      streams.close();
      budget.close();
      resolver?.close();
    },
  };
}

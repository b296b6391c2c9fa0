// The reference relay (docs/protocol.md): a TLS 1.3 listener whose connections are control
// sessions or data streams, decided by their first line. startRelay() composes the parts
// (certs, auth, tenants, limits, registry, metrics, log) from one options object, so the
// relay runs the same in the CLI, in tests and embedded in the desktop app. The listener and
// the bounds of every connection phase are front-door.ts.

import type { AddressInfo, Server, Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import { CLIENT_FEATURES, PROTOCOL_VERSION, TCP_MUX_FEATURE } from '../protocol/messages';
import { createTokenVerifier, type JwtOptions } from './auth';
import { SlotPool } from './connection-limits';
import type { LookupAll, RelayContext, RelayLimits } from './context';
import { createDataPlane, type DnsOptions, type StreamOptions } from './data-plane';
import { ControlSession } from './control-session';
import { createFrontDoor } from './front-door';
import { handleDataConnection } from './data-stream';
import type { MuxLimits } from './mux-handler';
import { DEFAULT_MUX_MAX_STREAMS, DEFAULT_MUX_WINDOW } from '../protocol/mux-connection';
import { PUBLISHED_SERVERS_FEATURE } from '../protocol/server-messages';
import { spkiSha256, TLS13_CIPHER_SUITES } from '../protocol/tls';
import { createLogger, type LogSink } from './log';
import { RelayMetrics, startMetricsServer } from './metrics';
import { TenantTable, type TenantConfig } from './policy';
import { AuthFailureLimits, MinIntervalGate, TunnelCreationLimits } from './rate-limit';
import { RefusalLog } from './refusal-log';
import { SourcePenalties } from './source-penalties';
import {
  LIMIT_LABELS,
  readOpenFileLimit,
  resolveFrontDoorLimits,
  type FrontDoorLimitName,
  type FrontDoorLimits,
} from './relay-limits';
import { TunnelRegistry } from './registry';
import { createServerPlane } from './server-plane';
import { certificateFor, logStartup, realClock } from './relay-startup';
import type { LogLevel } from '../shared/model';
import type { Clock } from '../shared/clock';

export interface RelayOptions {
  /** Listen address; default 127.0.0.1. */
  readonly host?: string;
  /** Listen port; 0 picks a free one. Default 443. */
  readonly port?: number;
  /** PEM certificate and key. Without them: a development certificate (see dataDir). */
  readonly tls?: { readonly cert: string; readonly key: string };
  /**
   * Where the self-signed development certificate is kept across restarts. Without it (and
   * without `tls`) a throwaway certificate is made in memory.
   */
  readonly dataDir?: string;
  readonly jwt: JwtOptions;
  /** Tenant table; when given, tokens must name one of these tenants. */
  readonly tenants?: readonly TenantConfig[];
  /** Allowed target networks without tenants. Default none: every target is refused. */
  readonly allow?: readonly string[];
  /** Plaintext TCP, for development only (docs/protocol.md#transport). Logged loudly. */
  readonly insecure?: boolean;
  readonly log?: LogSink;
  readonly logLevel?: LogLevel;
  readonly clock?: Clock;
  /** Serve /metrics on this address (port 0 allowed). */
  readonly metrics?: { readonly host: string; readonly port: number };
  readonly graceMs?: number;
  /**
   * Close a connection that sends no first line within this time of its handshake (default
   * 60 s; absolute, see docs/protocol.md#limits). Same as limits.firstLineTimeoutMs.
   */
  readonly idleTimeoutMs?: number;
  readonly dialTimeoutMs?: number;
  /** Every bound of docs/protocol.md#limits; unset ones take their defaults (relay-limits.ts). */
  readonly limits?: Partial<FrontDoorLimits & Pick<RelayLimits, 'minHeartbeatIntervalMs'>>;
  /**
   * The open-file limit the defaulted totals are fitted to; default: read from
   * /proc/self/limits (null: do not fit).
   */
  readonly openFileLimit?: number | null;
  /** Name resolution for targets; tests inject one. Default: dns-resolver.ts (c-ares). */
  readonly lookup?: LookupAll;
  /** Stream limits, reaping and buffer ceilings (docs/protocol.md#limits). */
  readonly streams?: Partial<StreamOptions>;
  /** Target lookups: resolver, bounds and cache (docs/protocol.md#limits). */
  readonly dns?: Partial<DnsOptions>;
  /**
   * Multiplexed data connections (feature `tcp_mux`, docs/protocol.md). On by default;
   * `false` leaves the feature unannounced and treats `mux_open` as an unknown message.
   */
  readonly mux?: boolean | Partial<MuxLimits>;
  /**
   * `HOST:PORT` that register_response gives publishing computers for their serving
   * connections (docs/protocol.md "Register"); default: the name the client asked for (SNI)
   * and the listening port.
   */
  readonly publicEndpoint?: string;
}

export interface RelayStats {
  readonly sessions: number;
  readonly tunnels: number;
  /** Published server registrations held. */
  readonly servers: number;
  readonly streams: number;
  readonly openSockets: number;
  readonly bytesToTarget: number;
  readonly bytesToClient: number;
  readonly authFailures: number;
  /** Client connections by phase (front-door.ts). */
  readonly connections: { handshake: number; unauthenticated: number; established: number };
}

export interface RelayServer {
  readonly host: string;
  readonly port: number;
  readonly insecure: boolean;
  /** PEM of the certificate served (absent when insecure). Clients of a dev relay trust this. */
  readonly certPem?: string;
  readonly metricsUrl?: string;
  /** Prometheus text of the relay's metrics, also without a metrics listener. */
  metricsText(): Promise<string>;
  stats(): RelayStats;
  /** Stops accepting, ends sessions, destroys streams; resolves when every socket is closed. */
  close(): Promise<void>;
}

export const DEFAULT_RELAY_PORT = 443;
export const DEFAULT_GRACE_MS = 60_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_DIAL_TIMEOUT_MS = 10_000;
export const DEFAULT_MIN_HEARTBEAT_INTERVAL_MS = 28_000;
/** How long close() lets a shutdown notice reach control clients before it cuts sockets. */
const SHUTDOWN_FLUSH_MS = 200;

export async function startRelay(options: RelayOptions): Promise<RelayServer> {
  const clock = options.clock ?? realClock;
  const log = createLogger({
    ...(options.log ? { sink: options.log } : {}),
    clock,
    ...(options.logLevel ? { minLevel: options.logLevel } : {}),
  });
  const metrics = new RelayMetrics();
  const tenants = new TenantTable({
    ...(options.tenants ? { tenants: options.tenants } : {}),
    ...(options.allow ? { allow: options.allow } : {}),
    ...(options.streams?.maxPerClient !== undefined
      ? { maxConnectionsPerClient: options.streams.maxPerClient }
      : {}),
  });
  const verifier = createTokenVerifier({ jwt: options.jwt, tenants, clock });
  const { minHeartbeatIntervalMs, ...frontDoorOptions } = options.limits ?? {};
  const resolved = resolveFrontDoorLimits(
    {
      firstLineTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      ...frontDoorOptions,
    },
    options.openFileLimit !== undefined ? options.openFileLimit : readOpenFileLimit(),
  );
  const limits: RelayLimits = {
    ...resolved.limits,
    minHeartbeatIntervalMs: minHeartbeatIntervalMs ?? DEFAULT_MIN_HEARTBEAT_INTERVAL_MS,
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    dialTimeoutMs: options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS,
  };
  for (const [name, label] of Object.entries(LIMIT_LABELS) as Array<[FrontDoorLimitName, string]>)
    metrics.limit.set({ limit: label }, limits[name]);
  const refusals = new RefusalLog({
    log,
    clock,
    perConnection: limits.refusalLogPerConnection,
    perSource: limits.refusalLogPerSource,
    total: limits.refusalLogTotal,
    windowMs: limits.refusalLogWindowMs,
    onSuppressed: (count) => metrics.logSuppressedTotal.inc(count),
  });
  const muxLimits: MuxLimits | null =
    options.mux === false
      ? null
      : {
          window:
            (typeof options.mux === 'object' ? options.mux.window : undefined) ??
            DEFAULT_MUX_WINDOW,
          maxStreams:
            (typeof options.mux === 'object' ? options.mux.maxStreams : undefined) ??
            DEFAULT_MUX_MAX_STREAMS,
        };
  const sockets = new Set<Socket>();
  let closing = false;
  let sessionCounter = 0;
  const injected = options.lookup;
  const dataPlane = createDataPlane({
    clock,
    log,
    metrics,
    ...(options.streams ? { streams: options.streams } : {}),
    ...(options.dns ? { dns: options.dns } : {}),
    ...(injected ? { resolve: (name: string) => injected(name) } : {}),
  });
  const registry = new TunnelRegistry({
    clock,
    graceMs: limits.graceMs,
    onExpire: (registration) => {
      metrics.tunnelsActive.set(registry.size);
      log.log('info', 'tunnel_expired', { tenant: registration.tenantId }, registration.tunnelId);
      dataPlane.closeRegistration(registration, registration.tunnelId);
    },
  });
  const serverPlane = createServerPlane({ clock, log, metrics, graceMs: limits.graceMs });
  // Known once listening and once the certificate is loaded; read when a server registers.
  let listenHost = options.host ?? '127.0.0.1';
  let listenPort = 0;
  let relayPin: string | null = null;
  const ctx: RelayContext = {
    clock,
    log,
    metrics,
    tenants,
    verifier,
    registry,
    servers: serverPlane.servers,
    serverInfo: {
      endpoint: (serverName) =>
        options.publicEndpoint ?? `${serverName ?? listenHost}:${listenPort}`,
      get pin() {
        return relayPin;
      },
    },
    authLimits: new AuthFailureLimits({
      perSource: limits.authAttemptsPerMinute,
      perIdentity: limits.authFailuresPerIdentityPerMinute,
      windowMs: 60_000,
    }),
    tunnelLimits: new TunnelCreationLimits({
      perIdentity: limits.tunnelCreationsPerHour,
      perTenant: limits.tenantTunnelCreationsPerHour,
      windowMs: 3_600_000,
    }),
    refusals,
    penalties: new SourcePenalties({
      clock,
      minMs: limits.penaltyMinMs,
      maxMs: limits.penaltyMaxMs,
      amountsMs: {
        read_budget: limits.penaltyReadBudgetMs,
        line_too_long: limits.penaltyLineTooLongMs,
        deadline: limits.penaltyDeadlineMs,
        first_line_timeout: limits.penaltyFirstLineMs,
      },
    }),
    identitySessions: new SlotPool({
      perKey: limits.maxSessionsPerIdentity,
      total: Number.POSITIVE_INFINITY,
    }),
    hit: (limit) => metrics.limitHitsTotal.inc({ limit }),
    newHeartbeatGate: () => new MinIntervalGate(limits.minHeartbeatIntervalMs, clock),
    limits,
    lookup: dataPlane.lookup,
    // A plaintext relay does not claim `tls` (docs/protocol.md#transport: insecure mode is never
    // quiet).
    features: [
      ...CLIENT_FEATURES.filter(
        (feature) =>
          !(feature === 'tls' && options.insecure === true) &&
          !(feature === TCP_MUX_FEATURE && muxLimits === null),
      ),
      // Serving connections are mux connections (docs/protocol.md "Published servers").
      ...(muxLimits !== null && limits.maxServersPerTenant > 0 ? [PUBLISHED_SERVERS_FEATURE] : []),
    ],
    version: PROTOCOL_VERSION,
    streams: dataPlane.streams,
    budget: dataPlane.budget,
    sessions: new Set(),
    track(socket) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      if (closing) socket.destroy();
    },
    nextSessionId: () => (sessionCounter += 1),
    isClosing: () => closing,
  };

  const insecure = options.insecure === true;
  const certificate = insecure ? null : await certificateFor(options);
  relayPin = certificate === null ? null : spkiSha256(certificate.cert);

  const secureContext =
    certificate === null
      ? null
      : createSecureContext({
          cert: certificate.cert,
          key: certificate.key,
          // docs/protocol.md#transport: TLS 1.3 only; a TLS 1.2 client fails the handshake.
          minVersion: 'TLSv1.3',
          maxVersion: 'TLSv1.3',
          ciphers: TLS13_CIPHER_SUITES,
          honorCipherOrder: true,
        });
  const frontDoor = createFrontDoor(ctx, secureContext, {
    control: (socket, first, rest, remote, admission) =>
      new ControlSession(ctx, socket, remote, admission).start(first, rest),
    mux:
      muxLimits === null
        ? null
        : (socket, first, rest, remote) =>
            serverPlane.openMux(ctx, socket, first, rest, remote, muxLimits),
    data: (socket, first, rest, remote) => {
      handleDataConnection(ctx, socket, first, rest, remote).catch((error: unknown) => {
        log.log('error', 'stream_internal_error', { error });
        socket.destroy();
      });
    },
  });
  const server: Server = frontDoor.server;
  server.on('error', (error) => log.log('error', 'server_error', { error }));

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_RELAY_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  listenPort = address.port;
  listenHost = address.address;

  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | null = null;
  try {
    if (options.metrics)
      metricsServer = await startMetricsServer(metrics, options.metrics.host, options.metrics.port);
  } catch (error) {
    server.close();
    throw error;
  }

  logStartup(log, options, {
    address,
    insecure,
    certificateSource: certificate?.source ?? null,
    metricsUrl: metricsServer?.url ?? null,
    multiTenant: tenants.multiTenant,
    allowRules: tenants.resolve(null)?.allow.length ?? 0,
    scaled: resolved.scaled,
  });

  let closePromise: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closePromise ??= (async () => {
      closing = true;
      dataPlane.close();
      refusals.close();
      const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      registry.clear();
      serverPlane.servers.clear();
      // Sessions hear why first; whatever has not closed after a short flush is cut.
      if (ctx.sessions.size > 0) {
        for (const session of [...ctx.sessions]) session.shutdown();
        // Not unref'd: a caller awaiting close() must not see its process exit half-way.
        await new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_FLUSH_MS));
      }
      const socketsClosed = [...sockets].map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.destroyed && socket.closed) return resolve();
            socket.once('close', () => resolve());
            socket.destroy();
          }),
      );
      await Promise.all([listenerClosed, ...socketsClosed, metricsServer?.close()]);
      log.log('info', 'relay_closed', {});
    })();
    return closePromise;
  };

  return {
    host: address.address,
    port: address.port,
    insecure,
    ...(certificate ? { certPem: certificate.cert } : {}),
    ...(metricsServer ? { metricsUrl: metricsServer.url } : {}),
    metricsText: () => metrics.text(),
    stats: () => {
      return {
        sessions: ctx.sessions.size,
        tunnels: registry.size,
        servers: serverPlane.servers.size,
        streams: ctx.streams.size,
        openSockets: sockets.size,
        bytesToTarget: metrics.totals.bytesToTarget,
        bytesToClient: metrics.totals.bytesToClient,
        authFailures: metrics.totals.authFailures,
        connections: frontDoor.counts(),
      };
    },
    close,
  };
}

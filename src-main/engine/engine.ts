// The client engine's facade (createEngine, types.ts): wires the session supervisor, the
// tunnel set and the data path, and owns what leaves the engine: snapshot pushes (rates
// sampled and seq bumped once per push), log records and metrics. Holds no session,
// tunnel or socket state of its own. Plain Node: never imports electron.

import type { EngineSnapshot, LogRecord } from '../shared/model';
import { systemClock, type Clock } from '../shared/clock';
import { PUBLISHED_SERVERS_FEATURE, readServersResponse } from '../protocol/server-messages';
import { DataPath } from './data-path';
import { EngineError } from './errors';
import { relayRefusal } from './control-answers';
import { Publisher } from './publisher';
import { openTransport } from './tls-options';
import { ErrorTally, type EngineContext } from './engine-context';
import { createLogger } from './log';
import { EngineMetrics } from './metrics';
import { SessionSupervisor } from './session-supervisor';
import { buildSnapshot } from './snapshot-builder';
import { SnapshotThrottle } from './snapshot-throttle';
import { TunnelSet } from './tunnel-set';
import type {
  Engine,
  EngineEvents,
  EngineOptions,
  ListedServer,
  PublishOptions,
  RelayEndpoint,
} from './types';

export { DEFAULT_POOL_SIZE } from './data-path';

/** How long disconnect() lets an `unregister` already sent reach the relay. */
const UNREGISTER_WAIT_MS = 2_000;
/** How often rates are refreshed while traffic flows or a rate is still above zero. */
const RATE_REFRESH_MS = 1_000;

export function createEngine(options: EngineOptions): Engine {
  return new TunnelEngine(options);
}

class TunnelEngine implements Engine {
  private readonly clock: Clock;
  private readonly throttle: SnapshotThrottle;
  private readonly metricsRegistry: EngineMetrics;
  private readonly errors = new ErrorTally();
  private readonly snapshotListeners = new Set<EngineEvents['snapshot']>();
  private readonly logListeners = new Set<EngineEvents['log']>();
  private readonly supervisor: SessionSupervisor;
  private readonly tunnels: TunnelSet;
  private readonly dataPath: DataPath;
  private readonly publisher: Publisher;
  private rateTimer: unknown = null;
  /** Rises with every pushed snapshot; snapshot() reports it and never bumps it. */
  private seq = 0;
  private closed = false;

  constructor(options: EngineOptions) {
    this.clock = options.clock ?? systemClock;
    const logger = createLogger(this.clock, (record) => this.emitLog(record));
    this.throttle = new SnapshotThrottle(this.clock, () => this.push());
    const context: EngineContext = {
      clock: this.clock,
      log: logger.log,
      secrets: logger.secrets,
      countError: (code) => this.errors.add(code),
      stateChanged: () => this.throttle.stateChanged(),
      countersChanged: () => this.throttle.countersChanged(),
    };
    this.dataPath = new DataPath({
      context,
      relay: () => this.supervisor.endpoint,
      ...(options.poolSize !== undefined ? { poolSize: options.poolSize } : {}),
      ...(options.mux !== undefined ? { mux: options.mux } : {}),
    });
    this.publisher = new Publisher({
      context,
      publish: options.publish ?? null,
      relay: () => this.supervisor.endpoint,
      connect: (endpoint) => openTransport({ endpoint, clock: this.clock }),
    });
    this.tunnels = new TunnelSet({
      context,
      tunnels: options.tunnels,
      allowDirect: options.allowDirect === true,
      onConnection: (route, socket) => this.dataPath.handle(route, socket),
    });
    const { tunnels, dataPath, publisher } = this;
    this.supervisor = new SessionSupervisor({
      relay: options.relay,
      context,
      random: options.random ?? Math.random,
      getToken: options.getToken,
      ...(options.persistence !== undefined ? { persistence: options.persistence } : {}),
      ...(options.clientVersion !== undefined ? { clientVersion: options.clientVersion } : {}),
      ...(options.heartbeatIntervalMs !== undefined
        ? { heartbeatIntervalMs: options.heartbeatIntervalMs }
        : {}),
      ...(options.heartbeatTimeoutMs !== undefined
        ? { heartbeatTimeoutMs: options.heartbeatTimeoutMs }
        : {}),
      hooks: {
        openConnection: () => dataPath.openRelayConnection(),
        registerTunnels: (link) =>
          Promise.all([tunnels.attach(link), publisher.attach(link)]).then(() => undefined),
        sessionActive: (features) => dataPath.start(features),
        sessionEnded: () => {
          tunnels.unlink();
          publisher.unlink();
          dataPath.pause();
        },
        stopAll: () => {
          tunnels.detach();
          publisher.detach();
          dataPath.pause();
          dataPath.endStreams();
        },
        registeredTunnelIds: () => tunnels.registeredIds(),
        totals: () => tunnels.totals(),
      },
    });
    this.metricsRegistry = new EngineMetrics({
      connectionTimeSeconds: () => this.supervisor.activeSeconds(this.clock.now()),
      bytesIn: () => tunnels.totals().bytesIn,
      bytesOut: () => tunnels.totals().bytesOut,
      activeTunnels: () => tunnels.listeningCount(),
      errorCounts: () => this.errors.byCode,
    });
  }

  connect(): void {
    if (!this.closed) this.supervisor.connect();
  }

  disconnect(): Promise<void> {
    // A `stop sharing` just sent goes out before the session closes (docs/protocol.md).
    const pending = this.publisher.settle(UNREGISTER_WAIT_MS);
    if (pending === null) {
      this.supervisor.disconnect();
      return Promise.resolve();
    }
    return pending.then(() => this.supervisor.disconnect());
  }

  reconnectNow(): void {
    if (!this.closed) this.supervisor.reconnectNow();
  }

  setTunnels(tunnels: Parameters<Engine['setTunnels']>[0]): void {
    this.tunnels.setTunnels(tunnels);
  }

  setTunnelEnabled(tunnelId: string, enabled: boolean): void {
    this.tunnels.setEnabled(tunnelId, enabled);
  }

  setRelay(relay: RelayEndpoint): void {
    this.supervisor.setRelay(relay, () => {
      this.dataPath.forgetRelay();
      this.tunnels.forgetRelay();
      this.publisher.forgetRelay();
    });
  }

  setPublish(publish: PublishOptions | null): void {
    if (!this.closed) this.publisher.set(publish);
  }

  async listServers(): Promise<readonly ListedServer[]> {
    if (!this.supervisor.view().relayFeatures.includes(PUBLISHED_SERVERS_FEATURE))
      throw new EngineError(
        'protocol_error',
        'the relay does not publish servers (no published_servers feature)',
      );
    const answer = await this.supervisor.request({ type: 'servers' }, (line, message) => {
      const refusal = relayRefusal(line, message);
      if (refusal !== null) return { error: refusal, servers: null };
      const servers = readServersResponse(line);
      return servers === null ? null : { error: undefined, servers };
    });
    if (answer === null)
      throw new EngineError('protocol_error', 'the relay did not answer servers');
    if (answer.error !== undefined) throw answer.error;
    return answer.servers ?? [];
  }

  /** Pure: the current state with the seq of the last push; samples and bumps nothing. */
  snapshot(): EngineSnapshot {
    return buildSnapshot({
      session: this.supervisor.view(),
      tunnels: this.tunnels.states(),
      publish: this.publisher.view(),
      seq: this.seq,
      now: this.clock.now(),
    });
  }

  on<E extends keyof EngineEvents>(event: E, listener: EngineEvents[E]): () => void {
    const set = (event === 'snapshot' ? this.snapshotListeners : this.logListeners) as Set<
      EngineEvents[E]
    >;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  metrics(): Promise<string> {
    return this.metricsRegistry.text();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.disconnect();
    this.closed = true;
    this.throttle.close();
    if (this.rateTimer !== null) this.clock.clearTimeout(this.rateTimer);
    this.rateTimer = null;
    this.tunnels.close();
    this.publisher.close();
    this.dataPath.close();
    this.metricsRegistry.close();
    this.snapshotListeners.clear();
    this.logListeners.clear();
  }

  /** One throttle tick: rates sampled once, the seq bumped once, one snapshot to every listener. */
  private push(): void {
    if (this.snapshotListeners.size === 0) return;
    const now = this.clock.now();
    this.tunnels.sampleRates(now);
    this.seq += 1;
    const snap = buildSnapshot({
      session: this.supervisor.view(),
      tunnels: this.tunnels.states(),
      publish: this.publisher.view(),
      seq: this.seq,
      now,
    });
    for (const listener of this.snapshotListeners) listener(snap);
    // Keep rates honest after traffic stops: one more look a rate window later.
    const moving = snap.tunnels.some(
      (t) => t.rateInBps > 0 || t.rateOutBps > 0 || t.openConnections > 0,
    );
    if (moving && this.rateTimer === null && !this.closed) {
      this.rateTimer = this.clock.setTimeout(() => {
        this.rateTimer = null;
        this.throttle.countersChanged();
      }, RATE_REFRESH_MS);
    }
  }

  private emitLog(record: LogRecord): void {
    for (const listener of this.logListeners) listener(record);
  }
}

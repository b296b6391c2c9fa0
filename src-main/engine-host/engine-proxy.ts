// The Engine interface (engine/types.ts) in main, over the engine host child: commands go out
// as messages, the last snapshot answers snapshot() at once, and what a restarted child must
// be told (relay, tunnels, whether a connection was wanted) is kept here to replay it.
// Never holds the token: it is fetched from getToken() per request of the child and passed on.

import type {
  Engine,
  EngineEvents,
  EngineOptions,
  PublishOptions,
  RelayEndpoint,
} from '../engine/types';
import { EngineError } from '../engine/errors';
import { idleTunnelSnapshot } from '../shared/tunnel-snapshot';
import {
  RECONNECT_POLICY,
  type EngineSnapshot,
  type ErrorCode,
  type LogRecord,
} from '../shared/model';
import type { TunnelConfig } from '../shared/model';
import {
  errorCodeOf,
  readListedServers,
  type HostCommand,
  type HostEngineInit,
  type HostPublish,
  type HostReplyValue,
} from './host-protocol';

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
/** The engine's own commands, as the proxy hands them to the host (which adds the id). */
export type EngineCommand = WithoutId<
  Exclude<HostCommand, { type: 'token.reply' | 'builtin.start' | 'builtin.stop' | 'shutdown' }>
>;

/** The host's side of one proxy. */
export interface ProxyChannel {
  /** Fire and forget; dropped while no child runs (the replay covers it). */
  post(command: EngineCommand): void;
  /** The reply's value; null at once when no child runs (there is nothing to stop). */
  request(command: EngineCommand): Promise<HostReplyValue>;
  detach(proxy: HostedEngine): void;
}

export type TokenAnswer =
  | { readonly token: string; readonly error: null }
  | { readonly token: null; readonly error: { code: ErrorCode; message: string } };

/** What the host calls on the proxy it serves. */
export interface HostedEngine extends Engine {
  handleSnapshot(snapshot: EngineSnapshot): void;
  handleLog(record: LogRecord): void;
  answerToken(): Promise<TokenAnswer>;
  /** The child made the published computer's key: keep it in the publish options' store. */
  handleServerKey(pem: string): void;
  /** The commands that rebuild this engine in a new child. */
  replay(): EngineCommand[];
  /** The child died: tunnels are down until the replay; the window is told why. */
  childGone(reason: string, at: string): void;
}

export interface EngineProxyExtras {
  readonly sessionStatePath: string | null;
}

function initialSnapshot(relay: RelayEndpoint, tunnels: readonly TunnelConfig[]): EngineSnapshot {
  return {
    state: 'disconnected',
    session: {
      relay: `${relay.host}:${relay.port}`,
      insecure: relay.insecure ?? false,
      clientId: null,
      tenantId: null,
      connectedSince: null,
      reconnectAttempt: 0,
      maxReconnectAttempts: RECONNECT_POLICY.maxAttempts,
      nextRetryAt: null,
      relayVersion: null,
      relayFeatures: [],
    },
    tunnels: tunnels.map(idleTunnelSnapshot),
    lastError: null,
    seq: 0,
    at: new Date(0).toISOString(),
  };
}

export function createEngineProxy(
  channel: ProxyChannel,
  options: EngineOptions,
  extras: EngineProxyExtras,
): HostedEngine {
  let relay = options.relay;
  let tunnels: readonly TunnelConfig[] = options.tunnels;
  let wanted = false;
  let sawUp = false;
  let closed = false;
  let last = initialSnapshot(relay, tunnels);
  let lastSeq = 0;
  /** What the child is told about publishing (replayed with the kept key); null: not shared. */
  let publishing: { options: PublishOptions; host: HostPublish } | null = null;
  let publishGeneration = 0;
  const listeners = {
    snapshot: new Set<EngineEvents['snapshot']>(),
    log: new Set<EngineEvents['log']>(),
  };

  function init(): HostEngineInit {
    return {
      relay,
      tunnels,
      allowDirect: options.allowDirect ?? false,
      poolSize: options.poolSize ?? null,
      mux: options.mux ?? null,
      clientVersion: options.clientVersion ?? null,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? null,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? null,
      sessionStatePath: extras.sessionStatePath,
      publish: publishing?.host ?? null,
    };
  }

  /** The key comes from main's store before the child is told (it never sees the store). */
  async function hostPublish(next: PublishOptions): Promise<HostPublish> {
    const keyPem = next.keyStore === null ? null : await next.keyStore.load();
    return {
      name: next.name,
      ports: next.ports.map((p) => ({ ...p })),
      allowSubs: next.allowSubs != null ? [...next.allowSubs] : null,
      keyed: next.keyStore !== null,
      keyPem,
      maxStreams: next.maxStreams ?? null,
    };
  }

  /**
   * One sequence for this proxy across child restarts (a new child starts its seq at 1, and
   * the controller drops lower ones): the channel is ordered, so renumbering keeps the order.
   */
  function publish(snapshot: EngineSnapshot): void {
    lastSeq += 1;
    last = { ...snapshot, seq: lastSeq };
    for (const l of [...listeners.snapshot]) l(last);
  }

  const proxy: HostedEngine = {
    connect() {
      wanted = true;
      sawUp = false;
      channel.post({ type: 'connect' });
    },
    async disconnect() {
      wanted = false;
      await channel.request({ type: 'disconnect' });
    },
    reconnectNow() {
      wanted = true;
      channel.post({ type: 'reconnectNow' });
    },
    setTunnels(next) {
      tunnels = [...next];
      channel.post({ type: 'setTunnels', tunnels });
    },
    setTunnelEnabled(tunnelId, enabled) {
      tunnels = tunnels.map((t) => (t.id === tunnelId ? { ...t, enabled } : t));
      channel.post({ type: 'setTunnelEnabled', tunnelId, enabled });
    },
    setRelay(next) {
      relay = next;
      channel.post({ type: 'setRelay', relay: next });
    },
    setPublish(next) {
      publishGeneration += 1;
      const generation = publishGeneration;
      if (next === null) {
        publishing = null;
        channel.post({ type: 'setPublish', publish: null });
        return;
      }
      hostPublish(next).then(
        (host) => {
          if (generation !== publishGeneration || closed) return;
          publishing = { options: next, host };
          channel.post({ type: 'setPublish', publish: host });
        },
        (error: unknown) => {
          for (const l of [...listeners.log])
            l({
              timestamp: new Date().toISOString(),
              level: 'warn',
              event: 'server_refused',
              tunnel_id: null,
              details: { name: next.name, code: errorCodeOf(error, 'keychain_unavailable') },
            });
        },
      );
    },
    async listServers() {
      const servers = readListedServers(await channel.request({ type: 'listServers' }));
      if (servers === null)
        throw new EngineError('internal_error', 'The engine host did not list the servers.');
      return servers;
    },
    handleServerKey(pem) {
      const store = publishing?.options.keyStore ?? null;
      if (closed || publishing === null || store === null) return;
      publishing = { ...publishing, host: { ...publishing.host, keyPem: pem } };
      store.save(pem).catch((error: unknown) => {
        for (const l of [...listeners.log])
          l({
            timestamp: new Date().toISOString(),
            level: 'warn',
            event: 'server_refused',
            tunnel_id: null,
            details: { code: errorCodeOf(error, 'keychain_unavailable') },
          });
      });
    },
    snapshot: () => last,
    on(event, listener) {
      const set = listeners[event] as Set<typeof listener>;
      set.add(listener);
      return () => set.delete(listener);
    },
    async metrics() {
      const value = await channel.request({ type: 'metrics' });
      return typeof value === 'string' ? value : '';
    },
    async close() {
      if (closed) return;
      closed = true;
      await channel.request({ type: 'close' }).catch(() => undefined);
      channel.detach(proxy);
      listeners.snapshot.clear();
      listeners.log.clear();
    },
    handleSnapshot(snapshot) {
      if (closed) return;
      if (snapshot.state !== 'disconnected') sawUp = true;
      // The engine stopped by itself (gave up, or a token no retry fixes): a restarted child
      // must not try again on its own.
      else if (sawUp) {
        sawUp = false;
        wanted = false;
      }
      publish(snapshot);
    },
    handleLog(record) {
      if (closed) return;
      for (const l of [...listeners.log]) l(record);
    },
    async answerToken() {
      try {
        return { token: await options.getToken(), error: null };
      } catch (error) {
        return {
          token: null,
          error: {
            code: errorCodeOf(error, 'token_missing'),
            message: error instanceof Error ? error.message : String(error),
          },
        };
      }
    },
    replay() {
      const commands: EngineCommand[] = [{ type: 'init', options: init() }];
      if (wanted) commands.push({ type: 'connect' });
      return commands;
    },
    childGone(reason, at) {
      if (closed) return;
      sawUp = false;
      publish({
        ...last,
        state: wanted ? 'reconnecting' : 'disconnected',
        session: { ...last.session, connectedSince: null, nextRetryAt: null },
        tunnels: tunnels.map(idleTunnelSnapshot),
        lastError: {
          code: 'internal_error',
          message: `The engine stopped (${reason}); it is restarting.`,
          detailKey: 'errorDetail.engineRestarting',
          at,
        },
        at,
      });
    },
  };
  if (options.publish != null) proxy.setPublish(options.publish);
  return proxy;
}

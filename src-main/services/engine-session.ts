// The engine for the relay profile in the settings: created, switched or closed to match it,
// its endpoint (CA file read here), and the rules for connect, disconnect and retry. The engine
// may be in this process or the engine host's proxy; this module does not care which. Token
// failures reach the engine with their own code (keychain_unavailable, token_expired, ...).

import { X509Certificate } from 'node:crypto';
import type {
  Engine,
  EngineOptions,
  ListedServer,
  PublishOptions,
  RelayEndpoint,
} from '../engine/types';
import { EngineError } from '../engine/errors';
import type { RelayProfile } from '../shared/ipc-contract';
import type { EngineSnapshot, TunnelConfig } from '../shared/model';
import type { Clock } from '../shared/clock';
import { needsUser } from '../shared/error-codes';
import type { NotificationMessage } from './controller-types';
import { ServiceError, messageOf } from './errors';
import type { Logger } from './logger';
import {
  INITIAL_POLICY_MEMORY,
  decideNotifications,
  userConnected,
  userDisconnected,
  type PolicyMemory,
} from './notification-policy';
import type { SettingsStore } from './settings-store';
import type { TokenService } from './token-service';

export interface EngineSessionOptions {
  readonly settingsStore: SettingsStore;
  readonly tokens: Pick<TokenService, 'getToken' | 'account'>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: () => number;
  readonly createEngine: (options: EngineOptions) => Engine;
  readonly clientVersion: string;
  /**
   * Data mode for relays without tcp_stream
   * (docs/protocol.md#data-streams-feature-tcp_stream).
   */
  readonly allowDirect: boolean;
  readonly readText: (path: string) => Promise<string>;
  /** A loss shorter than this is a brief drop: no "restored" notification. */
  readonly restoredNotifyAfterMs: number;
  /** The engine snapshot shown now: the "previous" one for the notification policy. */
  readonly shown: () => EngineSnapshot;
  /** Every engine snapshot that is not stale. */
  readonly onSnapshot: (next: EngineSnapshot) => void;
  readonly onNotification: (notification: NotificationMessage) => void;
  /** An engine is about to close: its last counters, before they are gone. */
  readonly onEngineClosing: (last: EngineSnapshot) => void;
  /** There is no engine now (or its tunnels changed without one): show the idle snapshot. */
  readonly onIdle: () => void;
  /** What a new engine publishes (services/share-session.ts); absent: nothing. */
  readonly publish?: () => PublishOptions | null;
}

export interface EngineSession {
  /**
   * Throws what apply() would throw for `profile` (an unreadable or empty CA file), so a
   * profile is refused before it is saved rather than saved and then refused.
   */
  checkProfile(profile: RelayProfile): Promise<void>;
  /** Makes the engine match the relay profile in the settings: created, switched, or closed. */
  apply(previous: RelayProfile | null): Promise<void>;
  /** The profile the engine's endpoint was made from; the token gate checks it too. */
  dialProfile(): RelayProfile | null;
  hasEngine(): boolean;
  /** The user's Connect: refused without an engine or a token. */
  connect(): void;
  /** The user's Disconnect. */
  disconnect(): Promise<void>;
  /** The user's Retry now. */
  retryNow(): void;
  /** A wake-up (resume, unlock, network change): skips the backoff unless the user must act. */
  reconnectNow(reason: string): void;
  /** At start: connects when auto-connect is on and a token is there. */
  connectAtStart(): void;
  /** A token arrived or was confirmed: connects, or retries an attempt in progress at once. */
  resume(): void;
  connectIfDisconnected(): void;
  /** Signing out: the session ends as a user disconnect. */
  endForSignOut(): Promise<void>;
  setTunnels(tunnels: readonly TunnelConfig[]): void;
  setTunnelEnabled(id: string, enabled: boolean): void;
  /** Publishes this computer (or stops, null) on the engine there is; the next one asks `publish`. */
  setPublish(publish: PublishOptions | null): void;
  /** True while a session is up to ask the relay for its published servers. */
  canListServers(): boolean;
  /** The tenant's published servers this identity may reach; rejects without a session. */
  listServers(): Promise<readonly ListedServer[]>;
  close(): Promise<void>;
}

/** The engine's view of a token failure: the services' code kept, never a blanket token_missing. */
export function tokenFailureForEngine(error: unknown): EngineError {
  if (error instanceof EngineError) return error;
  if (error instanceof ServiceError)
    return new EngineError(error.code, error.message, error.detail);
  return new EngineError('internal_error', messageOf(error));
}

/** True when `pem` starts a parsable certificate (the first of a bundle is checked). */
function holdsCertificate(pem: string): boolean {
  const block = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  if (block === null) return false;
  try {
    new X509Certificate(block[0]);
    return true;
  } catch {
    return false;
  }
}

export async function endpointFor(
  profile: RelayProfile,
  readText: (path: string) => Promise<string>,
): Promise<RelayEndpoint> {
  let ca: string | undefined;
  if (profile.caFile !== null) {
    try {
      ca = await readText(profile.caFile);
    } catch (error) {
      throw new ServiceError(
        'tls_error',
        `Cannot read the CA file ${profile.caFile}.`,
        messageOf(error),
      );
    }
    if (!holdsCertificate(ca))
      throw new ServiceError(
        'tls_error',
        `The CA file ${profile.caFile} holds no PEM certificate.`,
        'no parsable BEGIN CERTIFICATE block',
      );
  }
  return {
    host: profile.host,
    port: profile.port,
    ...(ca !== undefined ? { ca } : {}),
    ...(profile.pinSha256 !== null ? { pinSha256: profile.pinSha256 } : {}),
    ...(profile.serverName !== null ? { serverName: profile.serverName } : {}),
    insecure: profile.insecure,
    opener: profile.opener,
  };
}

export function createEngineSession(options: EngineSessionOptions): EngineSession {
  const { settingsStore, tokens, logger, clock } = options;
  let engine: Engine | null = null;
  let unsubscribe: (() => void)[] = [];
  let dialProfile: RelayProfile | null = null;
  let lastEngineSeq = -1;
  let memory: PolicyMemory = INITIAL_POLICY_MEMORY;

  function onEngineSnapshot(next: EngineSnapshot): void {
    // One engine's seq rises; a lower one from it is a stale delivery.
    if (next.seq < lastEngineSeq) return;
    lastEngineSeq = next.seq;
    const decision = decideNotifications(memory, options.shown(), next, {
      now: clock.now(),
      prefs: settingsStore.get().notifications,
      restoredAfterMs: options.restoredNotifyAfterMs,
    });
    memory = decision.memory;
    options.onSnapshot(next);
    for (const n of decision.notifications) options.onNotification(n);
  }

  async function closeEngine(): Promise<void> {
    const old = engine;
    engine = null;
    for (const off of unsubscribe) off();
    unsubscribe = [];
    if (old) {
      options.onEngineClosing(old.snapshot());
      await old.close();
    }
    options.onIdle();
  }

  function stateOf(e: Engine): EngineSnapshot['state'] {
    return e.snapshot().state;
  }

  function requireEngine(): Engine {
    if (engine === null) throw new ServiceError('token_missing', 'Choose a relay first.');
    return engine;
  }

  return {
    async checkProfile(profile) {
      await endpointFor(profile, options.readText);
    },
    async apply(previous) {
      const profile = settingsStore.get().relay;
      if (profile === null) {
        await closeEngine();
        dialProfile = null;
        return;
      }
      const endpoint = await endpointFor(profile, options.readText);
      if (engine === null) {
        dialProfile = profile;
        engine = options.createEngine({
          relay: endpoint,
          tunnels: settingsStore.get().tunnels,
          getToken: () =>
            tokens.getToken().catch((error: unknown) => {
              throw tokenFailureForEngine(error);
            }),
          clock,
          random: options.random,
          persistence: settingsStore.sessionState,
          clientVersion: options.clientVersion,
          allowDirect: options.allowDirect,
          publish: options.publish?.() ?? null,
        });
        lastEngineSeq = -1;
        unsubscribe = [
          engine.on('snapshot', onEngineSnapshot),
          engine.on('log', (record) => logger.record(record)),
        ];
        onEngineSnapshot(engine.snapshot());
      } else if (previous === null || JSON.stringify(previous) !== JSON.stringify(profile)) {
        dialProfile = profile;
        engine.setRelay(endpoint);
      }
    },
    dialProfile: () => dialProfile,
    hasEngine: () => engine !== null,
    connect() {
      const e = requireEngine();
      if (!tokens.account().signedIn)
        throw new ServiceError('token_missing', 'Paste a token before connecting.');
      memory = userConnected(memory);
      e.connect();
    },
    async disconnect() {
      if (engine === null) return;
      memory = userDisconnected(stateOf(engine) !== 'disconnected');
      await engine.disconnect();
    },
    retryNow() {
      requireEngine().reconnectNow();
    },
    reconnectNow(reason) {
      if (engine === null || !tokens.account().signedIn) return;
      const { state, lastError } = engine.snapshot();
      // A user disconnect stays a disconnect, and what needs the user (a refused token, a
      // TLS identity we refuse) stays refused until they act; a lost or retrying session,
      // a locked keychain included, is tried again at once.
      const lostForNetwork = lastError !== null && !needsUser(lastError.code);
      if (
        state === 'reconnecting' ||
        (state === 'disconnected' && lostForNetwork && settingsStore.get().autoConnect)
      ) {
        logger.log('info', 'reconnect_now', { reason });
        engine.reconnectNow();
      }
    },
    connectAtStart() {
      if (engine !== null && settingsStore.get().autoConnect && tokens.account().signedIn)
        engine.connect();
    },
    resume() {
      if (engine === null) return;
      if (stateOf(engine) === 'disconnected') engine.connect();
      else engine.reconnectNow();
    },
    connectIfDisconnected() {
      if (engine !== null && stateOf(engine) === 'disconnected') engine.connect();
    },
    async endForSignOut() {
      if (engine === null || stateOf(engine) === 'disconnected') return;
      memory = userDisconnected(true);
      await engine.disconnect();
    },
    setTunnels(tunnels) {
      if (engine) engine.setTunnels(tunnels);
      else options.onIdle();
    },
    setTunnelEnabled(id, enabled) {
      if (engine) engine.setTunnelEnabled(id, enabled);
      else options.onIdle();
    },
    setPublish(publish) {
      engine?.setPublish(publish);
    },
    canListServers() {
      const state = engine === null ? 'disconnected' : stateOf(engine);
      return state === 'registered' || state === 'active';
    },
    listServers: () => requireEngine().listServers(),
    close: () => closeEngine(),
  };
}

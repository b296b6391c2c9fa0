// This computer as a published server (docs/protocol.md "Published servers"): `register` on
// every session (a hand-back after a reconnect), the serving connection to the endpoint the
// relay names (reopened with backoff while the registration holds, the same serve token),
// `unregister` to stop, and the state a snapshot shows. Talks to the relay only through the
// session's RegistrationLink and its own serving connections; the streams are
// serve-streams.ts's.

import type net from 'node:net';
import type { JsonObject } from '../protocol/codec';
import { actionFor, type ClientAction } from '../protocol/errors';
import type { RelayMessage } from '../protocol/messages';
import {
  PUBLISHED_SERVERS_FEATURE,
  readRegisterResponse,
  type RegisterMessage,
} from '../protocol/server-messages';
import type { ErrorInfo, PublishSnapshot } from '../shared/model';
import { baseDelayMs } from './backoff';
import { relayRefusal } from './control-answers';
import type { EngineContext } from './engine-context';
import { EngineError, errorInfo, toEngineError } from './errors';
import { loadServerIdentity, type ServerIdentity } from './inner-tls';
import { MAX_SERVED_STREAMS, ServedStreams } from './serve-streams';
import { isStaleRegistration, openServing, type ServingConnection } from './serving-connection';
import { servingEndpoint } from './serving-endpoint';
import type { RegistrationLink } from './tunnel-set';
import type { PublishOptions, RelayEndpoint, ServerKeyStore } from './types';

export interface PublisherOptions {
  readonly context: EngineContext;
  readonly publish: PublishOptions | null;
  /** The relay profile: the serving endpoint inherits its trust (CA, pin). */
  readonly relay: () => RelayEndpoint;
  /** A ready transport to an endpoint (TLS 1.3, verified, pin-checked). */
  readonly connect: (endpoint: RelayEndpoint) => Promise<net.Socket>;
}

interface Registration {
  readonly name: string;
  readonly tunnelId: string;
  readonly serveToken: string;
  readonly endpoint: RelayEndpoint;
}

type RegisterAnswer =
  | {
      readonly ok: true;
      readonly tunnelId: string;
      readonly serveToken: string;
      readonly handedBack: boolean;
      readonly endpoint: string | null;
      readonly relayPin: string | null;
    }
  | { readonly ok: false; readonly error: EngineError; readonly action: ClientAction };

function readRegisterAnswer(line: JsonObject, message: RelayMessage): RegisterAnswer | null {
  const refusal = relayRefusal(line, message);
  if (refusal !== null && message.type === 'error')
    return { ok: false, error: refusal, action: actionFor(message.code) };
  if (line['type'] !== 'register_response') return null;
  const answer = readRegisterResponse(line);
  if (answer === null)
    return {
      ok: false,
      error: new EngineError(
        'protocol_error',
        'relay sent a register_response without tunnel_id or serve_token',
      ),
      action: 'log',
    };
  return { ok: true, ...answer };
}

export class Publisher {
  private readonly ctx: EngineContext;
  private config: PublishOptions | null;
  /** Bumped by every change of config or session: older work drops its result. */
  private generation = 0;
  private link: RegistrationLink | null = null;
  private registration: Registration | null = null;
  private registering = false;
  private error: ErrorInfo | null = null;
  private identity: { store: ServerKeyStore; value: Promise<ServerIdentity> } | null = null;
  private publicKey: string | null = null;
  private serving: ServingConnection | null = null;
  private readonly older = new Set<ServingConnection>();
  private opening = false;
  private failures = 0;
  private retryTimer: unknown = null;
  private registerTimer: unknown = null;
  private readonly streams: ServedStreams;
  /** An `unregister` on its way: close() lets it reach the relay first (bounded). */
  private unregistering: Promise<unknown> | null = null;

  constructor(private readonly options: PublisherOptions) {
    this.ctx = options.context;
    this.config = options.publish;
    this.streams = new ServedStreams(this.ctx, () => this.registration?.tunnelId ?? null);
  }

  /** Starts, changes or (null) stops publishing; a live session registers at once. */
  set(publish: PublishOptions | null): void {
    const previous = this.registration;
    if (publish === null || (previous !== null && previous.name !== publish.name))
      this.stopSharing();
    this.config = publish;
    this.generation += 1;
    this.error = null;
    const link = this.link;
    if (publish !== null && link !== null) void this.register(link, this.generation);
    this.ctx.stateChanged();
  }

  /** A new session: registers (or hands back) the name. Never rejects. */
  attach(link: RegistrationLink): Promise<void> {
    this.link = link;
    this.generation += 1;
    return this.config === null ? Promise.resolve() : this.register(link, this.generation);
  }

  /** The session is gone: the registration waits out the relay's grace; serving goes on. */
  unlink(): void {
    this.link = null;
    this.generation += 1;
    this.registering = false;
    if (this.registerTimer !== null) this.ctx.clock.clearTimeout(this.registerTimer);
    this.registerTimer = null;
  }

  /** Everything stops (disconnect, giving up, another relay, close). */
  detach(): void {
    this.unlink();
    this.closeServing();
    this.registration = null;
  }

  forgetRelay(): void {
    this.detach();
  }

  /**
   * Waits, at most `ms`, for an `unregister` already sent to be answered, so stopping sharing
   * and then disconnecting frees the name at once rather than after the relay's grace period.
   */
  settle(ms: number): Promise<void> | null {
    const pending = this.unregistering;
    if (pending === null) return null;
    let timer: unknown = null;
    return Promise.race([
      pending.then(
        () => undefined,
        () => undefined,
      ),
      new Promise<void>((resolve) => {
        timer = this.ctx.clock.setTimeout(resolve, ms);
      }),
    ]).then(() => {
      if (timer !== null) this.ctx.clock.clearTimeout(timer);
    });
  }

  close(): void {
    this.detach();
    this.config = null;
  }

  view(): PublishSnapshot | null {
    const config = this.config;
    if (config === null) return null;
    const totals = this.streams.totals();
    return {
      name: config.name,
      ports: config.ports.map((p) => p.port),
      allowSubs: config.allowSubs ?? null,
      publicKey: config.keyStore === null ? null : this.publicKey,
      status:
        this.error !== null
          ? 'error'
          : this.registering
            ? 'registering'
            : this.serving !== null
              ? 'online'
              : 'offline',
      tunnelId: this.registration?.tunnelId ?? null,
      bytesIn: totals.bytesIn,
      bytesOut: totals.bytesOut,
      totalConnections: totals.totalConnections,
      connections: this.streams.connections(),
      error: this.error,
    };
  }

  // ---------------------------------------------------------------------------------------

  private async register(link: RegistrationLink, generation: number): Promise<void> {
    const config = this.config;
    if (config === null) return;
    const current = (): boolean => generation === this.generation && link === this.link;
    this.registering = true;
    this.ctx.stateChanged();
    if (!link.features.includes(PUBLISHED_SERVERS_FEATURE)) {
      this.refused(
        new EngineError(
          'protocol_error',
          'the relay does not publish servers (no published_servers feature)',
        ),
      );
      return;
    }
    let identity: ServerIdentity | null;
    try {
      identity = config.keyStore === null ? null : await this.identityFor(config.keyStore);
    } catch (error) {
      if (current()) this.refused(toEngineError(error, 'keychain_unavailable'));
      return;
    }
    if (!current()) return;
    this.publicKey = identity?.publicKey ?? null;
    const message: RegisterMessage = {
      type: 'register',
      tunnel_info: {
        name: config.name,
        protocol: 'tcp',
        ports: config.ports.map((p) => p.port),
        ...(identity !== null ? { public_key: identity.publicKey } : {}),
        ...(config.allowSubs != null ? { allowed_subs: [...config.allowSubs] } : {}),
      },
    };
    let answer: RegisterAnswer | null;
    try {
      answer = await link.request(message, readRegisterAnswer);
    } catch {
      return; // the session closed; the next one registers again
    }
    if (!current()) return;
    this.registering = false;
    if (answer === null) {
      this.refused(new EngineError('protocol_error', 'the relay did not answer register'));
      return;
    }
    if (!answer.ok) {
      this.refused(answer.error);
      if (answer.action === 'fatal') link.failed(answer.error);
      return;
    }
    this.ctx.secrets.add(answer.serveToken);
    const previous = this.registration;
    if (previous !== null && previous.tunnelId !== answer.tunnelId) this.closeServing();
    this.registration = {
      name: config.name,
      tunnelId: answer.tunnelId,
      serveToken: answer.serveToken,
      endpoint: servingEndpoint(this.options.relay(), answer.endpoint, answer.relayPin),
    };
    this.error = null;
    this.streams.setConfig({
      ports: config.ports,
      identity,
      maxStreams: config.maxStreams ?? MAX_SERVED_STREAMS,
    });
    this.ctx.log('info', 'server_registered', answer.tunnelId, {
      name: config.name,
      ports: config.ports.map((p) => p.port),
      handed_back: answer.handedBack,
      end_to_end: identity !== null,
    });
    this.failures = 0;
    this.clearRetry();
    this.ensureServing();
    this.ctx.stateChanged();
  }

  private identityFor(store: ServerKeyStore): Promise<ServerIdentity> {
    if (this.identity?.store !== store) {
      const value = loadServerIdentity(store, this.ctx.clock).then((identity) => {
        if (identity.created) this.ctx.log('info', 'server_key_created', null, {});
        return identity;
      });
      // A failed load is tried again on the next register.
      value.catch(() => {
        if (this.identity?.value === value) this.identity = null;
      });
      this.identity = { store, value };
    }
    return this.identity.value;
  }

  private refused(error: EngineError): void {
    this.registering = false;
    this.ctx.countError(error.code);
    const wait = error.retryAfterSec;
    const info = errorInfo(error, this.ctx.clock.now());
    // A limit says when to ask again (docs/protocol.md#errors): said, and asked then.
    this.error =
      wait !== null ? { ...info, message: `${info.message}; retry in ${Math.ceil(wait)} s` } : info;
    if (wait !== null) this.registerLater(wait * 1000);
    this.ctx.log('warn', 'server_refused', this.registration?.tunnelId ?? null, {
      name: this.config?.name ?? null,
      code: error.code,
      reason: error.message,
      detail: error.detail,
      retry_after: error.retryAfterSec,
    });
    this.ctx.stateChanged();
  }

  /** Registers again after `delayMs` on the session of now, if it is still the one. */
  private registerLater(delayMs: number): void {
    if (this.registerTimer !== null) this.ctx.clock.clearTimeout(this.registerTimer);
    const generation = this.generation;
    const link = this.link;
    this.registerTimer = this.ctx.clock.setTimeout(() => {
      this.registerTimer = null;
      if (link !== null && link === this.link && generation === this.generation)
        void this.register(link, generation);
    }, delayMs);
  }

  /** One serving connection up while the registration holds; reopened with backoff. */
  private ensureServing(): void {
    const registration = this.registration;
    if (registration === null || this.serving !== null || this.opening || this.retryTimer !== null)
      return;
    this.opening = true;
    let opened: ServingConnection | null = null;
    openServing({
      connect: () => this.options.connect(registration.endpoint),
      clock: this.ctx.clock,
      tunnelId: registration.tunnelId,
      serveToken: registration.serveToken,
      onOpen: (stream, payload) => this.streams.handle(stream, payload),
      onClosed: (error) => {
        if (opened !== null) this.servingClosed(opened, error);
      },
    }).then(
      (serving) => {
        this.opening = false;
        opened = serving;
        if (this.registration !== registration || serving.conn.isClosed) {
          serving.close();
          this.ensureServing();
          return;
        }
        // The newest takes the relay's new streams; an older one ends with its last stream.
        if (this.serving !== null) this.older.add(this.serving);
        this.serving = serving;
        this.failures = 0;
        this.ctx.log('info', 'serving_connected', registration.tunnelId, {
          name: registration.name,
          endpoint: `${registration.endpoint.host}:${registration.endpoint.port}`,
        });
        this.ctx.stateChanged();
      },
      (error: unknown) => {
        this.opening = false;
        if (this.registration !== registration) return;
        if (isStaleRegistration(error)) {
          // The relay no longer knows the registration (it restarted, or it expired): the
          // next register brings a new one.
          this.registration = null;
          this.ctx.log('warn', 'serving_lost', registration.tunnelId, {
            name: registration.name,
            reason: 'registration_gone',
          });
          const link = this.link;
          if (link !== null) void this.register(link, this.generation);
          this.ctx.stateChanged();
          return;
        }
        this.scheduleServing(toEngineError(error, 'connection_lost').message);
      },
    );
  }

  private servingClosed(serving: ServingConnection, error: string | null): void {
    this.older.delete(serving);
    if (serving !== this.serving) return;
    this.serving = null;
    this.ctx.stateChanged();
    if (this.registration === null) return;
    this.scheduleServing(error ?? 'closed');
  }

  private scheduleServing(reason: string): void {
    this.failures += 1;
    const delay = baseDelayMs(this.failures);
    this.ctx.log('warn', 'serving_lost', this.registration?.tunnelId ?? null, {
      name: this.registration?.name ?? null,
      reason,
      retry_ms: delay,
    });
    this.clearRetry();
    this.retryTimer = this.ctx.clock.setTimeout(() => {
      this.retryTimer = null;
      this.ensureServing();
    }, delay);
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) this.ctx.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private closeServing(): void {
    this.clearRetry();
    this.streams.closeAll();
    const serving = this.serving;
    this.serving = null;
    serving?.close();
    for (const old of [...this.older]) old.close();
    this.older.clear();
  }

  /** Stop sharing: `unregister` on a live session, then every serving connection closes. */
  private stopSharing(): void {
    const registration = this.registration;
    const link = this.link;
    if (registration !== null && link !== null) {
      const sent = link.request(
        { type: 'unregister', tunnel_id: registration.tunnelId },
        (line, message) =>
          line['type'] === 'unregister_response' || message.type === 'error' ? line : null,
      );
      this.unregistering = sent.finally(() => {
        if (this.unregistering === sent) this.unregistering = null;
      });
      sent.then(
        () =>
          this.ctx.log('info', 'server_unregistered', registration.tunnelId, {
            name: registration.name,
          }),
        () => undefined,
      );
    }
    this.closeServing();
    this.registration = null;
    this.publicKey = null;
  }
}

// "Share this computer" (docs/protocol.md "Published servers"): the share's settings, saved
// first and then handed to the engine through its publish interface (on every engine the
// session creates, and at once while sharing is on), the computer's own key kept in the
// keychain through the SecretStore, and the tenant's published servers for Add tunnel. Never
// talks to the relay itself and never reads the key: the engine (or its host) does.

import { EngineError } from '../engine/errors';
import type { PublishOptions, PublishedPort, ServerKeyStore } from '../engine/types';
import type { Clock } from '../shared/clock';
import type { ErrorInfo } from '../shared/model';
import {
  SHARE_SERVICE_PORTS,
  validateShareDraft,
  type PublishedServerInfo,
  type ShareDraft,
  type ShareService,
  type ShareSettings,
} from '../shared/share-model';
import type { EngineSession } from './engine-session';
import { ServiceError, errorInfo, messageOf } from './errors';
import type { SecretStore } from './secret-store';
import { saveSettingsOrThrow, type SettingsStore } from './settings-store';
import { rejectInvalidFields } from './tunnel-requests';

/** The keychain account of the published computer's private key (PKCS#8 PEM). */
export const SERVER_KEY_ACCOUNT = 'published-server-key';

/** Where this computer dials for a shared service (docs/protocol.md: its own services). */
export interface ShareTarget {
  readonly host: string;
  readonly port: number;
}

export interface ShareSessionOptions {
  readonly settingsStore: SettingsStore;
  readonly session: Pick<EngineSession, 'setPublish' | 'listServers' | 'canListServers'>;
  /** Starting to share connects a session that is down, when there is a token to do it with. */
  readonly connectIfSignedIn: () => void;
  /** Where the computer's key is kept: the OS keychain in the app. */
  readonly secretStore: SecretStore;
  readonly clock: Clock;
  /**
   * Where each service is dialled; default 127.0.0.1 on its own port (3389, 22). The published
   * ports stay 3389 and 22 whatever this says. Set by the composition root only (tests point
   * it at their own servers); no request can change it.
   */
  readonly targets?: Partial<Readonly<Record<ShareService, ShareTarget>>>;
  /** The key store failed or works again: the shown state changed. */
  readonly onChange: () => void;
}

export interface ShareSession {
  /** What the engine publishes now: null unless sharing is on. */
  publishOptions(): PublishOptions | null;
  /** Saves the draft with sharing on and publishes it (connecting if the session is down). */
  start(draft: ShareDraft): Promise<ShareSettings>;
  /** Saves the draft; published at once when sharing is on (a hand-back keeps streams). */
  update(draft: ShareDraft): Promise<ShareSettings>;
  /** Sharing off: the engine unregisters the name at once. The settings are kept. */
  stop(): Promise<void>;
  listServers(): Promise<readonly PublishedServerInfo[]>;
  /** The keychain could not give or keep the computer's key; null while it works. */
  keyError(): ErrorInfo | null;
}

/** The share's services as published ports, each dialled where `targets` says. */
export function publishedPorts(
  services: readonly ShareService[],
  targets: ShareSessionOptions['targets'] = {},
): PublishedPort[] {
  return services.map((service) => {
    const port = SHARE_SERVICE_PORTS[service];
    const target = targets[service];
    return target === undefined
      ? { port }
      : { port, targetHost: target.host, targetPort: target.port };
  });
}

/** A draft as it is kept: the subs in the order typed, trimmed by the form already. */
function settingsOf(draft: ShareDraft, enabled: boolean): ShareSettings {
  return {
    name: draft.name,
    services: [...draft.services],
    allowSubs: draft.allowSubs === null ? null : [...draft.allowSubs],
    enabled,
  };
}

export function createShareSession(options: ShareSessionOptions): ShareSession {
  const { settingsStore, session, clock } = options;
  let keyError: ErrorInfo | null = null;

  function keyFailed(error: unknown): never {
    const failure =
      error instanceof ServiceError
        ? errorInfo(error.code, error.message, clock.now(), error.detail)
        : errorInfo(
            'keychain_unavailable',
            'The system keychain cannot keep this computer’s key.',
            clock.now(),
            messageOf(error),
          );
    keyError = failure;
    options.onChange();
    throw new EngineError(failure.code, failure.message, failure.detail);
  }
  function keyWorks<T>(value: T): T {
    if (keyError !== null) {
      keyError = null;
      options.onChange();
    }
    return value;
  }
  // One store object for every publish: the engine keeps the identity it loaded per store.
  const keyStore: ServerKeyStore = {
    load: () => options.secretStore.get(SERVER_KEY_ACCOUNT).then(keyWorks, keyFailed),
    save: (pem) => options.secretStore.set(SERVER_KEY_ACCOUNT, pem).then(keyWorks, keyFailed),
  };

  function optionsFor(share: ShareSettings | undefined): PublishOptions | null {
    if (share === undefined || !share.enabled) return null;
    return {
      name: share.name,
      ports: publishedPorts(share.services, options.targets),
      allowSubs: share.allowSubs,
      keyStore,
    };
  }

  async function save(share: ShareSettings): Promise<ShareSettings> {
    const current = settingsStore.get();
    await saveSettingsOrThrow(settingsStore, { ...current, share });
    session.setPublish(optionsFor(share));
    return share;
  }

  return {
    publishOptions: () => optionsFor(settingsStore.get().share),
    async start(draft) {
      rejectInvalidFields(validateShareDraft(draft));
      const saved = await save(settingsOf(draft, true));
      options.connectIfSignedIn();
      return saved;
    },
    update(draft) {
      rejectInvalidFields(validateShareDraft(draft));
      return save(settingsOf(draft, settingsStore.get().share?.enabled ?? false));
    },
    async stop() {
      const share = settingsStore.get().share;
      if (share === undefined || !share.enabled) return;
      await save({ ...share, enabled: false });
    },
    async listServers() {
      if (!session.canListServers())
        throw new ServiceError(
          'connection_lost',
          'Connect to the relay to see the computers shared with you.',
        );
      try {
        const servers = await session.listServers();
        return servers.map(({ name, ports, keyed, online }) => ({
          name,
          ports: [...ports],
          keyed,
          online,
        }));
      } catch (error) {
        if (error instanceof EngineError)
          throw new ServiceError(error.code, error.message, error.detail);
        throw error;
      }
    },
    keyError: () => keyError,
  };
}

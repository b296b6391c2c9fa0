// The handler table: one small function per IPC request, each calling the owner of what it
// changes (settings, engine session, token gate, built-in relay, notices) and then publishing
// the state change. Payloads arrive already checked by ipc-router.ts; nothing here is pushed.

import type {
  AccountInfo,
  AppInfo,
  AppSettings,
  RelayProfile,
  ReplyOf,
  RequestChannel,
  RequestOf,
} from '../shared/ipc-contract';
import type { Clock } from '../shared/clock';
import { validateRelayProfile } from '../shared/tunnel-validation';
import type { AppState } from './app-state';
import type { BuiltinRelayFlow } from './builtin-relay-flow';
import type { EngineSession } from './engine-session';
import { ServiceError } from './errors';
import type { ExportFiles } from './export-files';
import { isAllowedExternalUrl } from './external-url';
import type { InviteRequests } from './invite-requests';
import type { Logger } from './logger';
import type { RelayProbe } from './relay-probe';
import { saveSettingsOrThrow, type SettingsStore } from './settings-store';
import type { ShareSession } from './share-session';
import type { TokenExpiryWatch } from './token-expiry-watch';
import { confirmPendingChange, type RelayChangeConfirmer, type TokenGate } from './token-gate';
import { rejectInvalidFields, type TunnelRequests } from './tunnel-requests';

export type IpcHandlers = {
  readonly [C in RequestChannel]: (request: RequestOf<C>) => Promise<ReplyOf<C>>;
};

export interface IpcHandlerDeps {
  readonly state: AppState;
  readonly session: EngineSession;
  readonly share: ShareSession;
  readonly tunnels: TunnelRequests;
  readonly builtin: BuiltinRelayFlow;
  readonly tokens: TokenGate;
  readonly expiry: TokenExpiryWatch;
  readonly exports: ExportFiles;
  readonly invites: InviteRequests;
  readonly settingsStore: SettingsStore;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly appInfo: AppInfo;
  readonly logDirectory: string;
  /** Hosts `app.openExternal` may open (https only). */
  readonly externalAllowList: readonly string[];
  readonly openExternal?: (url: string) => Promise<void>;
  readonly openPath?: (path: string) => Promise<void>;
  readonly confirmRelayChange?: RelayChangeConfirmer;
  /** "Test connection" (relay-probe.ts). */
  readonly relayProbe: RelayProbe;
  /** Main's open-file dialog for a CA file (dialog.showOpenDialog in the app); null: cancelled. */
  readonly chooseCaFile?: () => Promise<string | null>;
  /** The clipboard's text (clipboard.readText in the app), for token.paste. */
  readonly readClipboardText?: () => Promise<string>;
}

/** A synchronous step as a request's promise: what it throws becomes the rejection. */
function settled(step: () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    step();
    resolve();
  });
}

export function createIpcHandlers(deps: IpcHandlerDeps): IpcHandlers {
  const { state, session, tunnels, builtin, tokens, expiry, settingsStore, logger } = deps;
  const iso = () => new Date(deps.clock.now()).toISOString();

  /** What changes with the relay: the built-in relay, the token's account, the engine. */
  async function switchRelay(
    previous: RelayProfile | null,
    next: RelayProfile | null,
  ): Promise<void> {
    await builtin.follow(previous, next);
    if (previous?.id !== next?.id) await tokens.setAccount(next?.id ?? null);
    await session.apply(previous);
    state.dropNotices('insecure_relay');
    if (next?.insecure) state.setNotice({ kind: 'insecure_relay', at: iso() });
  }

  async function updateSettings(
    patch: RequestOf<'cloudbridge:settings.update'>,
  ): Promise<AppSettings> {
    const current = settingsStore.get();
    if (patch.relay) {
      // Only relay.useBuiltin makes a built-in profile: the window cannot claim one.
      if (patch.relay.builtin && patch.relay.id !== current.relay?.id)
        throw new ServiceError(
          'invalid_tunnel_info',
          'Use "Try the built-in relay" for a local relay.',
          'builtin',
          { builtin: { key: 'validation.builtinRelay' } },
        );
      rejectInvalidFields(validateRelayProfile(patch.relay));
      await session.checkProfile(patch.relay);
    }
    const next: AppSettings = { ...current, ...patch };
    await saveSettingsOrThrow(settingsStore, next);
    if ('relay' in patch) await switchRelay(current.relay, next.relay);
    state.changed();
    return next;
  }

  async function saveToken(token: string): Promise<AccountInfo> {
    const account = await tokens.save(token);
    state.dropNotices('token_expiring', 'keychain_unavailable');
    expiry.forget();
    expiry.check();
    logger.log('info', 'token_saved', {
      subject: account.subject,
      tenant: account.tenant,
      expires_at: account.expiresAt,
    });
    if (settingsStore.get().autoConnect) session.resume();
    state.changed();
    return account;
  }

  async function openExternal(url: string): Promise<void> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ServiceError('internal_error', 'That is not a web address.');
    }
    if (!isAllowedExternalUrl(url, deps.externalAllowList) || !deps.openExternal)
      throw new ServiceError(
        'internal_error',
        'This link cannot be opened from the app.',
        parsed.origin,
      );
    await deps.openExternal(parsed.toString());
  }

  return {
    'cloudbridge:app.snapshot': () => Promise.resolve(state.snapshot()),
    'cloudbridge:app.info': () => Promise.resolve(deps.appInfo),
    'cloudbridge:app.openExternal': ({ url }) => openExternal(url),
    'cloudbridge:session.connect': () => settled(() => session.connect()),
    'cloudbridge:session.disconnect': () => session.disconnect(),
    'cloudbridge:session.retryNow': () => settled(() => session.retryNow()),
    'cloudbridge:tunnel.setEnabled': async ({ id, enabled }) => {
      await tunnels.setEnabled(id, enabled);
      state.changed();
    },
    'cloudbridge:tunnel.setAllEnabled': async ({ enabled }) => {
      await tunnels.setAllEnabled(enabled);
      state.changed();
    },
    'cloudbridge:tunnel.save': async (draft) => {
      const config = await tunnels.save(draft);
      state.changed();
      return config;
    },
    'cloudbridge:tunnel.remove': async ({ id }) => {
      await tunnels.remove(id);
      state.changed();
    },
    'cloudbridge:tunnel.open': ({ id }) => tunnels.open(id),
    'cloudbridge:tunnel.retry': ({ id }) => tunnels.retry(id),
    'cloudbridge:tunnel.copyAddress': async ({ id }) => ({ text: await tunnels.copyAddress(id) }),
    'cloudbridge:tunnel.suggestPort': async (request) => ({
      port: await tunnels.suggestPort(request),
    }),
    'cloudbridge:token.save': ({ token }) => saveToken(token),
    'cloudbridge:token.paste': async () => {
      // The clipboard's text goes from main's clipboard to the keychain; the window never has it.
      const text = deps.readClipboardText ? await deps.readClipboardText() : '';
      if (text.trim() === '')
        throw new ServiceError('token_malformed', 'The clipboard holds no text to use as a token.');
      return saveToken(text.trim());
    },
    'cloudbridge:token.confirmRelay': async () => {
      const change = await confirmPendingChange(tokens, deps.confirmRelayChange);
      if (change !== null)
        logger.log('info', 'token_relay_confirmed', {
          relay: `${change.to.host}:${change.to.port}`,
          changed: change.fields.join(','),
        });
      session.resume();
      state.changed();
      return tokens.account();
    },
    'cloudbridge:token.signOut': async () => {
      await session.endForSignOut();
      const account = await tokens.signOut();
      state.dropNotices('token_expiring');
      logger.log('info', 'token_removed');
      state.changed();
      return account;
    },
    'cloudbridge:settings.update': updateSettings,
    'cloudbridge:relay.test': async (profile) => {
      rejectInvalidFields(validateRelayProfile(profile));
      return deps.relayProbe.test(profile);
    },
    'cloudbridge:relay.chooseCaFile': async () => {
      if (!deps.chooseCaFile)
        throw new ServiceError('internal_error', 'This build cannot open a file dialog.');
      return { path: await deps.chooseCaFile() };
    },
    'cloudbridge:relay.useBuiltin': async () => {
      const { previous, settings } = await builtin.use();
      expiry.forget();
      expiry.check();
      session.setTunnels(settings.tunnels);
      await session.apply(previous);
      state.dropNotices('first_run');
      session.connectIfDisconnected();
      state.changed();
      return settings;
    },
    'cloudbridge:logs.query': (query) => Promise.resolve(logger.query(query)),
    'cloudbridge:logs.export': () => deps.exports.exportLogs(),
    'cloudbridge:logs.openFolder': async () => {
      if (!deps.openPath)
        throw new ServiceError('internal_error', `Logs are in ${deps.logDirectory}.`);
      await deps.openPath(deps.logDirectory);
    },
    'cloudbridge:diagnostics.export': () => deps.exports.exportDiagnostics(),
    'cloudbridge:invite.accept': ({ id }) => deps.invites.accept(id),
    'cloudbridge:invite.dismiss': ({ id }) => settled(() => deps.invites.dismiss(id)),
    'cloudbridge:notice.dismiss': ({ kind }) => {
      if (state.dropNotices(kind)) state.changed();
      return Promise.resolve();
    },
    'cloudbridge:share.start': async (draft) => {
      const share = await deps.share.start(draft);
      state.changed();
      return share;
    },
    'cloudbridge:share.update': async (draft) => {
      const share = await deps.share.update(draft);
      state.changed();
      return share;
    },
    'cloudbridge:share.stop': async () => {
      await deps.share.stop();
      state.changed();
    },
    'cloudbridge:servers.list': () => deps.share.listServers(),
  };
}

// The desktop app's core in plain Node, as a composition root: builds the owners of each
// piece of state (app-state, window-feed, engine-session, traffic-totals, port-holders,
// token-expiry-watch, builtin-relay-flow) and the IPC handler table, and wires them together.
// Holds nothing of its own but `closed` and the notification listeners. Never imports
// electron (the Electron layer forwards).

import { readFile } from 'node:fs/promises';
import { resolveLanguage, type ReplyOf } from '../shared/ipc-contract';
import { translatorFor } from '../shared/i18n/translator';
import { createAppState } from './app-state';
import { createBuiltinRelayFlow } from './builtin-relay-flow';
import type {
  AppController,
  AppControllerOptions,
  AppNotification,
  NotificationMessage,
} from './controller-types';
import { createEngineSession } from './engine-session';
import { messageOf } from './errors';
import { createExportFiles } from './export-files';
import { createInviteLinks } from './invite-links';
import { createInviteRequests } from './invite-requests';
import { createIpcHandlers } from './ipc-handlers';
import { createKnownSecrets } from './known-secrets';
import { notificationText } from './notification-policy';
import { createPortHolders } from './port-holders';
import { createRelayProbe } from './relay-probe';
import { createMemorySecretStore } from './secret-store';
import { withShareDetails } from './share-details';
import { createShareSession } from './share-session';
import { createTokenBindings } from './token-binding';
import { createTokenExpiryWatch } from './token-expiry-watch';
import { createTokenGate } from './token-gate';
import { createPortSuggestions } from './port-suggestions';
import { createTrafficTotals } from './traffic-totals';
import { createTunnelRequests } from './tunnel-requests';
import { createWindowFeed } from './window-feed';

export type {
  AppController,
  AppControllerOptions,
  AppNotification,
  BuiltinRelay,
  BuiltinRelayStarter,
  Push,
} from './controller-types';
export { toErrorInfo } from './errors';

const DEFAULT_ALLOW_LIST = ['github.com'];
const DEFAULT_RESTORED_NOTIFY_AFTER_MS = 10_000;

export function createAppController(options: AppControllerOptions): AppController {
  const { settingsStore, logger, clock } = options;
  const random = options.random ?? Math.random;
  const platform = options.platform ?? process.platform;
  const readText = options.readTextFile ?? ((path: string) => readFile(path, 'utf8'));
  const iso = () => new Date(clock.now()).toISOString();
  let closed = false;

  const notifyListeners = new Set<(n: AppNotification) => void>();
  /** Worded when shown, in the app's language as the settings now resolve it. */
  const notify = (message: NotificationMessage) => {
    const language = resolveLanguage(settingsStore.get().language, options.systemLanguage);
    const n = notificationText(message, translatorFor(language));
    for (const l of [...notifyListeners]) l(n);
  };
  const knownSecrets = createKnownSecrets();
  const tokens = createTokenGate({
    tokens: options.tokenService,
    bindings: createTokenBindings({ dataDir: options.dataDir }),
    settingsProfile: () => settingsStore.get().relay,
    // The gate is asked for a token only by an engine, which the session creates below.
    dialProfile: () => session.dialProfile(),
    onHandedOut: (token) => knownSecrets.remember(token),
  });
  const holders = createPortHolders({
    ...(options.findPortOwner ? { findPortOwner: options.findPortOwner } : {}),
    onFound: () => state.changed(),
    onHolder: (tunnelId, port, holder) =>
      logger.log('info', 'port_holder_found', { port, holder }, tunnelId),
  });
  const links = createInviteLinks({
    clock,
    random,
    logger,
    dataDir: options.dataDir,
    settingsProfile: () => settingsStore.get().relay,
    ...(options.maxInviteBytes !== undefined ? { maxBytes: options.maxInviteBytes } : {}),
    onSecret: (token) => knownSecrets.remember(token),
    onChange: () => {
      if (!closed) state.changed();
    },
  });
  const state = createAppState({
    settingsStore,
    invite: () => links.view(),
    account: () => tokens.account(),
    logDirectory: options.logDirectory,
    clock,
    decorate: (engine) =>
      withShareDetails(holders.decorate(engine), {
        share: settingsStore.get().share,
        keyError: share.keyError(),
      }),
  });
  const feed = createWindowFeed({
    clock,
    state,
    ...(options.catchUpLogRecords !== undefined
      ? { catchUpRecords: options.catchUpLogRecords }
      : {}),
  });
  state.onChange((snapshot) => feed.stateChanged(snapshot));
  const unsubscribeLogger = logger.subscribe((record) => feed.logged(record));
  const totals = createTrafficTotals({
    settingsStore,
    clock,
    onTotalsChanged: () => state.changed(),
  });
  const session = createEngineSession({
    settingsStore,
    tokens,
    logger,
    clock,
    random,
    createEngine: options.createEngine,
    clientVersion: options.appInfo.version,
    allowDirect: options.allowDirect ?? false,
    readText,
    restoredNotifyAfterMs: options.restoredNotifyAfterMs ?? DEFAULT_RESTORED_NOTIFY_AFTER_MS,
    shown: () => state.engine(),
    onSnapshot(next) {
      totals.account(next);
      holders.lookUp(next);
      if (state.setEngine(next)) state.changed();
      else feed.countersChanged();
    },
    onNotification: notify,
    onEngineClosing(last) {
      totals.account(last);
      totals.reset();
    },
    onIdle: () => state.showIdleEngine(),
    publish: () => share.publishOptions(),
  });
  const share = createShareSession({
    settingsStore,
    session,
    connectIfSignedIn: () => {
      if (tokens.account().signedIn) session.connectIfDisconnected();
    },
    secretStore: options.secretStore ?? createMemorySecretStore(),
    clock,
    ...(options.shareTargets ? { targets: options.shareTargets } : {}),
    onChange: () => {
      if (!closed) state.changed();
    },
  });
  const builtin = createBuiltinRelayFlow({
    ...(options.startBuiltinRelay ? { start: options.startBuiltinRelay } : {}),
    settingsStore,
    tokens,
    logger,
    random,
  });
  const expiry = createTokenExpiryWatch({
    clock,
    account: () => tokens.account(),
    prefs: () => settingsStore.get().notifications,
    warn(notice, notification) {
      state.setNotice(notice);
      if (notification) notify(notification);
      state.changed();
    },
  });
  const handlers = createIpcHandlers({
    state,
    session,
    share,
    tunnels: createTunnelRequests({
      settingsStore,
      session,
      logger,
      random,
      platform,
      ...(options.launch ? { launch: options.launch } : {}),
      ...(options.openExternal ? { openUrl: options.openExternal } : {}),
      ...(options.writeClipboard ? { writeClipboard: options.writeClipboard } : {}),
      ports: createPortSuggestions({
        ...(options.probePort ? { probe: options.probePort } : {}),
        ...(options.maxPortProbes !== undefined ? { maxProbes: options.maxPortProbes } : {}),
      }),
      tunnelStatus: (id) => state.engine().tunnels.find((t) => t.id === id)?.status ?? null,
    }),
    builtin,
    tokens,
    expiry,
    invites: createInviteRequests({
      links,
      settingsStore,
      dataDir: options.dataDir,
      builtin,
      tokens,
      session,
      state,
      expiry,
      logger,
      clock,
    }),
    exports: createExportFiles({
      dataDir: options.dataDir,
      logDirectory: options.logDirectory,
      appInfo: options.appInfo,
      clock,
      logger,
      settingsStore,
      snapshot: () => state.snapshot(),
      readText,
      knownSecrets,
      secretSources: [
        () => options.tokenService.getToken(),
        () => builtin.token(),
        async () => (await settingsStore.sessionState.load())?.reconnectToken,
      ],
      ...(options.chooseExportPath ? { chooseExportPath: options.chooseExportPath } : {}),
    }),
    settingsStore,
    logger,
    clock,
    appInfo: options.appInfo,
    logDirectory: options.logDirectory,
    externalAllowList: options.externalAllowList ?? DEFAULT_ALLOW_LIST,
    ...(options.openExternal ? { openExternal: options.openExternal } : {}),
    ...(options.openPath ? { openPath: options.openPath } : {}),
    ...(options.confirmRelayChange ? { confirmRelayChange: options.confirmRelayChange } : {}),
    relayProbe: createRelayProbe({
      clock,
      readText,
      tokenFor: (profile) => tokens.tokenForProbe(profile),
      clientVersion: options.appInfo.version,
      logger,
    }),
    ...(options.chooseCaFile ? { chooseCaFile: options.chooseCaFile } : {}),
    ...(options.readClipboardText ? { readClipboardText: options.readClipboardText } : {}),
  });

  /** The keychain could not be read (locked at start): a wake-up asks it again. */
  async function retryKeychain(reason: string): Promise<void> {
    const account = await tokens.refresh();
    if (closed || account.keychainError !== null) return;
    state.dropNotices('keychain_unavailable');
    logger.log('info', 'keychain_available', { reason, signed_in: account.signedIn });
    session.connectAtStart();
    expiry.check();
    state.changed();
  }

  return {
    async start() {
      const loaded = await settingsStore.load();
      for (const notice of loaded.notices) state.setNotice(notice);
      // The keychain may prompt and take a while (E5): the window says why nothing shows yet.
      state.setNotice({ kind: 'keychain_unlocking', at: iso() });
      state.changed();
      await builtin.startAtLaunch();
      const account = await tokens.setAccount(settingsStore.get().relay?.id ?? null);
      await tokens.adoptAtStart(settingsStore.get().relay);
      if (account.keychainError) state.setNotice({ kind: 'keychain_unavailable', at: iso() });
      state.dropNotices('keychain_unlocking');
      if (loaded.firstRun || settingsStore.get().relay === null)
        state.setNotice({ kind: 'first_run', at: iso() });
      try {
        await session.apply(null);
      } catch (error) {
        logger.log('error', 'relay_setup_failed', { error: messageOf(error) });
      }
      session.connectAtStart();
      expiry.check();
      expiry.start();
      totals.start();
      logger.log('info', 'app_started', { version: options.appInfo.version, platform });
      state.changed();
    },
    snapshot: () => state.snapshot(),
    handle(channel, request) {
      const handler = handlers[channel] as (r: typeof request) => Promise<ReplyOf<typeof channel>>;
      return handler(request);
    },
    onPush: (listener) => feed.onPush(listener),
    onChange: (listener) => state.onChange(listener),
    onNotification(listener) {
      notifyListeners.add(listener);
      return () => notifyListeners.delete(listener);
    },
    setWindowVisible: (visible) => feed.setVisible(visible),
    receiveInvite: (input) => (closed ? Promise.resolve() : links.receive(input)),
    reconnectNow(reason) {
      if (tokens.account().keychainError === null) session.reconnectNow(reason);
      else void retryKeychain(reason);
    },
    showNotice(notice, notification) {
      if (closed) return;
      state.setNotice(notice);
      if (notification) notify(notification);
      state.changed();
    },
    async close() {
      if (closed) return;
      closed = true;
      feed.close();
      expiry.close();
      holders.close();
      unsubscribeLogger();
      notifyListeners.clear();
      state.close();
      await session.close().catch(() => undefined);
      await builtin.close();
      await totals.close();
    },
  };
}

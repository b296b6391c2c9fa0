// The shapes the controller's parts hand each other and its callers: the AppController and its
// options, pushes for the window, system notifications, and the built-in relay a starter
// returns. Types only, no behaviour.

import type { Engine, EngineOptions } from '../engine/types';
import type { Clock } from '../shared/clock';
import type {
  AppInfo,
  AppSnapshot,
  EventChannel,
  Events,
  Notice,
  RelayProfile,
  ReplyOf,
  RequestChannel,
  RequestOf,
} from '../shared/ipc-contract';
import type { MessageParams } from '../shared/model';
import type { InviteInput } from './invite-links';
import type { Logger } from './logger';
import type { PortOwner } from './port-owner';
import type { PortProbe } from './port-suggestions';
import type { SecretStore } from './secret-store';
import type { ShareTarget } from './share-session';
import type { ShareService } from '../shared/share-model';
import type { SettingsStore } from './settings-store';
import type { RelayChangeConfirmer } from './token-gate';
import type { TokenService } from './token-service';
import type { Spawner } from './tunnel-launcher';

/** A push to the window: one of the contract's events with its payload. */
export type Push = {
  [E in EventChannel]: { readonly event: E; readonly payload: Events[E] };
}[EventChannel];

export type NotificationKind =
  'connection_lost' | 'connection_restored' | 'token_expiring' | 'engine_restarted';

/** What main tells the user, as a code with values; worded by notification-policy.ts. */
export interface NotificationMessage {
  readonly kind: NotificationKind;
  readonly params?: MessageParams;
}

/** A notification in words, in the app's language, for the OS to show. */
export interface AppNotification {
  readonly kind: NotificationKind;
  readonly title: string;
  readonly body: string;
}

/** What the built-in local relay hands the controller (see builtin-relay.ts). */
export interface BuiltinRelay {
  readonly profile: RelayProfile;
  /** A token minted for this relay; stored in the SecretStore like any other. */
  readonly token: string;
  /** The demo tunnel's target (a small echo/HTTP server the relay host runs). */
  readonly demoTarget: { readonly host: string; readonly port: number };
  close(): Promise<void>;
}
export type BuiltinRelayStarter = (previous: RelayProfile | null) => Promise<BuiltinRelay>;

export interface AppControllerOptions {
  readonly settingsStore: SettingsStore;
  readonly tokenService: TokenService;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random?: () => number;
  readonly createEngine: (options: EngineOptions) => Engine;
  readonly appInfo: AppInfo;
  readonly logDirectory: string;
  readonly dataDir: string;
  readonly platform?: NodeJS.Platform;
  readonly startBuiltinRelay?: BuiltinRelayStarter;
  readonly findPortOwner?: (port: number) => Promise<PortOwner | null>;
  readonly launch?: Spawner;
  /** Opens an allowed URL in the system browser (shell.openExternal in the app). */
  readonly openExternal?: (url: string) => Promise<void>;
  /** Opens a folder in the file manager (shell.openPath in the app). */
  readonly openPath?: (path: string) => Promise<void>;
  /** Puts text on the system clipboard (a tunnel's address; Electron's clipboard in the app). */
  readonly writeClipboard?: (text: string) => Promise<void> | void;
  /** Whether a local port can be bound now (default: bind and close a listener). */
  readonly probePort?: PortProbe;
  /** Ports tried per free-port suggestion (default 64, services/port-suggestions.ts). */
  readonly maxPortProbes?: number;
  /** Where to save an export; null = the user cancelled. Default: <dataDir>/exports/<name>. */
  readonly chooseExportPath?: (defaultName: string) => Promise<string | null>;
  /** Main's open-file dialog for a relay's CA file; null = cancelled. Absent: no picker. */
  readonly chooseCaFile?: () => Promise<string | null>;
  /** The clipboard's text, for pasting a token in main. Absent: nothing to paste. */
  readonly readClipboardText?: () => Promise<string>;
  /** Hosts `app.openExternal` may open (https only). */
  readonly externalAllowList?: readonly string[];
  /** A loss shorter than this is a brief drop: no "restored" notification. */
  readonly restoredNotifyAfterMs?: number;
  /**
   * Data mode for relays without tcp_stream
   * (docs/protocol.md#data-streams-feature-tcp_stream).
   */
  readonly allowDirect?: boolean;
  readonly readTextFile?: (path: string) => Promise<string>;
  /** Asks the user (a native dialog in the app) before a stored token goes to a changed relay. */
  readonly confirmRelayChange?: RelayChangeConfirmer;
  /** Log records logged while the window is hidden that it is shown on show (default 500). */
  readonly catchUpLogRecords?: number;
  /** Largest connection link or .cloudbridge file read (docs/protocol.md#connection-links). */
  readonly maxInviteBytes?: number;
  /**
   * The OS language (app.getLocale() in the app): notifications follow it while the language
   * setting is System (ipc-contract.ts resolveLanguage). Default: English.
   */
  readonly systemLanguage?: string;
  /** Where the shared computer's key is kept (the keychain); default: memory, not kept. */
  readonly secretStore?: SecretStore;
  /** Where a shared service is dialled (services/share-session.ts); default 127.0.0.1. */
  readonly shareTargets?: Partial<Readonly<Record<ShareService, ShareTarget>>>;
}

export interface AppController {
  /** Loads settings and the token, starts the built-in relay if configured, connects if wanted. */
  start(): Promise<void>;
  snapshot(): AppSnapshot;
  handle<C extends RequestChannel>(channel: C, request: RequestOf<C>): Promise<ReplyOf<C>>;
  /** Pushes for the window (respecting visibility and throttles). */
  onPush(listener: (push: Push) => void): () => void;
  /** Every state change, whatever the window does (the tray listens here). */
  onChange(listener: (snapshot: AppSnapshot) => void): () => void;
  onNotification(listener: (notification: AppNotification) => void): () => void;
  /** Hidden: nothing is pushed. Shown: the full snapshot, then what was logged meanwhile. */
  setWindowVisible(visible: boolean): void;
  /** Resume, unlock, network change: skip the backoff wait. */
  reconnectNow(reason: string): void;
  /**
   * A connection link or .cloudbridge file the OS handed over: verified and kept pending for the
   * window to show and the user to answer (docs/protocol.md#connection-links). Never throws.
   */
  receiveInvite(input: InviteInput): Promise<void>;
  /** A notice from outside (the engine host restarted): replaces one of its kind, may notify. */
  showNotice(notice: Notice, notification?: NotificationMessage): void;
  close(): Promise<void>;
}

// The one IPC contract between the Electron main process and the renderer: every channel,
// its request payload and reply, and every pushed event. Main (electron/ipc-main.ts), the
// preload and the renderer's bridge are typed from this file; payload guards live in
// ipc-guards.ts and a channel without a guard does not compile. Runs anywhere.

import type {
  EngineSnapshot,
  ErrorInfo,
  LogLevel,
  LogRecord,
  MessageParams,
  TunnelConfig,
} from './model';
import type { InviteState } from './invite-view';
import type { RelayTestReport } from './relay-test';
import type { PublishedServerInfo, ShareDraft, ShareSettings } from './share-model';

/**
 * What a form field is refused for, as a message key the renderer translates (its
 * dictionaries have every one) with parameters; never a sentence. Main and the renderer get
 * them from the same rules (tunnel-validation.ts).
 */
export const FIELD_MESSAGE_KEYS = [
  'validation.required',
  'validation.nameLength',
  'validation.host',
  'validation.port',
  'validation.duplicatePort',
  'validation.pin',
  'validation.tunnelGone',
  'validation.builtinRelay',
  'validation.serverName',
  'validation.shareServices',
  'validation.subs',
  'validation.subCount',
] as const;
export type FieldMessageKey = (typeof FIELD_MESSAGE_KEYS)[number];
export type FieldParams = Readonly<Record<string, string | number>>;
export interface FieldProblem {
  readonly key: FieldMessageKey;
  readonly params?: FieldParams;
}
/** Field name -> problem, for forms (tunnel editor, relay profile). */
export type FieldErrors = Readonly<Record<string, FieldProblem>>;

/** Every reply is a Result: nothing is thrown across IPC. */
export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly error: ErrorInfo;
      readonly fields?: FieldErrors;
    };

export type Language = 'system' | 'en' | 'ru';
/** A language the app has strings for; `system` resolves to one of these. */
export type ResolvedLanguage = Exclude<Language, 'system'>;

/** `system` follows the OS/browser language the caller passes; anything not Russian is English. */
export function resolveLanguage(
  setting: Language | undefined,
  systemLanguage: string | undefined,
): ResolvedLanguage {
  if (setting === 'en' || setting === 'ru') return setting;
  return (systemLanguage ?? '').toLowerCase().startsWith('ru') ? 'ru' : 'en';
}
/** How the client opens a control session (docs/protocol.md#opener). */
export type OpenerMode = 'auto' | 'client' | 'server';

export interface RelayProfile {
  readonly id: string;
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** PEM file with the CA to trust; null uses the system store. */
  readonly caFile: string | null;
  /** Base64 SHA-256 of the relay's SPKI; null for no pin. */
  readonly pinSha256: string | null;
  /** SNI / certificate name when it differs from `host`. */
  readonly serverName: string | null;
  /** Plaintext, for development relays only; shown loudly. */
  readonly insecure: boolean;
  readonly opener: OpenerMode;
  /** True for the built-in local relay the app starts itself. */
  readonly builtin: boolean;
}

export interface NotificationSettings {
  readonly connectionLost: boolean;
  readonly connectionRestored: boolean;
  readonly tokenExpiry: boolean;
}

export interface AppSettings {
  readonly relay: RelayProfile | null;
  readonly tunnels: readonly TunnelConfig[];
  readonly autoConnect: boolean;
  readonly launchAtLogin: boolean;
  readonly notifications: NotificationSettings;
  readonly language: Language;
  /** This computer shared under a name (share.* requests only); absent: never set up. */
  readonly share?: ShareSettings;
}

/** What the renderer may know of the token: decoded claims, never the token itself. */
export interface AccountInfo {
  readonly signedIn: boolean;
  readonly subject: string | null;
  readonly tenant: string | null;
  /** ISO 8601, or null when the token has no `exp`. */
  readonly expiresAt: string | null;
  /** True when the token expires within 24 hours. */
  readonly expiresSoon: boolean;
  /** Set when the keychain cannot be used (no Secret Service, locked, denied). */
  readonly keychainError: ErrorInfo | null;
}

export interface TunnelTotals {
  readonly todayIn: number;
  readonly todayOut: number;
  readonly allTimeIn: number;
  readonly allTimeOut: number;
}

export const NOTICE_KINDS = [
  'settings_reset',
  'first_run',
  'insecure_relay',
  'keychain_unavailable',
  'token_expiring',
  /** The engine host child exited and was restarted (src-main/engine-host). */
  'engine_restarted',
  /** Shown while start() waits for the keychain (it may prompt). */
  'keychain_unlocking',
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];
/**
 * A notice is a code with values, never a sentence: the window says it in the user's language
 * from the catalogue's `notice.<kind>` (title) and `noticeBody.<kind>` filled with `params`.
 */
export interface Notice {
  readonly kind: NoticeKind;
  readonly params?: MessageParams;
  readonly at: string;
}

/** Everything a window needs to draw itself; sent whole on show and on every state change. */
export interface AppSnapshot {
  /**
   * The app-wide sequence (services/app-state.ts): rises with every app.changed and
   * stats.changed push, whatever engine or engine host produced it. The window orders what it
   * receives by this, never by `engine.seq`, which starts again with each new engine.
   */
  readonly seq: number;
  readonly engine: EngineSnapshot;
  readonly account: AccountInfo;
  readonly settings: AppSettings;
  /** Per tunnel id, persisted across restarts. */
  readonly totals: Readonly<Record<string, TunnelTotals>>;
  readonly notices: readonly Notice[];
  readonly logDirectory: string;
  /** A connection link waiting for the user's answer, or why the last one was refused. */
  readonly invite: InviteState;
}

/** Live counters pushed at most 4 times a second (SNAPSHOT_MIN_INTERVAL_MS). */
export interface StatsUpdate {
  /** The same app-wide sequence as AppSnapshot.seq. */
  readonly seq: number;
  readonly at: string;
  /**
   * Today and all time with every byte of these counters in them: main folds each counter
   * snapshot into the totals before it pushes (services/traffic-totals.ts), so the window
   * shows them live; they reach the disk every 10 s.
   */
  readonly totals: Readonly<Record<string, TunnelTotals>>;
  readonly tunnels: readonly {
    readonly id: string;
    readonly bytesIn: number;
    readonly bytesOut: number;
    readonly rateInBps: number;
    readonly rateOutBps: number;
    readonly openConnections: number;
    readonly totalConnections: number;
    readonly failedConnections: number;
  }[];
  /** This computer's published server: its counters and each connection's bytes, live. */
  readonly publish?: {
    readonly bytesIn: number;
    readonly bytesOut: number;
    readonly totalConnections: number;
    readonly connections: readonly {
      readonly id: number;
      readonly bytesIn: number;
      readonly bytesOut: number;
    }[];
  } | null;
}

/**
 * New log records for the window. Nothing is pushed while it is hidden; on show it gets the
 * newest records logged meanwhile (at most the catch-up bound, 500 by default) and how many
 * older ones did not fit (they are in the log file).
 */
export interface LogBatch {
  readonly records: readonly LogRecord[];
  /** Records logged while the window was hidden and left out of this batch. */
  readonly omitted: number;
  /**
   * True for the batch sent on show: its records may overlap what the window's first
   * logs.query returned, so the window skips the ones it already has.
   */
  readonly catchUp: boolean;
}

/** Which local port to try first, where, and for which tunnel (its own port is not "taken"). */
export interface PortSuggestionRequest {
  readonly port: number;
  readonly localHost: string;
  readonly tunnelId?: string;
}

/** A tunnel as the editor submits it; `id` absent means "add". */
export type TunnelDraft = Omit<TunnelConfig, 'id'> & { readonly id?: string };

export interface LogQuery {
  readonly limit: number;
  readonly level?: LogLevel;
  readonly tunnelId?: string;
  readonly text?: string;
}

export interface AppInfo {
  readonly version: string;
  readonly commit: string;
  readonly electron: string;
  readonly chrome: string;
  readonly node: string;
  readonly platform: string;
  /** This computer's host name: Share suggests a name from it. */
  readonly hostName?: string;
}

/** Renderer -> main. `cloudbridge:<noun>.<verb>`; request payload and reply value per channel. */
export interface Requests {
  'cloudbridge:app.snapshot': { request: void; reply: AppSnapshot };
  'cloudbridge:app.info': { request: void; reply: AppInfo };
  'cloudbridge:app.openExternal': { request: { url: string }; reply: void };
  'cloudbridge:session.connect': { request: void; reply: void };
  'cloudbridge:session.disconnect': { request: void; reply: void };
  'cloudbridge:session.retryNow': { request: void; reply: void };
  'cloudbridge:tunnel.setEnabled': { request: { id: string; enabled: boolean }; reply: void };
  /** Every tunnel on or off in one settings write (the tray's "Turn all tunnels off"). */
  'cloudbridge:tunnel.setAllEnabled': { request: { enabled: boolean }; reply: void };
  'cloudbridge:tunnel.save': { request: TunnelDraft; reply: TunnelConfig };
  'cloudbridge:tunnel.remove': { request: { id: string }; reply: void };
  'cloudbridge:tunnel.open': { request: { id: string }; reply: void };
  /** A tunnel in error tries its listener and registration again; the settings stay as they are. */
  'cloudbridge:tunnel.retry': { request: { id: string }; reply: void };
  /** Main puts the tunnel's local address on the clipboard and says what it copied. */
  'cloudbridge:tunnel.copyAddress': { request: { id: string }; reply: { text: string } };
  /**
   * A local port for a tunnel on `localHost`: `port` itself when it is free there and no other
   * tunnel uses it, else the next one that is (services/port-suggestions.ts).
   */
  'cloudbridge:tunnel.suggestPort': { request: PortSuggestionRequest; reply: { port: number } };
  'cloudbridge:token.save': { request: { token: string }; reply: AccountInfo };
  'cloudbridge:token.signOut': { request: void; reply: AccountInfo };
  /**
   * The relay profile changed since the token was saved (`token_relay_changed`): main asks the
   * user itself (a native dialog) before the stored token may go to the new relay.
   */
  'cloudbridge:token.confirmRelay': { request: void; reply: AccountInfo };
  'cloudbridge:settings.update': {
    request: Partial<Omit<AppSettings, 'tunnels' | 'share'>>;
    reply: AppSettings;
  };
  'cloudbridge:relay.useBuiltin': { request: void; reply: AppSettings };
  /**
   * "Test connection": dials the relay this profile names without saving it and reports TLS,
   * pin and sign-in step by step (shared/relay-test.ts). The stored token goes only to the
   * relay it is bound to.
   */
  'cloudbridge:relay.test': { request: RelayProfile; reply: RelayTestReport };
  /** Main's own file dialog for the profile's CA file; null when the user cancelled. */
  'cloudbridge:relay.chooseCaFile': { request: void; reply: { path: string | null } };
  /** Main reads the token from the clipboard itself and saves it as token.save does. */
  'cloudbridge:token.paste': { request: void; reply: AccountInfo };
  'cloudbridge:logs.query': { request: LogQuery; reply: readonly LogRecord[] };
  'cloudbridge:logs.export': { request: void; reply: { path: string | null } };
  'cloudbridge:logs.openFolder': { request: void; reply: void };
  'cloudbridge:diagnostics.export': { request: void; reply: { path: string | null } };
  /** The user has read a notice; it stays gone until its cause happens again. */
  'cloudbridge:notice.dismiss': { request: { kind: NoticeKind }; reply: void };
  /**
   * The pending connection link, named by its id only (never its contents): accepting sets its
   * relay profile, stores its token and connects (docs/protocol.md#connection-links).
   */
  'cloudbridge:invite.accept': { request: { id: string }; reply: AppSettings };
  /** "Not now" for the pending link, or closing the refusal of one. */
  'cloudbridge:invite.dismiss': { request: { id: string }; reply: void };
  /**
   * Shares this computer (docs/protocol.md#published-servers-feature-published_servers): saved,
   * then published on every session with the computer's own key from the keychain.
   */
  'cloudbridge:share.start': { request: ShareDraft; reply: ShareSettings };
  /** Changes what is shared (name, services, who); published at once while sharing is on. */
  'cloudbridge:share.update': { request: ShareDraft; reply: ShareSettings };
  /** Stops sharing: the relay is told at once (`unregister`) and the name is free. */
  'cloudbridge:share.stop': { request: void; reply: void };
  /** The tenant's published servers this identity may reach, asked on the live session. */
  'cloudbridge:servers.list': { request: void; reply: readonly PublishedServerInfo[] };
}
export type RequestChannel = keyof Requests;
export type RequestOf<C extends RequestChannel> = Requests[C]['request'];
export type ReplyOf<C extends RequestChannel> = Requests[C]['reply'];

/** The window's views, in navigation order. */
export const WINDOW_VIEWS = [
  'status',
  'tunnels',
  'share',
  'account',
  'logs',
  'settings',
  'about',
] as const;
export type WindowView = (typeof WINDOW_VIEWS)[number];

/**
 * Main asks the window to show a view (a tray entry: "Show in window", "Sign in…"): sent right
 * after the window is revealed; `tunnelId` is the tunnel to select on the Tunnels view.
 */
export interface WindowShowRequest {
  readonly view: WindowView;
  readonly tunnelId: string | null;
}

/** Main -> renderer pushes. */
export interface Events {
  'cloudbridge:app.changed': AppSnapshot;
  'cloudbridge:stats.changed': StatsUpdate;
  'cloudbridge:logs.appended': LogBatch;
  'cloudbridge:window.show': WindowShowRequest;
}
export type EventChannel = keyof Events;

/** `cloudbridge:tunnel.setEnabled` -> `tunnelSetEnabled`: the bridge's method for a channel. */
export type MethodName<C extends RequestChannel> =
  C extends `cloudbridge:${infer Noun}.${infer Verb}` ? `${Noun}${Capitalize<Verb>}` : never;

export function methodName<C extends RequestChannel>(channel: C): MethodName<C> {
  const [noun = '', verb = ''] = channel.slice('cloudbridge:'.length).split('.');
  return `${noun}${verb.charAt(0).toUpperCase()}${verb.slice(1)}` as MethodName<C>;
}

/**
 * The API the preload exposes as `window.cloudbridge`, derived from the contract: one named
 * method per request channel (never a generic invoke) and `on(event, fn) => unsubscribe`.
 */
export type BridgeApi = {
  readonly [C in RequestChannel as MethodName<C>]: (
    request: RequestOf<C>,
  ) => Promise<Result<ReplyOf<C>>>;
} & {
  readonly on: <E extends EventChannel>(
    event: E,
    listener: (payload: Events[E]) => void,
  ) => () => void;
};

export const REQUEST_CHANNELS = [
  'cloudbridge:app.snapshot',
  'cloudbridge:app.info',
  'cloudbridge:app.openExternal',
  'cloudbridge:session.connect',
  'cloudbridge:session.disconnect',
  'cloudbridge:session.retryNow',
  'cloudbridge:tunnel.setEnabled',
  'cloudbridge:tunnel.setAllEnabled',
  'cloudbridge:tunnel.save',
  'cloudbridge:tunnel.remove',
  'cloudbridge:tunnel.open',
  'cloudbridge:tunnel.retry',
  'cloudbridge:tunnel.copyAddress',
  'cloudbridge:tunnel.suggestPort',
  'cloudbridge:token.save',
  'cloudbridge:token.signOut',
  'cloudbridge:token.confirmRelay',
  'cloudbridge:settings.update',
  'cloudbridge:relay.useBuiltin',
  'cloudbridge:relay.test',
  'cloudbridge:relay.chooseCaFile',
  'cloudbridge:token.paste',
  'cloudbridge:logs.query',
  'cloudbridge:logs.export',
  'cloudbridge:logs.openFolder',
  'cloudbridge:diagnostics.export',
  'cloudbridge:notice.dismiss',
  'cloudbridge:invite.accept',
  'cloudbridge:invite.dismiss',
  'cloudbridge:share.start',
  'cloudbridge:share.update',
  'cloudbridge:share.stop',
  'cloudbridge:servers.list',
] as const satisfies readonly RequestChannel[];

export const EVENT_CHANNELS = [
  'cloudbridge:app.changed',
  'cloudbridge:stats.changed',
  'cloudbridge:logs.appended',
  'cloudbridge:window.show',
] as const satisfies readonly EventChannel[];

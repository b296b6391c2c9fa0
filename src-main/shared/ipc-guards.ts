// Runtime guards for every request payload of the IPC contract: the trust boundary between
// the renderer and main. One guard per request channel in a mapped type, so a channel
// without a guard does not compile; and the guard for a reply's field problems, which the
// renderer applies before translating them. Shape checks only; field rules live in
// tunnel-validation.ts.

import {
  FIELD_MESSAGE_KEYS,
  NOTICE_KINDS,
  REQUEST_CHANNELS,
  type AppSettings,
  type FieldErrors,
  type FieldMessageKey,
  type FieldProblem,
  type Language,
  type LogQuery,
  type NoticeKind,
  type NotificationSettings,
  type OpenerMode,
  type PortSuggestionRequest,
  type RelayProfile,
  type RequestChannel,
  type RequestOf,
  type TunnelDraft,
} from './ipc-contract';
import { LOG_LEVELS, TUNNEL_KINDS, type LogLevel, type TunnelKind } from './model';
import {
  MAX_ALLOWED_SUBS,
  MAX_SUB_LENGTH,
  isShareService,
  type ShareDraft,
  type ShareSettings,
} from './share-model';

export type Guard<T> = (value: unknown) => value is T;

/** Generous caps: nothing a person types is this long, and they bound what main parses. */
const MAX_STRING = 4_096;
const MAX_TOKEN = 16_384;
const MAX_QUERY_LIMIT = 10_000;

type Plain = Record<string, unknown>;

function isPlainObject(value: unknown): value is Plain {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Only the listed keys, the required ones present. Unknown keys are refused, not ignored. */
function hasOnlyKeys(
  value: Plain,
  required: readonly string[],
  optional: readonly string[] = [],
): boolean {
  const allowed = new Set([...required, ...optional]);
  return Object.keys(value).every((k) => allowed.has(k)) && required.every((k) => k in value);
}

function isString(value: unknown, max = MAX_STRING): value is string {
  return typeof value === 'string' && value.length <= max;
}
function isNonEmptyString(value: unknown, max = MAX_STRING): value is string {
  return isString(value, max) && value.length > 0;
}
function isBoolean(value: unknown): value is boolean {
  return typeof value === 'boolean';
}
/** Ports are range-checked by the services so the form can show the field; here: an integer. */
function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}
function isNullableString(value: unknown): value is string | null {
  return value === null || isString(value);
}
function isOneOf<T extends string>(values: readonly T[]): (value: unknown) => value is T {
  return (value: unknown): value is T =>
    typeof value === 'string' && (values as readonly string[]).includes(value);
}

export const isTunnelKind = isOneOf<TunnelKind>(TUNNEL_KINDS);
const isLogLevel = isOneOf<LogLevel>(LOG_LEVELS);
export const isLanguage = isOneOf<Language>(['system', 'en', 'ru']);
const isOpener = isOneOf<OpenerMode>(['auto', 'client', 'server']);

/** `void` requests: ipcRenderer.invoke(channel) delivers undefined; null is tolerated. */
export const isVoid = (value: unknown): value is void => value === undefined || value === null;

export function isRelayProfile(value: unknown): value is RelayProfile {
  return (
    isPlainObject(value) &&
    hasOnlyKeys(value, [
      'id',
      'name',
      'host',
      'port',
      'caFile',
      'pinSha256',
      'serverName',
      'insecure',
      'opener',
      'builtin',
    ]) &&
    isNonEmptyString(value.id, 200) &&
    isString(value.name) &&
    isString(value.host) &&
    isInteger(value.port) &&
    isNullableString(value.caFile) &&
    isNullableString(value.pinSha256) &&
    isNullableString(value.serverName) &&
    isBoolean(value.insecure) &&
    isOpener(value.opener) &&
    isBoolean(value.builtin)
  );
}

export function isNotificationSettings(value: unknown): value is NotificationSettings {
  return (
    isPlainObject(value) &&
    hasOnlyKeys(value, ['connectionLost', 'connectionRestored', 'tokenExpiry']) &&
    isBoolean(value.connectionLost) &&
    isBoolean(value.connectionRestored) &&
    isBoolean(value.tokenExpiry)
  );
}

export function isSettingsPatch(
  value: unknown,
): value is Partial<Omit<AppSettings, 'tunnels' | 'share'>> {
  if (!isPlainObject(value)) return false;
  if (
    !hasOnlyKeys(value, [], ['relay', 'autoConnect', 'launchAtLogin', 'notifications', 'language'])
  )
    return false;
  if ('relay' in value && !(value.relay === null || isRelayProfile(value.relay))) return false;
  if ('autoConnect' in value && !isBoolean(value.autoConnect)) return false;
  if ('launchAtLogin' in value && !isBoolean(value.launchAtLogin)) return false;
  if ('notifications' in value && !isNotificationSettings(value.notifications)) return false;
  if ('language' in value && !isLanguage(value.language)) return false;
  return true;
}

export function isTunnelDraft(value: unknown): value is TunnelDraft {
  return (
    isPlainObject(value) &&
    hasOnlyKeys(
      value,
      ['name', 'kind', 'localHost', 'localPort', 'remoteHost', 'remotePort', 'enabled'],
      ['id', 'server'],
    ) &&
    (!('id' in value) || value.id === undefined || isNonEmptyString(value.id, 200)) &&
    // A published server's name (its rules: shared/tunnel-validation.ts).
    (!('server' in value) || value.server === undefined || isNonEmptyString(value.server, 63)) &&
    isString(value.name) &&
    isTunnelKind(value.kind) &&
    isString(value.localHost) &&
    isInteger(value.localPort) &&
    isString(value.remoteHost) &&
    isInteger(value.remotePort) &&
    isBoolean(value.enabled)
  );
}

export function isLogQuery(value: unknown): value is LogQuery {
  return (
    isPlainObject(value) &&
    hasOnlyKeys(value, ['limit'], ['level', 'tunnelId', 'text']) &&
    isInteger(value.limit) &&
    value.limit >= 0 &&
    value.limit <= MAX_QUERY_LIMIT &&
    (value.level === undefined || isLogLevel(value.level)) &&
    (value.tunnelId === undefined || isString(value.tunnelId, 200)) &&
    (value.text === undefined || isString(value.text, 500))
  );
}

export function isPortSuggestionRequest(value: unknown): value is PortSuggestionRequest {
  return (
    isPlainObject(value) &&
    hasOnlyKeys(value, ['port', 'localHost'], ['tunnelId']) &&
    isInteger(value.port) &&
    value.port >= 1 &&
    value.port <= 65_535 &&
    isNonEmptyString(value.localHost, 253) &&
    (value.tunnelId === undefined || isNonEmptyString(value.tunnelId, 200))
  );
}

/** Shape of a share draft; the rules (name syntax, at least one service) are share-model.ts's. */
export function isShareDraft(value: unknown): value is ShareDraft {
  return (
    isPlainObject(value) &&
    hasOnlyKeys(value, ['name', 'services', 'allowSubs']) &&
    isString(value.name, 63) &&
    Array.isArray(value.services) &&
    value.services.length <= 2 &&
    value.services.every(isShareService) &&
    (value.allowSubs === null ||
      (Array.isArray(value.allowSubs) &&
        value.allowSubs.length <= MAX_ALLOWED_SUBS &&
        value.allowSubs.every((s) => isString(s, MAX_SUB_LENGTH))))
  );
}

/** The share as settings.json holds it: a draft and whether sharing is on. */
export function isShareSettings(value: unknown): value is ShareSettings {
  if (!isPlainObject(value) || !isBoolean(value.enabled)) return false;
  const { enabled: _enabled, ...draft } = value;
  return isShareDraft(draft);
}

function isIdPayload(value: unknown): value is { id: string } {
  return isPlainObject(value) && hasOnlyKeys(value, ['id']) && isNonEmptyString(value.id, 200);
}

export const REQUEST_GUARDS: { readonly [C in RequestChannel]: Guard<RequestOf<C>> } = {
  'cloudbridge:app.snapshot': isVoid,
  'cloudbridge:app.info': isVoid,
  'cloudbridge:app.openExternal': (v): v is { url: string } =>
    isPlainObject(v) && hasOnlyKeys(v, ['url']) && isNonEmptyString(v.url, 2_048),
  'cloudbridge:session.connect': isVoid,
  'cloudbridge:session.disconnect': isVoid,
  'cloudbridge:session.retryNow': isVoid,
  'cloudbridge:tunnel.setEnabled': (v): v is { id: string; enabled: boolean } =>
    isPlainObject(v) &&
    hasOnlyKeys(v, ['id', 'enabled']) &&
    isNonEmptyString(v.id, 200) &&
    isBoolean(v.enabled),
  'cloudbridge:tunnel.setAllEnabled': (v): v is { enabled: boolean } =>
    isPlainObject(v) && hasOnlyKeys(v, ['enabled']) && isBoolean(v.enabled),
  'cloudbridge:tunnel.save': isTunnelDraft,
  'cloudbridge:tunnel.remove': isIdPayload,
  'cloudbridge:tunnel.open': isIdPayload,
  'cloudbridge:tunnel.retry': isIdPayload,
  'cloudbridge:tunnel.copyAddress': isIdPayload,
  'cloudbridge:tunnel.suggestPort': isPortSuggestionRequest,
  'cloudbridge:token.save': (v): v is { token: string } =>
    isPlainObject(v) && hasOnlyKeys(v, ['token']) && isNonEmptyString(v.token, MAX_TOKEN),
  'cloudbridge:token.signOut': isVoid,
  'cloudbridge:token.confirmRelay': isVoid,
  'cloudbridge:settings.update': isSettingsPatch,
  'cloudbridge:relay.useBuiltin': isVoid,
  'cloudbridge:relay.test': isRelayProfile,
  'cloudbridge:relay.chooseCaFile': isVoid,
  'cloudbridge:token.paste': isVoid,
  'cloudbridge:logs.query': isLogQuery,
  'cloudbridge:logs.export': isVoid,
  'cloudbridge:logs.openFolder': isVoid,
  'cloudbridge:diagnostics.export': isVoid,
  'cloudbridge:invite.accept': isIdPayload,
  'cloudbridge:invite.dismiss': isIdPayload,
  'cloudbridge:notice.dismiss': (v): v is { kind: NoticeKind } =>
    isPlainObject(v) &&
    hasOnlyKeys(v, ['kind']) &&
    typeof v.kind === 'string' &&
    (NOTICE_KINDS as readonly string[]).includes(v.kind),
  'cloudbridge:share.start': isShareDraft,
  'cloudbridge:share.update': isShareDraft,
  'cloudbridge:share.stop': isVoid,
  'cloudbridge:servers.list': isVoid,
};

const isFieldMessageKey = isOneOf<FieldMessageKey>(FIELD_MESSAGE_KEYS);
/** Field names and parameter names are identifiers, never free text. */
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9]{0,39}$/;
const MAX_FIELD_PARAMS = 4;

export function isFieldProblem(value: unknown): value is FieldProblem {
  if (!isPlainObject(value) || !hasOnlyKeys(value, ['key'], ['params'])) return false;
  if (!isFieldMessageKey(value.key)) return false;
  if (value.params === undefined) return true;
  if (!isPlainObject(value.params)) return false;
  const params = Object.entries(value.params);
  return (
    params.length <= MAX_FIELD_PARAMS &&
    params.every(
      ([name, v]) =>
        FIELD_NAME.test(name) &&
        ((typeof v === 'number' && Number.isFinite(v)) || isString(v, 200)),
    )
  );
}

/** A failed Result's `fields`: field name -> FieldProblem (a key the renderer can translate). */
export function isFieldErrors(value: unknown): value is FieldErrors {
  return (
    isPlainObject(value) &&
    Object.entries(value).every(
      ([name, problem]) => FIELD_NAME.test(name) && isFieldProblem(problem),
    )
  );
}

const CHANNEL_SET: ReadonlySet<string> = new Set(REQUEST_CHANNELS);

export function isRequestChannel(value: unknown): value is RequestChannel {
  return typeof value === 'string' && CHANNEL_SET.has(value);
}

export function isValidRequest<C extends RequestChannel>(
  channel: C,
  payload: unknown,
): payload is RequestOf<C> {
  const guard = REQUEST_GUARDS[channel] as Guard<RequestOf<C>>;
  return guard(payload);
}

// The messages between the Electron main process (or a test) and the engine host child:
// commands in, events and correlated replies out. Plain structured-clone objects only, and a
// guard for each direction: whatever arrives is checked, a malformed message is dropped.

import { ERROR_CODES, type EngineSnapshot, type ErrorCode, type LogRecord } from '../shared/model';
import type { TunnelConfig } from '../shared/model';
import type { RelayProfile } from '../shared/ipc-contract';
import { isRelayProfile, isTunnelDraft } from '../shared/ipc-guards';
import type { ListedServer, PublishedPort, RelayEndpoint } from '../engine/types';
import { isServerName } from '../protocol/server-messages';
import { CONNECTION_STATES, LOG_LEVELS } from '../shared/model';

/** What the child needs to build an engine; everything else of EngineOptions stays in main. */
export interface HostEngineInit {
  readonly relay: RelayEndpoint;
  readonly tunnels: readonly TunnelConfig[];
  readonly allowDirect: boolean;
  readonly poolSize: number | null;
  readonly mux: boolean | null;
  readonly clientVersion: string | null;
  readonly heartbeatIntervalMs: number | null;
  readonly heartbeatTimeoutMs: number | null;
  /** Where the child keeps PersistedSessionState (never the token); null: not kept. */
  readonly sessionStatePath: string | null;
  /** This computer as a published server (engine/types.ts PublishOptions); absent: not shared. */
  readonly publish?: HostPublish | null;
}

/**
 * PublishOptions across the channel: the key store stays in main (the keychain), so the child
 * gets the kept key, and a key made on first use comes back as `serverKey.created`.
 */
export interface HostPublish {
  readonly name: string;
  readonly ports: readonly PublishedPort[];
  readonly allowSubs: readonly string[] | null;
  /** false: keyless (no end-to-end layer). */
  readonly keyed: boolean;
  /** The kept PKCS#8 PEM; null before first use (the child makes one). */
  readonly keyPem: string | null;
  readonly maxStreams: number | null;
}

export interface BuiltinRelayRequest {
  /** The relay's signing secret, kept in main's keychain. */
  readonly secret: string;
  readonly dataDir: string;
  /** The port the profile used last time, tried first so the profile stays the same. */
  readonly preferredPort: number | null;
  /** The demo target's port last time: a restarted child keeps the demo tunnel's target. */
  readonly preferredTargetPort?: number | null;
  readonly nowMs: number;
}

export interface BuiltinRelayInfo {
  readonly profile: RelayProfile;
  readonly token: string;
  readonly demoTarget: { readonly host: string; readonly port: number };
}

/** main -> child. Every command but `token.reply` is answered by a `reply` with its id. */
export type HostCommand =
  | { readonly type: 'init'; readonly id: number; readonly options: HostEngineInit }
  | { readonly type: 'connect'; readonly id: number }
  | { readonly type: 'disconnect'; readonly id: number }
  | { readonly type: 'reconnectNow'; readonly id: number }
  | { readonly type: 'setTunnels'; readonly id: number; readonly tunnels: readonly TunnelConfig[] }
  | {
      readonly type: 'setTunnelEnabled';
      readonly id: number;
      readonly tunnelId: string;
      readonly enabled: boolean;
    }
  | { readonly type: 'setRelay'; readonly id: number; readonly relay: RelayEndpoint }
  | { readonly type: 'setPublish'; readonly id: number; readonly publish: HostPublish | null }
  /** Answered with the ListedServer list as JSON text (readListedServers). */
  | { readonly type: 'listServers'; readonly id: number }
  | { readonly type: 'metrics'; readonly id: number }
  /** Closes the engine; the child stays up for the next one. */
  | { readonly type: 'close'; readonly id: number }
  | { readonly type: 'builtin.start'; readonly id: number; readonly request: BuiltinRelayRequest }
  | { readonly type: 'builtin.stop'; readonly id: number }
  /** Closes everything, replies, then the child exits 0. */
  | { readonly type: 'shutdown'; readonly id: number }
  | {
      readonly type: 'token.reply';
      readonly requestId: number;
      readonly token: string | null;
      readonly error: { readonly code: ErrorCode; readonly message: string } | null;
    };

export type HostReplyValue = null | string | BuiltinRelayInfo;

/** child -> main. */
export type HostEvent =
  | { readonly type: 'ready'; readonly pid: number }
  | {
      readonly type: 'reply';
      readonly id: number;
      readonly value: HostReplyValue;
      readonly error: { readonly code: ErrorCode; readonly message: string } | null;
    }
  | { readonly type: 'snapshot'; readonly snapshot: EngineSnapshot }
  | { readonly type: 'log'; readonly record: LogRecord }
  /** The engine is authenticating and needs the token, once, now. */
  | { readonly type: 'token.request'; readonly requestId: number }
  /** The published computer's key was made on first use: main keeps it with the other secrets. */
  | { readonly type: 'serverKey.created'; readonly pem: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isPort = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65_535;
const isNullable =
  <T>(guard: (v: unknown) => v is T) =>
  (v: unknown): v is T | null =>
    v === null || guard(v);
const isPositive = (v: unknown): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v > 0;
const isErrorCode = (v: unknown): v is ErrorCode =>
  isStr(v) && (ERROR_CODES as readonly string[]).includes(v);

function isError(v: unknown): v is { code: ErrorCode; message: string } | null {
  return v === null || (isObj(v) && isErrorCode(v.code) && isStr(v.message));
}

export function isRelayEndpoint(v: unknown): v is RelayEndpoint {
  return (
    isObj(v) &&
    isStr(v.host) &&
    v.host.length > 0 &&
    isPort(v.port) &&
    (v.ca === undefined || isStr(v.ca)) &&
    (v.pinSha256 === undefined || isStr(v.pinSha256)) &&
    (v.serverName === undefined || isStr(v.serverName)) &&
    (v.insecure === undefined || isBool(v.insecure)) &&
    (v.opener === undefined ||
      v.opener === 'auto' ||
      v.opener === 'client' ||
      v.opener === 'server')
  );
}

export function isTunnelConfig(v: unknown): v is TunnelConfig {
  if (!isObj(v) || !isStr(v.id) || v.id.length === 0) return false;
  // A tunnel to a published server also names it (shared/model.ts TunnelConfig.server).
  const { server, ...draft } = v;
  return (server === undefined || isServerName(server)) && isTunnelDraft(draft);
}

const isTunnelList = (v: unknown): v is TunnelConfig[] =>
  Array.isArray(v) && v.every(isTunnelConfig);

const MAX_KEY_PEM = 16 * 1024;

function isPublishedPort(v: unknown): v is PublishedPort {
  return (
    isObj(v) &&
    isPort(v.port) &&
    v.port > 0 &&
    (v.targetHost === undefined || (isStr(v.targetHost) && v.targetHost.length > 0)) &&
    (v.targetPort === undefined || (isPort(v.targetPort) && v.targetPort > 0))
  );
}

export function isHostPublish(v: unknown): v is HostPublish {
  return (
    isObj(v) &&
    isServerName(v.name) &&
    Array.isArray(v.ports) &&
    v.ports.length > 0 &&
    v.ports.every(isPublishedPort) &&
    (v.allowSubs === null || (Array.isArray(v.allowSubs) && v.allowSubs.every(isStr))) &&
    isBool(v.keyed) &&
    (v.keyPem === null || (isStr(v.keyPem) && v.keyPem.length <= MAX_KEY_PEM)) &&
    isNullable(isPositive)(v.maxStreams)
  );
}

/** The `listServers` reply, checked; null when it is not a server list. */
export function readListedServers(text: HostReplyValue): ListedServer[] | null {
  if (typeof text !== 'string') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return isListedServers(value) ? value : null;
}

function isListedServers(v: unknown): v is ListedServer[] {
  return (
    Array.isArray(v) &&
    v.every(
      (s) =>
        isObj(s) &&
        isServerName(s.name) &&
        Array.isArray(s.ports) &&
        s.ports.every(isPort) &&
        isBool(s.keyed) &&
        isBool(s.online),
    )
  );
}

function isEngineInit(v: unknown): v is HostEngineInit {
  return (
    isObj(v) &&
    isRelayEndpoint(v.relay) &&
    isTunnelList(v.tunnels) &&
    isBool(v.allowDirect) &&
    isNullable(isPositive)(v.poolSize) &&
    isNullable(isBool)(v.mux) &&
    isNullable(isStr)(v.clientVersion) &&
    isNullable(isPositive)(v.heartbeatIntervalMs) &&
    isNullable(isPositive)(v.heartbeatTimeoutMs) &&
    isNullable(isStr)(v.sessionStatePath) &&
    (v.publish === undefined || isNullable(isHostPublish)(v.publish))
  );
}

function isBuiltinRequest(v: unknown): v is BuiltinRelayRequest {
  return (
    isObj(v) &&
    isStr(v.secret) &&
    v.secret.length >= 16 &&
    isStr(v.dataDir) &&
    isNullable(isPort)(v.preferredPort) &&
    (v.preferredTargetPort === undefined || isNullable(isPort)(v.preferredTargetPort)) &&
    typeof v.nowMs === 'number' &&
    Number.isFinite(v.nowMs)
  );
}

/** A command as the child accepts it, or null. */
export function parseHostCommand(v: unknown): HostCommand | null {
  if (!isObj(v) || !isStr(v.type)) return null;
  if (v.type === 'token.reply') {
    const ok =
      isId(v.requestId) &&
      ((isStr(v.token) && v.error === null) ||
        (v.token === null && isError(v.error) && v.error !== null));
    return ok ? (v as HostCommand) : null;
  }
  if (!isId(v.id)) return null;
  switch (v.type) {
    case 'connect':
    case 'disconnect':
    case 'reconnectNow':
    case 'metrics':
    case 'close':
    case 'builtin.stop':
    case 'shutdown':
      return v as HostCommand;
    case 'init':
      return isEngineInit(v.options) ? (v as HostCommand) : null;
    case 'setTunnels':
      return isTunnelList(v.tunnels) ? (v as HostCommand) : null;
    case 'setTunnelEnabled':
      return isStr(v.tunnelId) && isBool(v.enabled) ? (v as HostCommand) : null;
    case 'setRelay':
      return isRelayEndpoint(v.relay) ? (v as HostCommand) : null;
    case 'setPublish':
      return v.publish === null || isHostPublish(v.publish) ? (v as HostCommand) : null;
    case 'listServers':
      return v as HostCommand;
    case 'builtin.start':
      return isBuiltinRequest(v.request) ? (v as HostCommand) : null;
    default:
      return null;
  }
}

function isTunnelSnapshot(v: unknown): boolean {
  return (
    isObj(v) &&
    isStr(v.id) &&
    isStr(v.status) &&
    isPort(v.localPort) &&
    typeof v.bytesIn === 'number' &&
    typeof v.bytesOut === 'number' &&
    (v.error === null || (isObj(v.error) && isErrorCode(v.error.code)))
  );
}

export function isEngineSnapshot(v: unknown): v is EngineSnapshot {
  return (
    isObj(v) &&
    (CONNECTION_STATES as readonly unknown[]).includes(v.state) &&
    isObj(v.session) &&
    isStr(v.session.relay) &&
    Array.isArray(v.tunnels) &&
    v.tunnels.every(isTunnelSnapshot) &&
    (v.lastError === null || (isObj(v.lastError) && isErrorCode(v.lastError.code))) &&
    typeof v.seq === 'number' &&
    Number.isFinite(v.seq) &&
    isStr(v.at)
  );
}

export function isLogRecord(v: unknown): v is LogRecord {
  return (
    isObj(v) &&
    isStr(v.timestamp) &&
    (LOG_LEVELS as readonly unknown[]).includes(v.level) &&
    isStr(v.event) &&
    (v.tunnel_id === null || isStr(v.tunnel_id)) &&
    isObj(v.details)
  );
}

function isBuiltinInfo(v: unknown): v is BuiltinRelayInfo {
  return (
    isObj(v) &&
    isRelayProfile(v.profile) &&
    isStr(v.token) &&
    isObj(v.demoTarget) &&
    isStr(v.demoTarget.host) &&
    isPort(v.demoTarget.port)
  );
}

/** An event as main accepts it, or null. */
export function parseHostEvent(v: unknown): HostEvent | null {
  if (!isObj(v) || !isStr(v.type)) return null;
  switch (v.type) {
    case 'ready':
      return isId(v.pid) ? (v as HostEvent) : null;
    case 'reply': {
      const value = v.value;
      const valueOk = value === null || isStr(value) || isBuiltinInfo(value);
      return isId(v.id) && valueOk && isError(v.error) ? (v as HostEvent) : null;
    }
    case 'snapshot':
      return isEngineSnapshot(v.snapshot) ? (v as HostEvent) : null;
    case 'log':
      return isLogRecord(v.record) ? (v as HostEvent) : null;
    case 'token.request':
      return isId(v.requestId) ? (v as HostEvent) : null;
    case 'serverKey.created':
      return isStr(v.pem) && v.pem.length <= MAX_KEY_PEM ? (v as HostEvent) : null;
    default:
      return null;
  }
}

/** A stable code from anything a token source threw: its own `code` when it is one of ours. */
export function errorCodeOf(error: unknown, fallback: ErrorCode): ErrorCode {
  const code =
    isObj(error) || error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return isErrorCode(code) ? code : fallback;
}

/** A short description of what was wrong with a dropped message, for the log (never its content). */
export function describeDropped(v: unknown): string {
  if (!isObj(v)) return typeof v;
  return isStr(v.type) ? `type ${v.type.slice(0, 40)}` : 'no type';
}

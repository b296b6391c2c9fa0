// Typed control messages of both directions (docs/protocol.md#control-session and
// #data-streams-feature-tcp_stream, both dialects) and their validation. The client side is
// tolerant (docs/protocol.md#relays-in-the-wild-tolerances: every dialect seen in the wild
// normalises to one shape) and never throws: a message it cannot read comes back as `invalid`.
// The relay side is strict and throws only MessageError. Nothing here does I/O.

import type { JsonObject } from './codec';
import { normaliseErrorCode, type RelayErrorCode } from './errors';
import type {
  RegisterMessage,
  ServersMessage,
  ServerTunnelInfoMessage,
  UnregisterMessage,
} from './server-messages';

export const PROTOCOL_VERSION = '1.0';

/** Features this project's client and relay announce. `tcp_stream` is docs/protocol.md#data-streams-feature-tcp_stream. */
export const CLIENT_FEATURES = [
  'tls',
  'heartbeat',
  'tunnel_info',
  'multi_tenancy',
  'metrics',
  'tcp_stream',
  'tcp_mux',
] as const;
export const TCP_STREAM_FEATURE = 'tcp_stream';
/** Streams as frames over one data connection (docs/protocol.md "Multiplexed data streams"). */
export const TCP_MUX_FEATURE = 'tcp_mux';

// ---------------------------------------------------------------------------------------
// Client -> relay

export interface HelloMessage {
  readonly type: 'hello';
  readonly version: string;
  readonly features: readonly string[];
}
export interface AuthMessage {
  readonly type: 'auth';
  readonly token: string;
  /** v1 additions, sent for relays of that dialect; ignored by v2 relays. */
  readonly version?: string;
  readonly client_info?: { readonly os: string; readonly version: string };
  /** v1 §6.2: hands back a grace-period registration. */
  readonly reconnect_token?: string;
}
export interface TunnelInfoMessage {
  readonly type: 'tunnel_info';
  readonly tunnel_id: string;
  readonly tenant_id?: string;
  readonly local_port: number;
  readonly remote_host: string;
  readonly remote_port: number;
}
export interface HeartbeatMessage {
  readonly type: 'heartbeat';
  readonly stats?: {
    readonly bytes_in: number;
    readonly bytes_out: number;
    readonly connected_since: string | null;
  };
}
export interface HeartbeatResponseMessage {
  readonly type: 'heartbeat_response';
}
export interface StreamOpenMessage {
  readonly type: 'stream_open';
  readonly tunnel_id: string;
  readonly stream_token: string;
}
/** What parseClientMessage reads; published servers' messages are server-messages.ts. */
export type CoreClientMessage =
  | HelloMessage
  | AuthMessage
  | TunnelInfoMessage
  | HeartbeatMessage
  | HeartbeatResponseMessage
  | StreamOpenMessage;
export type ClientMessage =
  | CoreClientMessage
  | RegisterMessage
  | UnregisterMessage
  | ServersMessage
  | ServerTunnelInfoMessage;

// ---------------------------------------------------------------------------------------
// Relay -> client, normalised

export type Status = 'ok' | 'failed';

export interface RelayHello {
  readonly type: 'hello_response';
  /** True when the relay sent `hello` (speaks first, or answers hello with hello). */
  readonly asHello: boolean;
  readonly version: string | null;
  readonly features: readonly string[];
}
export interface RelayAuthResponse {
  readonly type: 'auth_response';
  readonly status: Status;
  readonly rawStatus: string | null;
  readonly clientId: string | null;
  readonly tenantId: string | null;
  /** v1 `server_info.features`, merged into the relay's feature list. */
  readonly features: readonly string[];
  readonly serverVersion: string | null;
  readonly reconnectToken: string | null;
}
export interface RelayTunnelResponse {
  readonly type: 'tunnel_response';
  /** True for the v1 `register_response` form. */
  readonly v1Register: boolean;
  readonly status: Status;
  readonly rawStatus: string | null;
  /** As echoed by the relay; may be wrong or absent (docs/protocol.md#relays-in-the-wild-tolerances): keep our own id. */
  readonly tunnelId: string | null;
  readonly streamToken: string | null;
  readonly reconnectToken: string | null;
}
export interface RelayHeartbeatResponse {
  readonly type: 'heartbeat_response';
}
export interface RelayHeartbeat {
  readonly type: 'heartbeat';
}
export interface RelayStreamResponse {
  readonly type: 'stream_response';
  readonly status: Status;
}
export interface RelayError {
  readonly type: 'error';
  readonly code: RelayErrorCode;
  /** The code as it came on the wire, for the log. */
  readonly rawCode: string | number | null;
  readonly message: string;
  readonly retryAfterSec: number | null;
}
/** A message with a type we do not know, or a server-pushed one we never act on. */
export interface RelayOther {
  readonly type: 'other';
  readonly rawType: string | null;
}
/** Well-framed JSON that is not a readable relay message (a field of the wrong type). */
export interface RelayInvalid {
  readonly type: 'invalid';
  /** What is wrong, for the log. */
  readonly reason: string;
  readonly field: string | null;
}
/** Very old relays answer without `type`; the session reads it in context. */
export interface RelayUntyped {
  readonly type: 'untyped';
  readonly status: Status | null;
  readonly raw: JsonObject;
}

export type RelayMessage =
  | RelayHello
  | RelayAuthResponse
  | RelayTunnelResponse
  | RelayHeartbeatResponse
  | RelayHeartbeat
  | RelayStreamResponse
  | RelayError
  | RelayOther
  | RelayUntyped
  | RelayInvalid;

/** A message that is well-framed JSON but not a valid message of this protocol. */
export class MessageError extends Error {
  override readonly name = 'MessageError';
  constructor(
    readonly code: 'protocol_error' | 'unknown_message_type' | 'invalid_tunnel_info',
    message: string,
    /** The field at fault, when there is one (the relay reports it in error details). */
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------
// Field readers

function optionalString(obj: JsonObject, key: string): string | null {
  const value = obj[key];
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new MessageError('protocol_error', `field "${key}" must be a string`, key);
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** A finite number, or a string that is one; never coerces an object (its toString may be data). */
function readNumber(value: unknown): number | null {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : NaN;
  return Number.isFinite(n) ? n : null;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `ok` / `success` in any case is success (docs/protocol.md#relays-in-the-wild-tolerances); anything else is failure. */
function readStatus(obj: JsonObject): { status: Status; rawStatus: string | null } {
  const raw = obj['status'];
  if (raw === undefined || raw === null) return { status: 'ok', rawStatus: null };
  const rawStatus =
    typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean'
      ? String(raw)
      : JSON.stringify(raw);
  const text = rawStatus.trim().toLowerCase();
  return { status: text === 'ok' || text === 'success' ? 'ok' : 'failed', rawStatus };
}

function readError(obj: JsonObject): RelayError {
  // Nested form: {"error": {"code", "message"}} (docs/protocol.md#relays-in-the-wild-tolerances).
  const source = isObject(obj['error']) ? obj['error'] : obj;
  const rawCode = source['code'];
  const details = isObject(source['details'])
    ? source['details']
    : isObject(obj['details'])
      ? obj['details']
      : {};
  const reason =
    (typeof source['message'] === 'string' && source['message']) ||
    (typeof source['error'] === 'string' && source['error']) ||
    (typeof details['reason'] === 'string' && details['reason']) ||
    '';
  // A v1 relay may put the specific v2 code in details.reason (docs/protocol.md#errors).
  const code =
    rawCode === undefined && typeof details['reason'] === 'string'
      ? normaliseErrorCode(details['reason'])
      : normaliseErrorCode(rawCode);
  const retryAfter = readNumber(details['retry_after'] ?? source['retry_after']);
  return {
    type: 'error',
    code,
    rawCode: typeof rawCode === 'string' || typeof rawCode === 'number' ? rawCode : null,
    message: reason.slice(0, 500),
    retryAfterSec: retryAfter !== null && retryAfter >= 0 ? Math.min(retryAfter, 3600) : null,
  };
}

// ---------------------------------------------------------------------------------------
// Relay -> client (tolerant)

/**
 * Normalises any relay message. Never throws, whatever the object holds: a field of the wrong
 * type gives `invalid` with the reason, for the caller to log and close or skip.
 */
export function parseRelayMessage(obj: JsonObject): RelayMessage {
  try {
    return readRelayMessage(obj);
  } catch (error) {
    return {
      type: 'invalid',
      reason: error instanceof Error ? error.message : 'unreadable message',
      field: error instanceof MessageError ? error.field : null,
    };
  }
}

function readRelayMessage(obj: JsonObject): RelayMessage {
  const type = obj['type'];
  if (type === undefined) {
    if (isObject(obj['error'])) return readError(obj);
    return {
      type: 'untyped',
      status: obj['status'] === undefined ? null : readStatus(obj).status,
      raw: obj,
    };
  }
  if (typeof type !== 'string')
    throw new MessageError('protocol_error', 'field "type" must be a string', 'type');
  switch (type.toLowerCase()) {
    case 'hello':
    case 'hello_response':
      return {
        type: 'hello_response',
        asHello: type.toLowerCase() === 'hello',
        version: optionalString(obj, 'version'),
        features: stringList(obj['features']),
      };
    case 'auth_response': {
      const serverInfo = isObject(obj['server_info']) ? obj['server_info'] : {};
      return {
        type: 'auth_response',
        ...readStatus(obj),
        clientId: optionalString(obj, 'client_id'),
        tenantId: optionalString(obj, 'tenant_id'),
        features: stringList(serverInfo['features']),
        serverVersion: optionalString(serverInfo, 'version'),
        reconnectToken: optionalString(obj, 'reconnect_token'),
      };
    }
    case 'tunnel_response':
    case 'register_response':
      return {
        type: 'tunnel_response',
        v1Register: type.toLowerCase() === 'register_response',
        ...readStatus(obj),
        tunnelId: optionalString(obj, 'tunnel_id'),
        streamToken: optionalString(obj, 'stream_token'),
        reconnectToken: optionalString(obj, 'reconnect_token'),
      };
    case 'heartbeat_response':
      return { type: 'heartbeat_response' };
    case 'heartbeat':
      return { type: 'heartbeat' };
    case 'stream_response':
      return { type: 'stream_response', status: readStatus(obj).status };
    case 'error':
      return readError(obj);
    default:
      return { type: 'other', rawType: type };
  }
}

// ---------------------------------------------------------------------------------------
// Client -> relay (strict, for the relay)

const TUNNEL_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const MAX_HOST_LENGTH = 253;

function requireString(
  obj: JsonObject,
  key: string,
  code: MessageError['code'],
  maxLength: number,
): string {
  const value = obj[key];
  if (typeof value !== 'string' || value.length === 0) {
    throw new MessageError(code, `field "${key}" must be a non-empty string`, key);
  }
  if (value.length > maxLength)
    throw new MessageError(code, `field "${key}" is longer than ${maxLength} characters`, key);
  return value;
}

function requirePort(obj: JsonObject, key: string): number {
  const value = obj[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new MessageError(
      'invalid_tunnel_info',
      `field "${key}" must be an integer port 1-65535`,
      key,
    );
  }
  return value;
}

/**
 * The fields every tunnel_info has, whatever it reaches (a `remote_host` or a published
 * `server`). Throws MessageError naming the field.
 */
export function parseTunnelIds(obj: JsonObject): {
  tunnel_id: string;
  tenant_id?: string;
  local_port: number;
} {
  const tunnelId = requireString(obj, 'tunnel_id', 'invalid_tunnel_info', 128);
  if (!TUNNEL_ID_PATTERN.test(tunnelId)) {
    throw new MessageError(
      'invalid_tunnel_info',
      'field "tunnel_id" has characters outside [A-Za-z0-9._:-]',
      'tunnel_id',
    );
  }
  const tenant = obj['tenant_id'];
  if (tenant !== undefined && typeof tenant !== 'string') {
    throw new MessageError(
      'invalid_tunnel_info',
      'field "tenant_id" must be a string',
      'tenant_id',
    );
  }
  return {
    tunnel_id: tunnelId,
    ...(typeof tenant === 'string' ? { tenant_id: tenant } : {}),
    local_port: requirePort(obj, 'local_port'),
  };
}

/** Validates a message from a client. Throws MessageError with the code the relay answers. */
export function parseClientMessage(obj: JsonObject): CoreClientMessage {
  const type = obj['type'];
  if (typeof type !== 'string')
    throw new MessageError('protocol_error', 'field "type" must be a string', 'type');
  switch (type) {
    case 'hello':
      return {
        type,
        version: typeof obj['version'] === 'string' ? obj['version'] : PROTOCOL_VERSION,
        features: stringList(obj['features']),
      };
    case 'auth': {
      const token = requireString(obj, 'token', 'protocol_error', 16 * 1024);
      const reconnect = obj['reconnect_token'];
      if (reconnect !== undefined && typeof reconnect !== 'string') {
        throw new MessageError(
          'protocol_error',
          'field "reconnect_token" must be a string',
          'reconnect_token',
        );
      }
      return {
        type,
        token,
        ...(typeof reconnect === 'string' ? { reconnect_token: reconnect } : {}),
      };
    }
    case 'tunnel_info': {
      const ids = parseTunnelIds(obj);
      return {
        type,
        tunnel_id: ids.tunnel_id,
        ...(ids.tenant_id !== undefined ? { tenant_id: ids.tenant_id } : {}),
        local_port: ids.local_port,
        remote_host: requireString(obj, 'remote_host', 'invalid_tunnel_info', MAX_HOST_LENGTH),
        remote_port: requirePort(obj, 'remote_port'),
      };
    }
    case 'heartbeat':
      return { type };
    case 'heartbeat_response':
      return { type };
    case 'stream_open':
      return {
        type,
        tunnel_id: requireString(obj, 'tunnel_id', 'protocol_error', 128),
        stream_token: requireString(obj, 'stream_token', 'protocol_error', 256),
      };
    default:
      throw new MessageError('unknown_message_type', `unknown message type "${type.slice(0, 64)}"`);
  }
}

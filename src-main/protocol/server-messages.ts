// The messages of published servers (docs/protocol.md "Published servers"): `register` and
// its `tunnel_info` checked strictly for the relay (name, protocol, ports, the publishing
// computer's SPKI, allowed_subs), a tunnel_info that names a server, `mux_open` of a serving
// connection, the relay's OPEN towards a server, and tolerant readers of the relay's answers
// for clients. Never does I/O; strict parsers throw only FieldError, readers never throw.

import { createPublicKey } from 'node:crypto';
import type { JsonObject } from './codec';

export const PUBLISHED_SERVERS_FEATURE = 'published_servers';
export const MAX_SERVER_PORTS = 16;
export const MAX_ALLOWED_SUBS = 64;
export const MAX_SUB_LENGTH = 256;
export const MAX_PUBLIC_KEY_BYTES = 2048;
/** Lower case, digits, `-` and `_`, 1-63, a letter or digit at each end (docs/protocol.md). */
const SERVER_NAME = /^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$/;
const TUNNEL_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const EC_CURVES: ReadonlySet<string> = new Set(['prime256v1', 'secp384r1']);
const RSA_BITS = { min: 2048, max: 4096 } as const;

/** A field at fault: the relay answers `invalid_tunnel_info` naming it. */
export class FieldError extends Error {
  override readonly name = 'FieldError';
  constructor(
    readonly field: string,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ServerInfo {
  readonly name: string;
  readonly ports: readonly number[];
  /** base64 DER SubjectPublicKeyInfo, or null for a server without the inner layer. */
  readonly publicKey: string | null;
  /** null: every identity of the tenant. */
  readonly allowedSubs: readonly string[] | null;
}

export interface RegisterMessage {
  readonly type: 'register';
  readonly tunnel_info: {
    readonly name: string;
    readonly protocol: 'tcp';
    readonly ports: readonly number[];
    readonly public_key?: string | null;
    readonly allowed_subs?: readonly string[] | null;
  };
}
export interface UnregisterMessage {
  readonly type: 'unregister';
  readonly tunnel_id: string;
}
export interface ServersMessage {
  readonly type: 'servers';
}
/** A tunnel to a published server: `server` instead of `remote_host`. */
export interface ServerTunnelInfoMessage {
  readonly type: 'tunnel_info';
  readonly tunnel_id: string;
  readonly tenant_id?: string;
  readonly local_port: number;
  readonly server: string;
  readonly remote_port: number;
}

export function isServerName(value: unknown): value is string {
  return typeof value === 'string' && SERVER_NAME.test(value);
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function fault(field: string, reason: string, message: string): never {
  throw new FieldError(field, reason, message);
}

/**
 * A base64 DER SubjectPublicKeyInfo of an allowed key (EC P-256 or P-384, Ed25519, RSA
 * 2048-4096), in canonical form: it must decode and re-encode to exactly the text and bytes
 * given. Returns the reason it is not, or null.
 */
export function checkPublicKey(text: string): string | null {
  if (text.length === 0 || text.length % 4 !== 0 || !BASE64.test(text)) return 'not_base64';
  const der = Buffer.from(text, 'base64');
  if (der.toString('base64') !== text) return 'not_base64';
  if (der.length > MAX_PUBLIC_KEY_BYTES) return 'too_large';
  let key;
  try {
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    return 'not_spki';
  }
  const details = key.asymmetricKeyDetails ?? {};
  const type = key.asymmetricKeyType;
  const allowed =
    (type === 'ec' && EC_CURVES.has(details.namedCurve ?? '')) ||
    type === 'ed25519' ||
    (type === 'rsa' &&
      (details.modulusLength ?? 0) >= RSA_BITS.min &&
      (details.modulusLength ?? 0) <= RSA_BITS.max);
  if (!allowed) return 'key_type_not_allowed';
  if (!key.export({ format: 'der', type: 'spki' }).equals(der)) return 'not_canonical';
  return null;
}

/** `register`'s tunnel_info, strictly (docs/protocol.md "Register"). Throws FieldError. */
export function parseRegister(message: JsonObject): ServerInfo {
  const info = message['tunnel_info'];
  if (!isObject(info))
    fault('tunnel_info', 'invalid_field', 'field "tunnel_info" must be an object');
  const name = info['name'];
  if (typeof name !== 'string' || !SERVER_NAME.test(name))
    fault(
      'tunnel_info.name',
      'invalid_name',
      'field "tunnel_info.name" must be 1-63 characters of a-z, 0-9, "-" and "_", beginning and ending with a letter or digit',
    );
  if (info['protocol'] !== 'tcp')
    fault(
      'tunnel_info.protocol',
      'unsupported_protocol',
      'field "tunnel_info.protocol" must be "tcp"',
    );
  const ports = info['ports'];
  if (
    !Array.isArray(ports) ||
    ports.length === 0 ||
    ports.length > MAX_SERVER_PORTS ||
    !ports.every(isPort) ||
    new Set(ports).size !== ports.length
  )
    fault(
      'tunnel_info.ports',
      'invalid_ports',
      `field "tunnel_info.ports" must list 1 to ${MAX_SERVER_PORTS} distinct ports 1-65535`,
    );
  const key = info['public_key'];
  let publicKey: string | null = null;
  if (key !== undefined && key !== null) {
    const problem = typeof key === 'string' ? checkPublicKey(key) : 'not_base64';
    if (problem !== null)
      fault(
        'tunnel_info.public_key',
        problem,
        'field "tunnel_info.public_key" must be the base64 DER SubjectPublicKeyInfo of an EC P-256 or P-384, Ed25519 or RSA 2048-4096 key',
      );
    publicKey = key as string;
  }
  const subs = info['allowed_subs'];
  let allowedSubs: string[] | null = null;
  if (subs !== undefined && subs !== null) {
    if (
      !Array.isArray(subs) ||
      subs.length === 0 ||
      subs.length > MAX_ALLOWED_SUBS ||
      !subs.every((s) => typeof s === 'string' && s.length > 0 && s.length <= MAX_SUB_LENGTH) ||
      new Set(subs).size !== subs.length
    )
      fault(
        'tunnel_info.allowed_subs',
        'invalid_subs',
        `field "tunnel_info.allowed_subs" must list 1 to ${MAX_ALLOWED_SUBS} distinct subs of 1-${MAX_SUB_LENGTH} characters, or be left out for the whole tenant`,
      );
    allowedSubs = subs as string[];
  }
  return { name, ports: ports, publicKey, allowedSubs };
}

/** The server and port of a tunnel_info with `server` (docs/protocol.md). Throws FieldError. */
export function parseServerTunnel(message: JsonObject): { server: string; remotePort: number } {
  if (message['remote_host'] !== undefined)
    fault('server', 'invalid_field', 'a tunnel names either "remote_host" or "server", not both');
  const server = message['server'];
  if (!isServerName(server))
    fault('server', 'invalid_name', 'field "server" must be the name of a published server');
  const port = message['remote_port'];
  if (!isPort(port))
    fault('remote_port', 'invalid_field', 'field "remote_port" must be an integer port 1-65535');
  return { server, remotePort: port };
}

/** `unregister`'s tunnel_id. Throws FieldError. */
export function parseUnregister(message: JsonObject): string {
  const id = message['tunnel_id'];
  if (typeof id !== 'string' || !TUNNEL_ID.test(id))
    fault('tunnel_id', 'invalid_field', 'field "tunnel_id" must be a registration id');
  return id;
}

/** The `mux_open` of a serving connection, or null for an ordinary one. Throws FieldError. */
export function parseServeOpen(first: JsonObject): { tunnelId: string; serveToken: string } | null {
  const serve = first['serve'];
  if (serve === undefined) return null;
  if (typeof serve !== 'string' || !TUNNEL_ID.test(serve))
    fault('serve', 'invalid_field', 'field "serve" must be a registration id');
  const token = first['serve_token'];
  if (typeof token !== 'string' || token.length === 0 || token.length > 256)
    fault('serve_token', 'invalid_field', 'field "serve_token" must be a non-empty string');
  return { tunnelId: serve, serveToken: token };
}

/** The relay's OPEN payload towards a published server. */
export interface ServerOpen {
  readonly tunnel_id: string;
  readonly port: number;
  readonly sub: string;
  readonly tenant_id: string;
  /** The consumer's address as the relay sees it. */
  readonly remote: string;
}

export function encodeServerOpen(open: ServerOpen): Buffer {
  return Buffer.from(JSON.stringify(open), 'utf8');
}

/** The publishing computer's reading of an OPEN payload; null when it is not one. */
export function readServerOpen(payload: Buffer): ServerOpen | null {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return null;
  }
  if (!isObject(value)) return null;
  const { tunnel_id, port, sub, tenant_id, remote } = value;
  if (typeof tunnel_id !== 'string' || !isPort(port) || typeof sub !== 'string') return null;
  return {
    tunnel_id,
    port,
    sub,
    tenant_id: typeof tenant_id === 'string' ? tenant_id : '',
    remote: typeof remote === 'string' ? remote : '',
  };
}

/** A client's reading of `register_response`; null when it is not a usable one. */
export function readRegisterResponse(message: JsonObject): {
  tunnelId: string;
  serveToken: string;
  handedBack: boolean;
  endpoint: string | null;
  relayPin: string | null;
} | null {
  const status = typeof message['status'] === 'string' ? message['status'].toLowerCase() : '';
  if (message['type'] !== 'register_response' || (status !== 'success' && status !== 'ok'))
    return null;
  const { tunnel_id: tunnelId, serve_token: serveToken } = message;
  if (typeof tunnelId !== 'string' || typeof serveToken !== 'string') return null;
  const config = isObject(message['config']) ? message['config'] : {};
  return {
    tunnelId,
    serveToken,
    handedBack: message['handed_back'] === true,
    endpoint: typeof config['endpoint'] === 'string' ? config['endpoint'] : null,
    relayPin: typeof config['public_key'] === 'string' ? config['public_key'] : null,
  };
}

export interface ListedServer {
  readonly name: string;
  readonly ports: readonly number[];
  readonly keyed: boolean;
  readonly online: boolean;
}

/** A client's reading of `servers_response`: the entries it can read, or null. */
export function readServersResponse(message: JsonObject): ListedServer[] | null {
  if (message['type'] !== 'servers_response' || !Array.isArray(message['servers'])) return null;
  return message['servers'].filter(isObject).flatMap((entry) => {
    const ports = Array.isArray(entry['ports']) ? entry['ports'].filter(isPort) : [];
    return isServerName(entry['name'])
      ? [
          {
            name: entry['name'],
            ports,
            keyed: entry['keyed'] === true,
            online: entry['online'] === true,
          },
        ]
      : [];
  });
}

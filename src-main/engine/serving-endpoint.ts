// Where a publishing computer opens its serving connections (docs/protocol.md "Register":
// `config.endpoint`, `config.public_key`): the relay profile itself when the relay names its
// own address, else that address with the profile's trust (CA file or OS store) and the relay's
// pin. Pure.

import net from 'node:net';
import type { RelayEndpoint } from './types';

function parseEndpoint(text: string): { host: string; port: number } | null {
  const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(text.trim());
  if (match?.[1] === undefined || match[2] === undefined) return null;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return null;
  const host = match[1].startsWith('[') ? match[1].slice(1, -1) : match[1];
  return host.length > 0 ? { host, port } : null;
}

/**
 * The endpoint for serving connections. The control connection already verified the relay
 * against the profile, so the serving connection must present the same key: the profile's pin
 * when it has one, else the one the relay gave (`config.public_key`).
 */
export function servingEndpoint(
  relay: RelayEndpoint,
  endpoint: string | null,
  relayPin: string | null,
): RelayEndpoint {
  const pin = relay.pinSha256 ?? (relay.insecure === true ? undefined : (relayPin ?? undefined));
  const pinned: RelayEndpoint = { ...relay, ...(pin !== undefined ? { pinSha256: pin } : {}) };
  const named = endpoint === null ? null : parseEndpoint(endpoint);
  if (named === null) return pinned;
  const sameHost = named.host === relay.host || named.host === relay.serverName;
  if (sameHost && named.port === relay.port) return pinned;
  return {
    ...pinned,
    host: named.host,
    port: named.port,
    // A name is the certificate's name; an address keeps the profile's server name.
    ...(net.isIP(named.host) === 0 ? { serverName: named.host } : {}),
  };
}

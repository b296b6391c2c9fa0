// Published servers' refusals in the user's language: the relay's `details.reason` (kept by the
// engine as an error's English `detail`, docs/protocol.md "Register" and "Reaching a published
// server") becomes a catalogue key with values on the shown snapshot, for the share and for
// tunnels that name a server, and a keychain failure the engine host could not report shows on
// the share. Pure; the engine's own snapshot is never changed.

import type {
  EngineSnapshot,
  ErrorDetailKey,
  ErrorInfo,
  MessageParams,
  PublishSnapshot,
  TunnelSnapshot,
} from '../shared/model';
import { SHARE_SERVICE_PORTS, type ShareSettings } from '../shared/share-model';

/** A tunnel's refusal reason -> what the window says about its server. */
const TUNNEL_DETAILS: Readonly<Record<string, ErrorDetailKey>> = {
  unknown_server: 'errorDetail.serverUnknown',
  server_not_allowed: 'errorDetail.serverNotAllowed',
  server_offline: 'errorDetail.serverOffline',
  port_not_published: 'errorDetail.portNotPublished',
  server_key_changed: 'errorDetail.serverKeyChanged',
};

/** The share's refusal reason -> what the Share view and the tray say. */
const PUBLISH_DETAILS: Readonly<Record<string, ErrorDetailKey>> = {
  name_taken: 'errorDetail.serverNameTaken',
  public_key_mismatch: 'errorDetail.serverKeyMismatch',
};

function withDetail(error: ErrorInfo, key: ErrorDetailKey, params: MessageParams): ErrorInfo {
  return { ...error, detailKey: key, params };
}

function tunnelWithDetail(tunnel: TunnelSnapshot): TunnelSnapshot {
  const { error, server } = tunnel;
  if (server === undefined || error === null || error.detailKey !== undefined) return tunnel;
  const key = error.detail === undefined ? undefined : TUNNEL_DETAILS[error.detail];
  if (key === undefined) return tunnel;
  return { ...tunnel, error: withDetail(error, key, { server, port: tunnel.remotePort }) };
}

function publishWithDetail(publish: PublishSnapshot): PublishSnapshot {
  const { error } = publish;
  if (error === null || error.detailKey !== undefined) return publish;
  const key = error.detail === undefined ? undefined : PUBLISH_DETAILS[error.detail];
  return key === undefined
    ? publish
    : { ...publish, error: withDetail(error, key, { name: publish.name }) };
}

/**
 * The keychain refused the computer's key: the engine host cannot say so itself (it never got
 * the key), so the share shows it as its error until the keychain works again.
 */
function publishWithKeyError(
  publish: PublishSnapshot | null | undefined,
  share: ShareSettings,
  keyError: ErrorInfo,
): PublishSnapshot {
  const ports = share.services.map((s) => SHARE_SERVICE_PORTS[s]);
  return {
    name: share.name,
    ports,
    allowSubs: share.allowSubs,
    publicKey: null,
    tunnelId: null,
    bytesIn: 0,
    bytesOut: 0,
    totalConnections: 0,
    connections: [],
    ...(publish ?? {}),
    status: 'error',
    error: keyError,
  };
}

export interface ShareDetailsInput {
  readonly share: ShareSettings | undefined;
  readonly keyError: ErrorInfo | null;
}

/** The snapshot as the window and the tray show it; the same object when nothing is added. */
export function withShareDetails(engine: EngineSnapshot, input: ShareDetailsInput): EngineSnapshot {
  const tunnels = engine.tunnels.map(tunnelWithDetail);
  const changedTunnels = tunnels.some((t, i) => t !== engine.tunnels[i]);
  let publish = engine.publish;
  const { share, keyError } = input;
  if (share?.enabled === true && keyError !== null && (publish?.error ?? null) === null)
    publish = publishWithKeyError(publish, share, keyError);
  if (publish !== undefined && publish !== null) publish = publishWithDetail(publish);
  if (!changedTunnels && publish === engine.publish) return engine;
  return { ...engine, tunnels: changedTunnels ? tunnels : engine.tunnels, publish };
}

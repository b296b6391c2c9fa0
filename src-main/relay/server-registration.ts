// `register`, `unregister` and `servers` on a control session (docs/protocol.md "Published
// servers"): strict fields, names unique within a tenant, hand-backs to the same client with
// the same key, the per-client and per-tenant caps and the creation budget shared with
// tunnels, and the listing a client's identity may see. Talks to the client only through the
// session it is given.

import type { JsonObject } from '../protocol/codec';
import {
  FieldError,
  parseRegister,
  parseUnregister,
  type ServerInfo,
} from '../protocol/server-messages';
import type { RelayContext, WireError } from './context';
import type { PublishedServer } from './published-servers';
import { retryAfterSeconds } from './rate-limit';
import { LIMIT_LABELS } from './relay-limits';
import { clientKeyOf } from './target';
import type { RegisteringSession, SessionIdentity } from './tunnel-registration';

const NOT_AUTHENTICATED: WireError = {
  code: 'invalid_token',
  message: 'authenticate before publishing or listing servers',
  details: { reason: 'not_authenticated' },
};

function fieldError(error: FieldError): WireError {
  return {
    code: 'invalid_tunnel_info',
    message: error.message,
    details: { field: error.field, reason: error.reason },
  };
}

/** The session's identity while its access lasts; otherwise the session is answered. */
function identityOf(session: RegisteringSession, ctx: RelayContext): SessionIdentity | null {
  const identity = session.identity;
  if (identity === null) {
    session.reply(NOT_AUTHENTICATED);
    return null;
  }
  if (identity.accessUntil !== null && ctx.clock.now() >= identity.accessUntil) {
    session.accessEnded();
    return null;
  }
  return identity;
}

/** Why `existing` cannot be handed to this client with this key, or null when it can. */
function conflict(existing: PublishedServer, subject: string, info: ServerInfo): WireError | null {
  if (existing.subject !== subject)
    return {
      code: 'tunnel_exists',
      message: `name "${info.name}" is taken in this tenant`,
      details: { reason: 'name_taken' },
    };
  if (existing.publicKey !== info.publicKey)
    return {
      code: 'tunnel_exists',
      message: `name "${info.name}" is held with another public key (another computer)`,
      details: { reason: 'public_key_mismatch' },
    };
  return null;
}

export async function registerServer(
  ctx: RelayContext,
  session: RegisteringSession,
  message: JsonObject,
): Promise<void> {
  const identity = identityOf(session, ctx);
  if (identity === null) return;
  let info: ServerInfo;
  try {
    info = parseRegister(message);
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    session.reply(fieldError(error));
    return;
  }
  const { tenant, subject } = identity;
  const servers = ctx.servers;
  let server = servers.find(tenant.id, info.name);
  let handedBack = server !== undefined;
  if (server === undefined) {
    const limits = ctx.limits;
    const cap =
      servers.countForClient(tenant.id, subject) >= limits.maxServersPerClient
        ? { reason: LIMIT_LABELS.maxServersPerClient, limit: limits.maxServersPerClient }
        : servers.countForTenant(tenant.id) >= limits.maxServersPerTenant
          ? { reason: LIMIT_LABELS.maxServersPerTenant, limit: limits.maxServersPerTenant }
          : null;
    if (cap !== null) {
      ctx.hit(cap.reason);
      session.reply({
        code: 'tenant_limit_exceeded',
        message: `${cap.reason === LIMIT_LABELS.maxServersPerClient ? 'a client' : `tenant "${tenant.id}"`} may publish ${cap.limit} servers`,
        details: cap,
      });
      return;
    }
    // Creations share the tunnels' budget (docs/protocol.md#limits); a hand-back is not one.
    const budget = await ctx.tunnelLimits.take(clientKeyOf(tenant.id, subject), tenant.id);
    if (session.ended) return;
    if (!budget.allowed) {
      ctx.hit(budget.limit);
      session.reply({
        code: 'rate_limit_exceeded',
        message: 'too many tunnel and server creations',
        details: { retry_after: retryAfterSeconds(budget), limit: budget.limit },
      });
      return;
    }
    // Another session may have taken the name while this one waited.
    server = servers.find(tenant.id, info.name);
    handedBack = server !== undefined;
  }
  if (server !== undefined) {
    const refused = conflict(server, subject, info);
    if (refused !== null) {
      session.reply(refused);
      return;
    }
    servers.handBack(server, info, session.id, identity.accessUntil);
  } else {
    server = servers.create(info, tenant.id, subject, session.id, identity.accessUntil);
  }
  ctx.metrics.tunnelRegistrationsTotal.inc({
    kind: handedBack ? 'server_handed_back' : 'server_created',
  });
  ctx.log.log(
    'info',
    handedBack ? 'server_handed_back' : 'server_registered',
    {
      session: session.id,
      tenant: tenant.id,
      name: info.name,
      ports: [...info.ports],
      keyed: info.publicKey !== null,
    },
    server.tunnelId,
  );
  session.send({
    type: 'register_response',
    status: 'success',
    tunnel_id: server.tunnelId,
    name: server.name,
    serve_token: server.serveToken,
    handed_back: handedBack,
    reconnect_token: ctx.registry.reconnectTokenFor(tenant.id, subject),
    config: {
      endpoint: ctx.serverInfo.endpoint(session.serverName),
      public_key: ctx.serverInfo.pin,
      allowed_ips: tenant.allow.map((cidr) => cidr.text),
    },
  });
}

export function unregisterServer(
  ctx: RelayContext,
  session: RegisteringSession,
  message: JsonObject,
): void {
  const identity = identityOf(session, ctx);
  if (identity === null) return;
  let tunnelId: string;
  try {
    tunnelId = parseUnregister(message);
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    session.reply(fieldError(error));
    return;
  }
  const server = ctx.servers.byTunnelId(tunnelId);
  // Someone else's id is answered like one that does not exist.
  if (
    server === undefined ||
    server.tenantId !== identity.tenant.id ||
    server.subject !== identity.subject
  ) {
    session.reply({
      code: 'invalid_tunnel_info',
      message: 'no published server of yours has that id',
      details: { field: 'tunnel_id', reason: 'unknown_server' },
    });
    return;
  }
  ctx.servers.remove(server, 'unregistered');
  session.send({ type: 'unregister_response', status: 'ok', tunnel_id: tunnelId });
}

export function listServers(ctx: RelayContext, session: RegisteringSession): void {
  const identity = identityOf(session, ctx);
  if (identity === null) return;
  session.send({
    type: 'servers_response',
    status: 'ok',
    servers: ctx.servers.listFor(identity.tenant.id, identity.subject).map((server) => ({
      name: server.name,
      ports: [...server.ports].sort((a, b) => a - b),
      keyed: server.publicKey !== null,
      online: ctx.servers.isOnline(server),
    })),
  });
}

// tunnel_info on a control session (docs/protocol.md#tunnel-registration): field checks, the
// tenant's allow-list (checked once here, again per stream) or, for a tunnel to a published
// server, that server, the tenant's tunnel count, creations budgeted per client and per
// tenant, and registrations scoped to the client, created or handed back. Talks to the client
// only through the session it is given.

import type { JsonObject } from '../protocol/codec';
import { MessageError, parseClientMessage, parseTunnelIds } from '../protocol/messages';
import { FieldError, parseServerTunnel } from '../protocol/server-messages';
import type { RelayContext, WireError } from './context';
import type { TenantPolicy } from './policy';
import { retryAfterSeconds } from './rate-limit';
import type { RegistrationTarget } from './registry';
import { clientKeyOf, resolveTarget } from './target';

export interface SessionIdentity {
  readonly subject: string;
  readonly tenant: TenantPolicy;
  /** When the token's access ends (exp + skew, ms), or null without `exp`. */
  readonly accessUntil: number | null;
}

/** What registration needs of its control session. */
export interface RegisteringSession {
  readonly id: number;
  readonly identity: SessionIdentity | null;
  readonly ended: boolean;
  reply(error: WireError, tunnelId?: string | null): void;
  fail(error: WireError, event: string): void;
  send(message: JsonObject): void;
  /** The token's access is over: the session closes with invalid_token (token_expired). */
  accessEnded(): void;
  /** The TLS server name the client asked for (SNI), or null. */
  readonly serverName: string | null;
}

type FieldKind = 'string' | 'number' | 'optional-string';
const ID_FIELD_TYPES: Readonly<Record<string, FieldKind>> = {
  tunnel_id: 'string',
  tenant_id: 'optional-string',
  local_port: 'number',
  remote_port: 'number',
};
const HOST_FIELD_TYPES = { ...ID_FIELD_TYPES, remote_host: 'string' as FieldKind };
const SERVER_FIELD_TYPES = { ...ID_FIELD_TYPES, server: 'string' as FieldKind };

/** What a tunnel_info asks for, once its values are checked. */
interface Wanted {
  readonly tunnelId: string;
  readonly tenantId: string | undefined;
  readonly target: RegistrationTarget;
  /** For the log and the answer. */
  readonly label: Record<string, unknown>;
  /** Extra fields of tunnel_response. */
  readonly answer: Record<string, unknown>;
}

/** The field at fault for a bad value, or null: only this tunnel fails. */
function badValue(error: unknown): { field: string; message: string; reason?: string } | null {
  if (error instanceof MessageError)
    return { field: error.field ?? 'tunnel_info', message: error.message };
  if (error instanceof FieldError)
    return { field: error.field, message: error.message, reason: error.reason };
  return null;
}

export async function registerTunnel(
  ctx: RelayContext,
  session: RegisteringSession,
  message: JsonObject,
): Promise<void> {
  const toServer = message['server'] !== undefined;
  // Wrong JSON types are a broken client: answer naming the field, then close.
  for (const [field, kind] of Object.entries(toServer ? SERVER_FIELD_TYPES : HOST_FIELD_TYPES)) {
    const value = message[field];
    const ok =
      kind === 'optional-string'
        ? value === undefined || typeof value === 'string'
        : typeof value === kind;
    if (!ok) {
      session.fail(
        {
          code: 'invalid_tunnel_info',
          message: `field "${field}" must be a ${kind === 'number' ? 'number' : 'string'}`,
          details: { field, reason: 'invalid_field' },
        },
        'protocol_error',
      );
      return;
    }
  }
  const rawId = String(message['tunnel_id']).slice(0, 128);
  const identity = session.identity;
  if (identity === null) {
    session.reply(
      {
        code: 'invalid_token',
        message: 'authenticate before registering tunnels',
        details: { reason: 'not_authenticated' },
      },
      rawId,
    );
    return;
  }
  if (identity.accessUntil !== null && ctx.clock.now() >= identity.accessUntil) {
    session.accessEnded();
    return;
  }
  let wanted: Wanted | null;
  try {
    wanted = toServer
      ? wantedServer(ctx, session, identity, message)
      : await wantedHost(ctx, session, identity, message);
  } catch (error) {
    const bad = badValue(error);
    if (bad === null) throw error;
    // Right types, wrong values (port 0, odd id): only this tunnel fails (docs/protocol.md "Framing").
    session.reply(
      {
        code: 'invalid_tunnel_info',
        message: bad.message,
        details: { field: bad.field, ...(bad.reason !== undefined ? { reason: bad.reason } : {}) },
      },
      rawId,
    );
    return;
  }
  if (wanted === null || session.ended) return;
  await register(ctx, session, identity, wanted);
}

/** A tunnel to `remote_host`; null when refused (the session has been answered). */
async function wantedHost(
  ctx: RelayContext,
  session: RegisteringSession,
  identity: SessionIdentity,
  message: JsonObject,
): Promise<Wanted | null> {
  const parsed = parseClientMessage(message);
  if (parsed.type !== 'tunnel_info') return null;
  if (!tenantMatches(ctx, session, identity, parsed.tenant_id, parsed.tunnel_id)) return null;
  const target = await resolveTarget(ctx.lookup, parsed.remote_host, identity.tenant.allow, {
    identity: clientKeyOf(identity.tenant.id, identity.subject),
  });
  if (session.ended) return null;
  if (!target.ok && target.reason === 'not_allowed') {
    session.reply(
      {
        code: 'ip_not_allowed',
        message: `remote_host ${parsed.remote_host} is outside the tenant's allowed networks`,
        details: { field: 'remote_host' },
      },
      parsed.tunnel_id,
    );
    return null;
  }
  // A name that does not resolve now may resolve later: every stream checks again.
  return {
    tunnelId: parsed.tunnel_id,
    tenantId: parsed.tenant_id,
    target: {
      remoteHost: parsed.remote_host,
      remotePort: parsed.remote_port,
      localPort: parsed.local_port,
    },
    label: { remote_port: parsed.remote_port },
    answer: {},
  };
}

/**
 * A tunnel to a published server of the tenant that this identity may reach, on one of its
 * ports (docs/protocol.md "Reaching a published server"); null when refused.
 */
function wantedServer(
  ctx: RelayContext,
  session: RegisteringSession,
  identity: SessionIdentity,
  message: JsonObject,
): Wanted | null {
  const ids = parseTunnelIds(message);
  const { server: name, remotePort } = parseServerTunnel(message);
  if (!tenantMatches(ctx, session, identity, ids.tenant_id, ids.tunnel_id)) return null;
  const server = ctx.servers.find(identity.tenant.id, name);
  // Another tenant's name, one this sub may not reach and one nobody holds look alike.
  if (server === undefined || !ctx.servers.mayReach(server, identity.subject))
    throw new FieldError(
      'server',
      'unknown_server',
      `no published server "${name}" that this identity may reach`,
    );
  if (!server.ports.includes(remotePort))
    throw new FieldError(
      'remote_port',
      'port_not_published',
      `server "${name}" does not publish port ${remotePort}`,
    );
  return {
    tunnelId: ids.tunnel_id,
    tenantId: ids.tenant_id,
    target: {
      remoteHost: '',
      remotePort,
      localPort: ids.local_port,
      server: { name, tunnelId: server.tunnelId },
    },
    label: { server: name, remote_port: remotePort },
    answer: { server: name, public_key: server.publicKey },
  };
}

function tenantMatches(
  ctx: RelayContext,
  session: RegisteringSession,
  identity: SessionIdentity,
  tenantId: string | undefined,
  tunnelId: string,
): boolean {
  if (!ctx.tenants.multiTenant || tenantId === undefined || tenantId === identity.tenant.id)
    return true;
  session.reply(
    {
      code: 'tenant_not_found',
      message: 'tunnel names a tenant this session does not belong to',
      details: { field: 'tenant_id' },
    },
    tunnelId,
  );
  return false;
}

async function register(
  ctx: RelayContext,
  session: RegisteringSession,
  identity: SessionIdentity,
  wanted: Wanted,
): Promise<void> {
  const { tunnelId, target } = wanted;
  const tenant = identity.tenant;
  const client = clientKeyOf(tenant.id, identity.subject);
  const registry = ctx.registry;
  // Ids are the client's own: another client's `t-2222` is neither visible nor in the way.
  const existing = registry.find(tenant.id, identity.subject, tunnelId);
  let kind: 'created' | 'handed_back';
  let registration;
  if (existing !== undefined) {
    // docs/protocol.md#reconnect: re-registering after a reconnect is a hand-back, not a creation.
    registration = registry.reclaim(existing, session.id, target, identity.accessUntil);
    kind = 'handed_back';
  } else {
    const tenantTunnels = registry.countForTenant(tenant.id);
    if (tenantTunnels >= tenant.maxTunnels) {
      session.reply(
        {
          code: 'tenant_limit_exceeded',
          message: `tenant "${tenant.id}" may hold ${tenant.maxTunnels} tunnels`,
          details: { limit: tenant.maxTunnels },
        },
        tunnelId,
      );
      return;
    }
    const limit = await ctx.tunnelLimits.take(client, tenant.id);
    if (session.ended) return;
    if (!limit.allowed) {
      ctx.hit(limit.limit);
      session.reply(
        {
          code: 'rate_limit_exceeded',
          message: 'too many tunnel creations',
          details: { retry_after: retryAfterSeconds(limit), limit: limit.limit },
        },
        tunnelId,
      );
      return;
    }
    // Another session of the same client may have registered the id while this one waited.
    const raced = registry.find(tenant.id, identity.subject, tunnelId);
    registration =
      raced !== undefined
        ? registry.reclaim(raced, session.id, target, identity.accessUntil)
        : registry.create(
            tunnelId,
            tenant.id,
            identity.subject,
            session.id,
            target,
            identity.accessUntil,
          );
    kind = 'created';
  }
  ctx.metrics.tunnelRegistrationsTotal.inc({ kind });
  ctx.metrics.tunnelsActive.set(registry.size);
  ctx.log.log(
    'info',
    kind === 'created' ? 'tunnel_created' : 'tunnel_handed_back',
    { session: session.id, tenant: tenant.id, ...wanted.label },
    tunnelId,
  );
  session.send({
    type: 'tunnel_response',
    status: 'ok',
    tunnel_id: tunnelId,
    stream_token: registration.streamToken,
    reconnect_token: registry.reconnectTokenFor(tenant.id, identity.subject),
    ...wanted.answer,
  });
}

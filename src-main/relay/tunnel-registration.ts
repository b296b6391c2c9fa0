// tunnel_info on a control session (docs/protocol.md#tunnel-registration): field checks, the tenant's allow-list
// (checked once here, again per stream), the tenant's tunnel count, creations budgeted per
// client and per tenant, and registrations scoped to the client, created or handed back
// (docs/protocol.md#tunnel-registration). Talks to the client only through the session it is given.

import type { JsonObject } from '../protocol/codec';
import { MessageError, parseClientMessage } from '../protocol/messages';
import type { RelayContext, WireError } from './context';
import type { TenantPolicy } from './policy';
import { retryAfterSeconds } from './rate-limit';
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
}

const TUNNEL_INFO_FIELD_TYPES: Readonly<Record<string, 'string' | 'number' | 'optional-string'>> = {
  tunnel_id: 'string',
  tenant_id: 'optional-string',
  local_port: 'number',
  remote_host: 'string',
  remote_port: 'number',
};

export async function registerTunnel(
  ctx: RelayContext,
  session: RegisteringSession,
  message: JsonObject,
): Promise<void> {
  // Wrong JSON types are a broken client: answer naming the field, then close.
  for (const [field, kind] of Object.entries(TUNNEL_INFO_FIELD_TYPES)) {
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
  let parsed;
  try {
    parsed = parseClientMessage(message);
  } catch (error) {
    if (!(error instanceof MessageError)) throw error;
    // Right types, wrong values (port 0, odd id): only this tunnel fails (docs/protocol.md "Framing").
    const field = error.field ?? 'tunnel_info';
    session.reply(
      { code: 'invalid_tunnel_info', message: error.message, details: { field } },
      rawId,
    );
    return;
  }
  if (parsed.type !== 'tunnel_info') return;
  const tunnelId = parsed.tunnel_id;
  const tenant = identity.tenant;
  const client = clientKeyOf(tenant.id, identity.subject);
  if (ctx.tenants.multiTenant && parsed.tenant_id !== undefined && parsed.tenant_id !== tenant.id) {
    session.reply(
      {
        code: 'tenant_not_found',
        message: 'tunnel names a tenant this session does not belong to',
        details: { field: 'tenant_id' },
      },
      tunnelId,
    );
    return;
  }
  const target = await resolveTarget(ctx.lookup, parsed.remote_host, tenant.allow, {
    identity: client,
  });
  if (session.ended) return;
  if (!target.ok && target.reason === 'not_allowed') {
    session.reply(
      {
        code: 'ip_not_allowed',
        message: `remote_host ${parsed.remote_host} is outside the tenant's allowed networks`,
        details: { field: 'remote_host' },
      },
      tunnelId,
    );
    return;
  }
  // A name that does not resolve now may resolve later: every stream checks again.
  const wanted = {
    remoteHost: parsed.remote_host,
    remotePort: parsed.remote_port,
    localPort: parsed.local_port,
  };
  const registry = ctx.registry;
  // Ids are the client's own: another client's `t-2222` is neither visible nor in the way.
  const existing = registry.find(tenant.id, identity.subject, tunnelId);
  let kind: 'created' | 'handed_back';
  let registration;
  if (existing !== undefined) {
    // docs/protocol.md#reconnect: re-registering after a reconnect is a hand-back, not a creation.
    registration = registry.reclaim(existing, session.id, wanted, identity.accessUntil);
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
        ? registry.reclaim(raced, session.id, wanted, identity.accessUntil)
        : registry.create(
            tunnelId,
            tenant.id,
            identity.subject,
            session.id,
            wanted,
            identity.accessUntil,
          );
    kind = 'created';
  }
  ctx.metrics.tunnelRegistrationsTotal.inc({ kind });
  ctx.metrics.tunnelsActive.set(registry.size);
  ctx.log.log(
    'info',
    kind === 'created' ? 'tunnel_created' : 'tunnel_handed_back',
    { session: session.id, tenant: tenant.id, remote_port: parsed.remote_port },
    tunnelId,
  );
  session.send({
    type: 'tunnel_response',
    status: 'ok',
    tunnel_id: tunnelId,
    stream_token: registration.streamToken,
    reconnect_token: registry.reconnectTokenFor(tenant.id, identity.subject),
  });
}

// The `auth` step of a control session (docs/protocol.md#authentication): verifies the token,
// budgets failures per source and per claimed client (a valid token is never refused for
// others' failures), then takes the client's session slot and the established connection slot;
// and, once authenticated, the session's deadlines and its heartbeat answers. Decides and
// counts; the session answers, logs and keeps the identity.

import type { Slot } from './connection-limits';
import type { RelayContext, WireError } from './context';
import { IdleWatch, startDeadline } from './deadline';
import type { SessionAdmission } from './front-door';
import { retryAfterSeconds, type MinIntervalGate } from './rate-limit';
import { LIMIT_LABELS } from './relay-limits';
import { clientKeyOf } from './target';
import type { RegisteringSession, SessionIdentity } from './tunnel-registration';

export const TOKEN_EXPIRED_ERROR: WireError = {
  code: 'invalid_token',
  message: 'token has expired',
  details: { reason: 'token_expired' },
};

export type AuthOutcome =
  | { readonly ok: true; readonly identity: SessionIdentity; readonly slot: Slot }
  | { readonly ok: false; readonly error: WireError; readonly event: string };

/** null: the session ended while the token was being checked. */
export async function authenticate(
  ctx: RelayContext,
  admission: SessionAdmission,
  token: string,
  isEnded: () => boolean,
): Promise<AuthOutcome | null> {
  const result = await ctx.verifier.verify(token);
  if (isEnded()) return null;
  if (!result.ok) {
    ctx.metrics.countAuthFailure(result.reason);
    const claimed =
      result.claimed === undefined
        ? null
        : clientKeyOf(result.claimed.tenant ?? '', result.claimed.subject);
    const limit = await ctx.authLimits.failed(admission.source, claimed);
    if (isEnded()) return null;
    if (!limit.allowed) {
      ctx.hit(limit.limit);
      return {
        ok: false,
        error: {
          code: 'rate_limit_exceeded',
          message: 'too many failed authentication attempts',
          details: { retry_after: retryAfterSeconds(limit), limit: limit.limit },
        },
        event: 'auth_rate_limited',
      };
    }
    return {
      ok: false,
      error: { code: result.code, message: result.message, details: { reason: result.reason } },
      event: 'auth_failed',
    };
  }
  const taken = ctx.identitySessions.take(clientKeyOf(result.tenant.id, result.subject));
  if (!taken.ok) {
    ctx.hit(LIMIT_LABELS.maxSessionsPerIdentity);
    return {
      ok: false,
      error: {
        code: 'connection_limit_reached',
        message: `a client may hold ${ctx.limits.maxSessionsPerIdentity} sessions`,
        details: { reason: 'sessions_per_identity', limit: ctx.limits.maxSessionsPerIdentity },
      },
      event: 'connection_refused',
    };
  }
  const refused = admission.promote();
  if (refused !== null) {
    taken.slot.release();
    return { ok: false, error: refused, event: 'connection_refused' };
  }
  return {
    ok: true,
    slot: taken.slot,
    identity: { subject: result.subject, tenant: result.tenant, accessUntil: result.accessUntil },
  };
}

export interface SessionDeadlines {
  /** A message arrived: the idle period starts again. */
  touch(): void;
  cancel(): void;
}

/**
 * The deadlines of an authenticated session: a message at least every sessionIdleTimeoutMs
 * (three heartbeat periods), and the end of access at the token's `exp` plus skew.
 */
export function startSessionDeadlines(
  ctx: RelayContext,
  identity: SessionIdentity,
  on: { idle(error: WireError): void; expired(): void },
): SessionDeadlines {
  const idleMs = ctx.limits.sessionIdleTimeoutMs;
  const idle = new IdleWatch(ctx.clock, idleMs, () => {
    ctx.hit(LIMIT_LABELS.sessionIdleTimeoutMs);
    on.idle({
      code: 'server_unavailable',
      message: `no message for ${idleMs} ms`,
      details: { reason: 'session_idle' },
    });
  });
  const access =
    identity.accessUntil === null
      ? null
      : startDeadline(ctx.clock, Math.max(1, identity.accessUntil - ctx.clock.now()), () =>
          on.expired(),
        );
  return {
    touch: () => idle.touch(),
    cancel: () => {
      idle.cancel();
      access?.cancel();
    },
  };
}

/**
 * A heartbeat (docs/protocol.md#heartbeats): answered with the relay's time, no closer than
 * the gate allows. An unauthenticated one is not answered: it would keep a stranger's session
 * busy.
 */
export function answerHeartbeat(
  ctx: RelayContext,
  session: RegisteringSession,
  gate: MinIntervalGate,
): void {
  if (session.identity === null) {
    session.reply({
      code: 'invalid_token',
      message: 'authenticate first',
      details: { reason: 'not_authenticated' },
    });
    return;
  }
  const taken = gate.take();
  if (!taken.allowed) {
    session.reply({
      code: 'rate_limit_exceeded',
      message: 'heartbeats too frequent',
      details: { retry_after: retryAfterSeconds(taken) },
    });
    return;
  }
  session.send({
    type: 'heartbeat_response',
    status: 'ok',
    server_time: new Date(ctx.clock.now()).toISOString(),
  });
}

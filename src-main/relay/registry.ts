// Tunnel registrations of the whole relay: tunnel id -> owner (tenant + subject), target and
// stream token, live session or grace timer (PROTOCOL.md §4: a registration outlives its
// session for a grace period and goes back to the same owner; anyone else gets
// tunnel_exists). Owns no sockets; the timers come from the injected clock.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../shared/clock';

export interface Registration {
  readonly tunnelId: string;
  readonly tenantId: string;
  readonly subject: string;
  /** Opaque, 256 random bits, base64url (PROTOCOL.md §3 asks for at least 128). */
  readonly streamToken: string;
  remoteHost: string;
  remotePort: number;
  localPort: number;
  /** Live session holding it, or null while in grace. */
  sessionId: number | null;
  graceTimer: unknown;
  /** Clock time when the grace period ends (null while live). */
  graceUntil: number | null;
}

export interface RegistrationTarget {
  readonly remoteHost: string;
  readonly remotePort: number;
  readonly localPort: number;
}

export function newOpaqueToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Constant-time comparison of two tokens. Only a length mismatch returns early, and every
 * token the relay issues has the same length (newOpaqueToken), so timing tells nothing. Runs
 * once per stream, where hashing both sides first cost more than the rest of the check.
 */
export function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function ownerKey(tenantId: string, subject: string): string {
  return `${tenantId}\u0000${subject}`;
}

export class TunnelRegistry {
  private readonly byId = new Map<string, Registration>();
  private readonly reconnectTokens = new Map<string, string>();

  constructor(
    private readonly options: {
      readonly clock: Clock;
      readonly graceMs: number;
      readonly onExpire?: (registration: Registration) => void;
      readonly mintToken?: () => string;
    },
  ) {}

  get size(): number {
    return this.byId.size;
  }

  get(tunnelId: string): Registration | undefined {
    return this.byId.get(tunnelId);
  }

  countForTenant(tenantId: string): number {
    let count = 0;
    for (const registration of this.byId.values())
      if (registration.tenantId === tenantId) count += 1;
    return count;
  }

  isOwner(registration: Registration, tenantId: string, subject: string): boolean {
    return registration.tenantId === tenantId && registration.subject === subject;
  }

  /**
   * The reconnect token of an owner (seed v1 §6.2), made on first use and stable while the
   * relay runs, so a client that reconnects gets the same one back.
   */
  reconnectTokenFor(tenantId: string, subject: string): string {
    const key = ownerKey(tenantId, subject);
    let token = this.reconnectTokens.get(key);
    if (token === undefined) {
      token = (this.options.mintToken ?? newOpaqueToken)();
      this.reconnectTokens.set(key, token);
    }
    return token;
  }

  create(
    tunnelId: string,
    tenantId: string,
    subject: string,
    sessionId: number,
    target: RegistrationTarget,
  ): Registration {
    const registration: Registration = {
      tunnelId,
      tenantId,
      subject,
      streamToken: (this.options.mintToken ?? newOpaqueToken)(),
      ...target,
      sessionId,
      graceTimer: null,
      graceUntil: null,
    };
    this.byId.set(tunnelId, registration);
    return registration;
  }

  /** Hands a registration (in grace, or held by an older session of the same owner) to a session. */
  reclaim(registration: Registration, sessionId: number, target: RegistrationTarget): Registration {
    this.cancelGrace(registration);
    registration.sessionId = sessionId;
    registration.remoteHost = target.remoteHost;
    registration.remotePort = target.remotePort;
    registration.localPort = target.localPort;
    return registration;
  }

  /** A session ended: its registrations wait out the grace period. */
  releaseSession(sessionId: number): Registration[] {
    const released: Registration[] = [];
    for (const registration of this.byId.values()) {
      if (registration.sessionId !== sessionId) continue;
      registration.sessionId = null;
      registration.graceUntil = this.options.clock.now() + this.options.graceMs;
      registration.graceTimer = this.options.clock.setTimeout(
        () => this.expire(registration),
        this.options.graceMs,
      );
      released.push(registration);
    }
    return released;
  }

  private expire(registration: Registration): void {
    if (this.byId.get(registration.tunnelId) !== registration || registration.sessionId !== null)
      return;
    this.byId.delete(registration.tunnelId);
    this.options.onExpire?.(registration);
  }

  private cancelGrace(registration: Registration): void {
    if (registration.graceTimer !== null) this.options.clock.clearTimeout(registration.graceTimer);
    registration.graceTimer = null;
    registration.graceUntil = null;
  }

  /** Forgets everything and stops every timer (relay shutdown). */
  clear(): void {
    for (const registration of this.byId.values()) this.cancelGrace(registration);
    this.byId.clear();
    this.reconnectTokens.clear();
  }
}

// Tunnel registrations, scoped per client (tenant + subject): two clients may hold the same id, a
// stream finds its registration by id and stream token, a registration outlives its session for
// a grace period (docs/protocol.md#reconnect) and admits streams only until its token's expiry
// (docs/protocol.md#tunnel-registration). Owns no sockets; timers from the injected clock.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../shared/clock';

export interface Registration {
  readonly tunnelId: string;
  readonly tenantId: string;
  readonly subject: string;
  /** Opaque, 256 random bits, base64url (docs/protocol.md#data-streams-feature-tcp_stream asks for at least 128). */
  readonly streamToken: string;
  remoteHost: string;
  remotePort: number;
  localPort: number;
  /** A tunnel to a published server: the registration it was bound to (published-servers.ts). */
  server: ServerBinding | null;
  /** Live session holding it, or null while in grace. */
  sessionId: number | null;
  graceTimer: unknown;
  /** Clock time when the grace period ends (null while live). */
  graceUntil: number | null;
  /**
   * Clock time from which streams are refused: the `exp` (plus skew) of the token that
   * registered or last reclaimed it; null for a token without `exp`.
   */
  accessUntil: number | null;
}

/** The published server a tunnel names, by name and by the registration that held it. */
export interface ServerBinding {
  readonly name: string;
  readonly tunnelId: string;
}

export interface RegistrationTarget {
  /** Empty for a tunnel to a published server. */
  readonly remoteHost: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly server?: ServerBinding | null;
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

/** One client: a subject within a tenant. */
export function ownerKey(tenantId: string, subject: string): string {
  return `${tenantId}\u0000${subject}`;
}

function registrationKey(tenantId: string, subject: string, tunnelId: string): string {
  return `${ownerKey(tenantId, subject)}\u0000${tunnelId}`;
}

export class TunnelRegistry {
  private readonly byOwnerAndId = new Map<string, Registration>();
  /** Every holder of one tunnel id (one per client at most), for stream look-ups. */
  private readonly byId = new Map<string, Set<Registration>>();
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
    return this.byOwnerAndId.size;
  }

  /** The client's own registration of `tunnelId`, live or in grace. */
  find(tenantId: string, subject: string, tunnelId: string): Registration | undefined {
    return this.byOwnerAndId.get(registrationKey(tenantId, subject, tunnelId));
  }

  /**
   * The registration a stream_open / OPEN names: the holder of `tunnelId` whose stream token
   * matches, compared in constant time with every holder (no early exit), and only while its
   * access lasts. Unknown id, wrong token and expired access look the same to the caller.
   */
  forStream(tunnelId: string, streamToken: string): Registration | undefined {
    const holders = this.byId.get(tunnelId);
    if (holders === undefined) return undefined;
    let match: Registration | undefined;
    for (const registration of holders) {
      if (tokensEqual(registration.streamToken, streamToken)) match = registration;
    }
    if (match === undefined) return undefined;
    if (match.accessUntil !== null && this.options.clock.now() >= match.accessUntil)
      return undefined;
    return match;
  }

  countForTenant(tenantId: string): number {
    let count = 0;
    for (const registration of this.byOwnerAndId.values())
      if (registration.tenantId === tenantId) count += 1;
    return count;
  }

  /**
   * The reconnect token of an owner (docs/protocol.md#persisted-client-state), made on first use
   * and stable while the relay runs, so a client that reconnects gets the same one back.
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
    accessUntil: number | null = null,
  ): Registration {
    const registration: Registration = {
      tunnelId,
      tenantId,
      subject,
      streamToken: (this.options.mintToken ?? newOpaqueToken)(),
      remoteHost: target.remoteHost,
      remotePort: target.remotePort,
      localPort: target.localPort,
      server: target.server ?? null,
      sessionId,
      graceTimer: null,
      graceUntil: null,
      accessUntil,
    };
    this.byOwnerAndId.set(registrationKey(tenantId, subject, tunnelId), registration);
    let holders = this.byId.get(tunnelId);
    if (holders === undefined) {
      holders = new Set();
      this.byId.set(tunnelId, holders);
    }
    holders.add(registration);
    return registration;
  }

  /** Hands a registration (in grace, or held by an older session of the same owner) to a session. */
  reclaim(
    registration: Registration,
    sessionId: number,
    target: RegistrationTarget,
    accessUntil: number | null = null,
  ): Registration {
    this.cancelGrace(registration);
    registration.sessionId = sessionId;
    registration.remoteHost = target.remoteHost;
    registration.remotePort = target.remotePort;
    registration.localPort = target.localPort;
    registration.server = target.server ?? null;
    registration.accessUntil = accessUntil;
    return registration;
  }

  /** A session ended: its registrations wait out the grace period. */
  releaseSession(sessionId: number): Registration[] {
    const released: Registration[] = [];
    for (const registration of this.byOwnerAndId.values()) {
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
    const key = registrationKey(registration.tenantId, registration.subject, registration.tunnelId);
    if (this.byOwnerAndId.get(key) !== registration || registration.sessionId !== null) return;
    this.byOwnerAndId.delete(key);
    const holders = this.byId.get(registration.tunnelId);
    holders?.delete(registration);
    if (holders?.size === 0) this.byId.delete(registration.tunnelId);
    this.options.onExpire?.(registration);
  }

  private cancelGrace(registration: Registration): void {
    if (registration.graceTimer !== null) this.options.clock.clearTimeout(registration.graceTimer);
    registration.graceTimer = null;
    registration.graceUntil = null;
  }

  /** Forgets everything and stops every timer (relay shutdown). */
  clear(): void {
    for (const registration of this.byOwnerAndId.values()) this.cancelGrace(registration);
    this.byOwnerAndId.clear();
    this.byId.clear();
    this.reconnectTokens.clear();
  }
}

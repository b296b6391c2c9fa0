// Published servers (docs/protocol.md "Published servers"): names unique within a tenant,
// held by the client (tenant + subject) that registered them and through a grace period after
// its session, handed back to the same client with the same key, released when they expire or
// are unregistered; each server's serving connections (the newest takes new streams) and its
// stream counts. Owns no sockets (a serving connection is a ServingLink); timers on the
// injected clock.

import { randomUUID } from 'node:crypto';
import type { ServerInfo } from '../protocol/server-messages';
import type { MuxStream } from '../protocol/mux-connection';
import type { Clock } from '../shared/clock';
import { newOpaqueToken, tokensEqual } from './registry';

/** One serving connection of a server (server-serving.ts). */
export interface ServingLink {
  /** Opens a stream towards the publisher; null when the connection has no room. */
  open(payload: Buffer): MuxStream | null;
  /** A newer serving connection took over: take no more streams, close once empty. */
  drain(): void;
  /** A stream on it ended (a draining link may close now). */
  released(): void;
  close(): void;
}

export interface PublishedServer {
  /** `srv-` and a UUID: the registration, stable across hand-backs. */
  readonly tunnelId: string;
  readonly tenantId: string;
  readonly subject: string;
  readonly name: string;
  /** What the serving connection presents; 256 random bits, base64url. */
  readonly serveToken: string;
  readonly publicKey: string | null;
  ports: readonly number[];
  allowedSubs: readonly string[] | null;
  /** Live session holding it, or null while in grace. */
  sessionId: number | null;
  graceTimer: unknown;
  /** The token's `exp` plus skew (ms), or null; no stream reaches it from then on. */
  accessUntil: number | null;
  /** Has had a serving connection: listed from then on. */
  published: boolean;
  /** Serving connections, oldest first; only the last takes new streams. */
  readonly serving: ServingLink[];
  /** Streams to it, and relay OPENs towards it not answered yet. */
  streams: number;
  opening: number;
}

export interface ServerRegistryOptions {
  readonly clock: Clock;
  readonly graceMs: number;
  /** A server expired or was unregistered: its serving connections are already closed. */
  readonly onRemoved?: (server: PublishedServer, why: 'expired' | 'unregistered') => void;
  readonly mintToken?: () => string;
}

function nameKey(tenantId: string, name: string): string {
  return `${tenantId}\u0000${name}`;
}

export class ServerRegistry {
  private readonly byName = new Map<string, PublishedServer>();
  private readonly byId = new Map<string, PublishedServer>();

  constructor(private readonly options: ServerRegistryOptions) {}

  get size(): number {
    return this.byId.size;
  }

  all(): IterableIterator<PublishedServer> {
    return this.byId.values();
  }

  find(tenantId: string, name: string): PublishedServer | undefined {
    return this.byName.get(nameKey(tenantId, name));
  }

  byTunnelId(tunnelId: string): PublishedServer | undefined {
    return this.byId.get(tunnelId);
  }

  countForClient(tenantId: string, subject: string): number {
    let count = 0;
    for (const server of this.byId.values())
      if (server.tenantId === tenantId && server.subject === subject) count += 1;
    return count;
  }

  countForTenant(tenantId: string): number {
    let count = 0;
    for (const server of this.byId.values()) if (server.tenantId === tenantId) count += 1;
    return count;
  }

  /** Whether `subject` (of the server's tenant) may reach it. */
  mayReach(server: PublishedServer, subject: string): boolean {
    return server.allowedSubs === null || server.allowedSubs.includes(subject);
  }

  /** A serving connection is up and the publisher's access lasts. */
  isOnline(server: PublishedServer): boolean {
    if (server.accessUntil !== null && this.options.clock.now() >= server.accessUntil) return false;
    return server.serving.length > 0;
  }

  /** The tenant's published servers `subject` may reach, by name. */
  listFor(tenantId: string, subject: string): PublishedServer[] {
    return [...this.byId.values()]
      .filter((s) => s.tenantId === tenantId && s.published && this.mayReach(s, subject))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  create(
    info: ServerInfo,
    tenantId: string,
    subject: string,
    sessionId: number,
    accessUntil: number | null,
  ): PublishedServer {
    const server: PublishedServer = {
      tunnelId: `srv-${randomUUID()}`,
      tenantId,
      subject,
      name: info.name,
      serveToken: (this.options.mintToken ?? newOpaqueToken)(),
      publicKey: info.publicKey,
      ports: info.ports,
      allowedSubs: info.allowedSubs,
      sessionId,
      graceTimer: null,
      accessUntil,
      published: false,
      serving: [],
      streams: 0,
      opening: 0,
    };
    this.byName.set(nameKey(tenantId, info.name), server);
    this.byId.set(server.tunnelId, server);
    return server;
  }

  /** The same client and key registered the name again: it is theirs, with the new lists. */
  handBack(
    server: PublishedServer,
    info: ServerInfo,
    sessionId: number,
    accessUntil: number | null,
  ): void {
    this.cancelGrace(server);
    server.sessionId = sessionId;
    server.ports = info.ports;
    server.allowedSubs = info.allowedSubs;
    server.accessUntil = accessUntil;
  }

  /**
   * The server a serving connection names, by id and serve token (constant-time), while its
   * publisher's access lasts; unknown id, wrong token and expired access look alike.
   */
  forServe(tunnelId: string, serveToken: string): PublishedServer | undefined {
    const server = this.byId.get(tunnelId);
    if (server === undefined || !tokensEqual(server.serveToken, serveToken)) return undefined;
    if (server.accessUntil !== null && this.options.clock.now() >= server.accessUntil)
      return undefined;
    return server;
  }

  /** A new serving connection: it takes new streams, older ones drain. */
  attach(server: PublishedServer, link: ServingLink): void {
    for (const older of server.serving) older.drain();
    server.serving.push(link);
    server.published = true;
  }

  detach(server: PublishedServer, link: ServingLink): void {
    const index = server.serving.indexOf(link);
    if (index >= 0) server.serving.splice(index, 1);
  }

  /** The serving connection that takes new streams, if any. */
  newestLink(server: PublishedServer): ServingLink | undefined {
    return server.serving.at(-1);
  }

  /** A session ended: its servers wait out the grace period. */
  releaseSession(sessionId: number): PublishedServer[] {
    const released: PublishedServer[] = [];
    for (const server of this.byId.values()) {
      if (server.sessionId !== sessionId) continue;
      server.sessionId = null;
      server.graceTimer = this.options.clock.setTimeout(() => {
        server.graceTimer = null;
        if (server.sessionId === null) this.remove(server, 'expired');
      }, this.options.graceMs);
      released.push(server);
    }
    return released;
  }

  /** Releases the name now: its serving connections close, their streams are reset. */
  remove(server: PublishedServer, why: 'expired' | 'unregistered'): void {
    if (this.byId.get(server.tunnelId) !== server) return;
    this.cancelGrace(server);
    this.byId.delete(server.tunnelId);
    this.byName.delete(nameKey(server.tenantId, server.name));
    for (const link of server.serving.splice(0)) link.close();
    this.options.onRemoved?.(server, why);
  }

  private cancelGrace(server: PublishedServer): void {
    if (server.graceTimer !== null) this.options.clock.clearTimeout(server.graceTimer);
    server.graceTimer = null;
  }

  /** Forgets everything and stops every timer (relay shutdown); sockets are the relay's. */
  clear(): void {
    for (const server of this.byId.values()) this.cancelGrace(server);
    this.byId.clear();
    this.byName.clear();
  }
}

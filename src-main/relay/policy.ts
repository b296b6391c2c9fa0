// Tenants and their limits, and the target allow-list decision (docs/protocol.md
// #target-addresses, #limits, and #errors for tenant_* and ip_not_allowed). Pure: no
// sockets, no DNS; the caller resolves names once and asks about the addresses it got.

import {
  cidrContains,
  cidrWithin,
  embeddedIpv4,
  parseCidr,
  parseIp,
  type Cidr,
  type IpAddress,
} from './cidr';
import { DEFAULT_MAX_STREAMS_PER_CLIENT } from './stream-table';

export interface TenantConfig {
  readonly id: string;
  /** Registrations held at once (live or in grace). */
  readonly maxTunnels: number;
  /** Data streams open at once. */
  readonly maxConnections: number;
  /** Data streams one client (subject) of the tenant may hold at once; default the relay's. */
  readonly maxConnectionsPerClient?: number;
  /** CIDRs the tenant's tunnels may reach. Empty refuses every target. */
  readonly allow: readonly string[];
}

export interface TenantPolicy {
  readonly id: string;
  readonly maxTunnels: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerClient: number;
  readonly allow: readonly Cidr[];
}

/** Tenant id used when the relay runs without a tenant table. */
export const DEFAULT_TENANT_ID = 'default';
export const DEFAULT_MAX_TUNNELS = 100;
export const DEFAULT_MAX_CONNECTIONS = 1_000;
/**
 * Without an explicit allow-list a relay reaches nothing (docs/protocol.md#target-addresses):
 * every caller that wants targets names them (`--allow`, a tenant's `allow`).
 */
export const DEFAULT_ALLOW: readonly string[] = [];

/**
 * Ranges that a broad rule (0.0.0.0/0, ::/0, 10.0.0.0/8...) never opens: the relay host's own
 * loopback and unspecified addresses (its /metrics port and every local-only service live
 * there), link-local and the cloud metadata endpoints. Only an allow CIDR that lies inside one
 * of them opens it, so an operator has to name it on purpose (`--allow 127.0.0.1/32`); SSRF to
 * 127.0.0.1 or 169.254.169.254 is the classic relay abuse.
 */
const SENSITIVE_RANGES: readonly Cidr[] = [
  '127.0.0.0/8', // IPv4 loopback (127.1 and the rest of the /8 reach the relay host too)
  '0.0.0.0/8', // "this host": connecting to 0.0.0.0 reaches the relay host itself
  '::1/128', // IPv6 loopback
  '::/128', // IPv6 unspecified: connecting to it reaches the relay host too
  '169.254.0.0/16', // IPv4 link-local, includes 169.254.169.254 (AWS/GCP/Azure metadata)
  'fe80::/10', // IPv6 link-local
  'fd00:ec2::254/128', // AWS IPv6 metadata
  '100.100.100.200/32', // Alibaba Cloud metadata
].map(parseCidr);

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

function toPolicy(config: TenantConfig, defaultPerClient: number): TenantPolicy {
  if (typeof config.id !== 'string' || config.id.length === 0)
    throw new PolicyError('tenant id must be a non-empty string');
  const perClient = config.maxConnectionsPerClient ?? defaultPerClient;
  for (const [key, value] of [
    ['maxTunnels', config.maxTunnels],
    ['maxConnections', config.maxConnections],
    ['maxConnectionsPerClient', perClient],
  ] as const) {
    if (!Number.isInteger(value) || value < 0)
      throw new PolicyError(`tenant "${config.id}": ${key} must be a whole number`);
  }
  if (!Array.isArray(config.allow) || !config.allow.every((item) => typeof item === 'string'))
    throw new PolicyError(`tenant "${config.id}": allow must be a list of CIDR strings`);
  let allow: Cidr[];
  try {
    allow = config.allow.map(parseCidr);
  } catch (error) {
    throw new PolicyError(`tenant "${config.id}": allow: ${(error as Error).message}`);
  }
  return {
    id: config.id,
    maxTunnels: config.maxTunnels,
    maxConnections: config.maxConnections,
    maxConnectionsPerClient: perClient,
    allow,
  };
}

/** The tenant table, or one implicit tenant when none are configured. */
export class TenantTable {
  readonly multiTenant: boolean;
  private readonly tenants = new Map<string, TenantPolicy>();

  constructor(options: {
    tenants?: readonly TenantConfig[];
    allow?: readonly string[];
    /** Per-client stream limit of tenants that set none (and of the implicit tenant). */
    maxConnectionsPerClient?: number;
  }) {
    this.multiTenant = options.tenants !== undefined && options.tenants.length > 0;
    const perClient = options.maxConnectionsPerClient ?? DEFAULT_MAX_STREAMS_PER_CLIENT;
    if (this.multiTenant && options.tenants) {
      for (const tenant of options.tenants) {
        if (this.tenants.has(tenant.id))
          throw new PolicyError(`tenant "${tenant.id}" is listed twice`);
        this.tenants.set(tenant.id, toPolicy(tenant, perClient));
      }
    } else {
      this.tenants.set(
        DEFAULT_TENANT_ID,
        toPolicy(
          {
            id: DEFAULT_TENANT_ID,
            maxTunnels: DEFAULT_MAX_TUNNELS,
            maxConnections: DEFAULT_MAX_CONNECTIONS,
            allow: options.allow ?? DEFAULT_ALLOW,
          },
          perClient,
        ),
      );
    }
  }

  get(id: string): TenantPolicy | undefined {
    return this.tenants.get(id);
  }

  /** In single-tenant mode every session belongs to the implicit tenant. */
  resolve(claimedTenant: string | null): TenantPolicy | undefined {
    if (!this.multiTenant) return this.tenants.get(DEFAULT_TENANT_ID);
    return claimedTenant === null ? undefined : this.tenants.get(claimedTenant);
  }
}

function isSensitive(address: IpAddress): Cidr | undefined {
  return SENSITIVE_RANGES.find((range) => cidrContains(range, address));
}

function isRuleAllowed(allow: readonly Cidr[], ip: IpAddress): boolean {
  const sensitive = isSensitive(ip);
  return allow.some(
    (rule) => cidrContains(rule, ip) && (sensitive === undefined || cidrWithin(rule, sensitive)),
  );
}

/**
 * Whether a tunnel of this tenant may reach `address` (an IP literal). An empty allow-list
 * refuses everything; a sensitive address needs a rule inside its own sensitive range. An
 * IPv6 address that carries an IPv4 one (NAT64, 6to4, Teredo, IPv4-compatible) must pass as
 * IPv6, and each IPv4 address it carries that is sensitive must pass as IPv4 too: a
 * translator would deliver it there.
 */
export function isAddressAllowed(allow: readonly Cidr[], address: string | IpAddress): boolean {
  const ip = typeof address === 'string' ? parseIp(address) : address;
  if (ip === null) return false;
  if (!isRuleAllowed(allow, ip)) return false;
  if (ip.family === 4) return true;
  return embeddedIpv4(ip.value).every((value) => {
    const carried: IpAddress = { family: 4, value };
    return isSensitive(carried) === undefined || isRuleAllowed(allow, carried);
  });
}

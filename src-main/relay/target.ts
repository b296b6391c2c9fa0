// Resolves a tunnel target once and filters the addresses through the tenant's allow-list
// (docs/protocol.md#target-addresses), then dials exactly one of them. The data stream dials an
// address returned here, so a name cannot resolve to an allowed address for the check and to
// another one for the dial. IP literals, inet_aton spellings (`127.1`, `0`) included, never reach
// DNS.

import { connect, isIP, type Socket } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { parseInetAton, type Cidr } from './cidr';
import type { LookupAll, RelayContext } from './context';
import { isAddressAllowed } from './policy';

export type TargetDecision =
  | { readonly ok: true; readonly addresses: readonly LookupAddress[] }
  | { readonly ok: false; readonly reason: 'not_allowed'; readonly addresses: readonly string[] }
  | { readonly ok: false; readonly reason: 'lookup_failed'; readonly message: string };

/** One user of one tenant: the key of per-client limits (streams, lookups, buffered bytes). */
export function clientKeyOf(tenantId: string, subject: string): string {
  return `${tenantId}\u0000${subject}`;
}

/**
 * `identity` is the client the lookup is made for (clientKeyOf), so the lookup bounds
 * (lookup.ts) count it against that client. The lookup itself owns its timeout.
 */
export async function resolveTarget(
  lookup: LookupAll,
  host: string,
  allow: readonly Cidr[],
  options: { readonly identity?: string } = {},
): Promise<TargetDecision> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  let addresses: readonly LookupAddress[];
  const family = isIP(bare);
  const aton = family === 0 ? parseInetAton(bare) : null;
  if (family !== 0) {
    addresses = [{ address: bare, family }];
  } else if (aton !== null) {
    addresses = [{ address: aton, family: 4 }];
  } else {
    try {
      addresses = await lookup(bare, options.identity);
    } catch (error) {
      return { ok: false, reason: 'lookup_failed', message: (error as Error).message };
    }
  }
  const allowed = addresses.filter((entry) => isAddressAllowed(allow, entry.address));
  if (allowed.length === 0)
    return { ok: false, reason: 'not_allowed', addresses: addresses.map((a) => a.address) };
  return { ok: true, addresses: allowed };
}

export type DialResult = { ok: true; socket: Socket } | { ok: false; reason: string };

/** Connects to exactly `address` (no second lookup), with the relay's dial timeout. */
export function dialTarget(
  ctx: RelayContext,
  address: string,
  port: number,
  signal: AbortSignal,
): Promise<DialResult> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve({ ok: false, reason: 'client_closed' });
      return;
    }
    const socket = connect({ host: address, port, allowHalfOpen: true, noDelay: true });
    ctx.track(socket);
    // Errors after the dial belong to the stream; this keeps one from going unhandled in between.
    socket.on('error', () => undefined);
    let settled = false;
    const finish = (result: DialResult): void => {
      if (settled) return;
      settled = true;
      ctx.clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off('connect', onConnect);
      resolve(result);
    };
    const onConnect = (): void => {
      socket.setNoDelay(true);
      finish({ ok: true, socket });
    };
    const onError = (error: NodeJS.ErrnoException): void => {
      socket.destroy();
      finish({ ok: false, reason: error.code ?? 'connect_error' });
    };
    const onAbort = (): void => {
      socket.destroy();
      finish({ ok: false, reason: 'client_closed' });
    };
    const timer = ctx.clock.setTimeout(() => {
      socket.destroy();
      finish({ ok: false, reason: 'connect_timeout' });
    }, ctx.limits.dialTimeoutMs);
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

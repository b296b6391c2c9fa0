// Resolves a tunnel target once and filters the addresses through the tenant's allow-list
// (PROTOCOL.md §3). The data stream dials exactly an address returned here, so a name cannot
// resolve to an allowed address for the check and to another one for the dial.

import { isIP } from 'node:net';
import type { LookupAddress } from 'node:dns';
import type { Cidr } from './cidr';
import type { LookupAll } from './context';
import { isAddressAllowed } from './policy';

export const LOOKUP_TIMEOUT_MS = 5_000;

export type TargetDecision =
  | { readonly ok: true; readonly addresses: readonly LookupAddress[] }
  | { readonly ok: false; readonly reason: 'not_allowed'; readonly addresses: readonly string[] }
  | { readonly ok: false; readonly reason: 'lookup_failed'; readonly message: string };

export async function resolveTarget(
  lookup: LookupAll,
  host: string,
  allow: readonly Cidr[],
  timeoutMs = LOOKUP_TIMEOUT_MS,
): Promise<TargetDecision> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  let addresses: readonly LookupAddress[];
  const family = isIP(bare);
  if (family !== 0) {
    addresses = [{ address: bare, family }];
  } else {
    let timer: NodeJS.Timeout | undefined;
    try {
      addresses = await Promise.race([
        lookup(bare),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`lookup of ${bare} timed out`)), timeoutMs);
          timer.unref();
        }),
      ]);
    } catch (error) {
      return { ok: false, reason: 'lookup_failed', message: (error as Error).message };
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
  const allowed = addresses.filter((entry) => isAddressAllowed(allow, entry.address));
  if (allowed.length === 0)
    return { ok: false, reason: 'not_allowed', addresses: addresses.map((a) => a.address) };
  return { ok: true, addresses: allowed };
}

// Counting slots for connections per source and in total (docs/protocol.md#limits: handshakes,
// connections without a first line or before auth, established connections, sessions per
// client), and the source key they are counted under: an IPv4 address, or an IPv6 /64 (one
// subscriber's usual allocation). Decides only; closing a refused socket is the caller's job.

import { parseIp } from './cidr';

/** The key a connection counts against: IPv4 as is, IPv6 grouped by /64. */
export function sourceKeyOf(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined || remoteAddress === '') return 'unknown';
  const address = parseIp(remoteAddress);
  if (address === null) return remoteAddress;
  if (address.family === 4) {
    const v = address.value;
    return [v >> 24n, (v >> 16n) & 0xffn, (v >> 8n) & 0xffn, v & 0xffn].join('.');
  }
  const prefix = address.value >> 64n;
  const groups = [48n, 32n, 16n, 0n].map((shift) => ((prefix >> shift) & 0xffffn).toString(16));
  return `${groups.join(':')}::/64`;
}

export interface SlotCaps {
  /** Slots one key may hold at once. */
  readonly perKey: number;
  /** Slots all keys together may hold at once. */
  readonly total: number;
}

/** A held slot; release() is idempotent. */
export interface Slot {
  release(): void;
}

export type SlotResult =
  | { readonly ok: true; readonly slot: Slot }
  | { readonly ok: false; readonly scope: 'per_key' | 'total' };

/** Slots of one kind, counted per key and in total. */
export class SlotPool {
  private readonly byKey = new Map<string, number>();
  private held = 0;

  constructor(
    readonly caps: SlotCaps,
    private readonly onChange?: (held: number) => void,
  ) {}

  get size(): number {
    return this.held;
  }

  countFor(key: string): number {
    return this.byKey.get(key) ?? 0;
  }

  /** Whether take(key) would succeed now (a cheap early refusal before costly work). */
  check(key: string): Extract<SlotResult, { ok: false }> | null {
    if (this.held >= this.caps.total) return { ok: false, scope: 'total' };
    if ((this.byKey.get(key) ?? 0) >= this.caps.perKey) return { ok: false, scope: 'per_key' };
    return null;
  }

  take(key: string): SlotResult {
    if (this.held >= this.caps.total) return { ok: false, scope: 'total' };
    const count = this.byKey.get(key) ?? 0;
    if (count >= this.caps.perKey) return { ok: false, scope: 'per_key' };
    this.byKey.set(key, count + 1);
    this.held += 1;
    this.onChange?.(this.held);
    let released = false;
    return {
      ok: true,
      slot: {
        release: () => {
          if (released) return;
          released = true;
          const left = (this.byKey.get(key) ?? 1) - 1;
          if (left <= 0) this.byKey.delete(key);
          else this.byKey.set(key, left);
          this.held -= 1;
          this.onChange?.(this.held);
        },
      },
    };
  }
}

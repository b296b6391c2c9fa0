// Penalties per source for what only an abuser does (docs/protocol.md#limits), after OpenSSH's
// PerSourcePenalties: running past a connection's read budget, a pre-auth line past its
// limit, a handshake or auth deadline missed, a first line never sent. Each adds time to the
// source's penalty; while it stands above a threshold the source's connections are refused at
// accept, before any TLS work. Kept in an LRU of bounded size; time from the injected clock.

import { LRUCache } from 'lru-cache';
import type { Clock } from '../shared/clock';

export type PenaltyReason = 'read_budget' | 'line_too_long' | 'deadline' | 'first_line_timeout';

export interface PenaltyOptions {
  readonly clock: Clock;
  /** A source is refused while its penalty stands above this; 0 turns penalties off. */
  readonly minMs: number;
  /** A penalty never stands above this. */
  readonly maxMs: number;
  readonly amountsMs: Readonly<Record<PenaltyReason, number>>;
  /** Sources remembered at once (the least recently penalised are forgotten first). */
  readonly maxSources?: number;
}

/** Sources remembered at once by default. */
export const DEFAULT_MAX_SOURCES = 65_536;

export class SourcePenalties {
  private readonly until: LRUCache<string, number>;

  constructor(private readonly options: PenaltyOptions) {
    // A bound by size, not `max`: lru-cache preallocates `max` slots of four arrays (1.5 MiB
    // for 65,536), which cost the relay a fifth more CPU per byte carried even while empty.
    this.until = new LRUCache({
      maxSize: options.maxSources ?? DEFAULT_MAX_SOURCES,
      sizeCalculation: () => 1,
    });
  }

  /** Adds the penalty for `reason` to `source`. */
  penalise(source: string, reason: PenaltyReason): void {
    if (this.options.minMs <= 0) return;
    const now = this.options.clock.now();
    const standing = Math.max(now, this.until.get(source) ?? now);
    this.until.set(
      source,
      Math.min(now + this.options.maxMs, standing + this.options.amountsMs[reason]),
    );
  }

  /** Whether connections from `source` are refused now. */
  isPenalised(source: string): boolean {
    if (this.options.minMs <= 0) return false;
    const until = this.until.get(source);
    if (until === undefined) return false;
    const left = until - this.options.clock.now();
    if (left <= 0) this.until.delete(source);
    return left > this.options.minMs;
  }
}

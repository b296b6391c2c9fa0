// Rate-limited logging of refusals and other records a peer can cause at will (handshake
// failures, timeouts, refused requests, bad frames): a budget per connection, per source and
// for the whole relay in each window, and a summary record ("N suppressed") for what was
// dropped, so a flood costs a few log lines (docs/protocol.md#limits). Owns no sockets.

import type { LogLevel } from '../shared/model';
import type { Clock } from '../shared/clock';
import type { RelayLogger } from './log';

export interface RefusalLogOptions {
  readonly log: RelayLogger;
  readonly clock: Clock;
  /** Records one connection may write over its life. */
  readonly perConnection: number;
  /** Records one source may write in a window. */
  readonly perSource: number;
  /** Records all sources together may write in a window. */
  readonly total: number;
  readonly windowMs: number;
  /** Told how many records were dropped (the relay counts them in a metric). */
  readonly onSuppressed?: (count: number) => void;
}

/** The records of one connection: counted against it, its source and the relay. */
export interface RefusalScope {
  log(
    level: LogLevel,
    event: string,
    details?: Record<string, unknown>,
    tunnelId?: string | null,
  ): void;
  /** The connection ended: writes how many of its records were dropped, if any. */
  close(): void;
}

interface SourceWindow {
  written: number;
  suppressed: number;
}

/** Sources tracked in one window; records of further sources count as the relay's only. */
const MAX_TRACKED_SOURCES = 10_000;

export class RefusalLog {
  private sources = new Map<string, SourceWindow>();
  private written = 0;
  private suppressedOverall = 0;
  private timer: unknown = null;
  private closed = false;

  constructor(private readonly options: RefusalLogOptions) {}

  /** Writes a record counted against `source` and the relay (one-shot connections). */
  log(
    source: string,
    level: LogLevel,
    event: string,
    details: Record<string, unknown> = {},
    tunnelId: string | null = null,
  ): void {
    if (this.admit(source, 1)) this.options.log.log(level, event, details, tunnelId);
    else this.options.onSuppressed?.(1);
  }

  /** A scope for one connection from `source`. */
  forConnection(source: string): RefusalScope {
    let written = 0;
    let suppressed = 0;
    let ended = false;
    return {
      log: (level, event, details = {}, tunnelId = null) => {
        if (written >= this.options.perConnection) {
          suppressed += 1;
          this.options.onSuppressed?.(1);
          return;
        }
        written += 1;
        this.log(source, level, event, details, tunnelId);
      },
      close: () => {
        if (ended) return;
        ended = true;
        // A summary the source's budget refuses adds the connection's count to the source's.
        if (suppressed > 0 && this.admit(source, suppressed))
          this.options.log.log('warn', 'refusals_suppressed', {
            scope: 'connection',
            remote: source,
            suppressed,
          });
      },
    };
  }

  /** Writes the summaries still owed and stops the window timer (relay shutdown). */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Whether a record may be written; if not, `weight` records are counted as dropped. */
  private admit(source: string, weight: number): boolean {
    if (this.closed) return true;
    this.startWindow();
    let window = this.sources.get(source);
    if (window === undefined && this.sources.size < MAX_TRACKED_SOURCES) {
      window = { written: 0, suppressed: 0 };
      this.sources.set(source, window);
    }
    const sourceOk = window === undefined || window.written < this.options.perSource;
    if (sourceOk && this.written < this.options.total) {
      if (window !== undefined) window.written += 1;
      this.written += 1;
      return true;
    }
    if (window !== undefined && !sourceOk) window.suppressed += weight;
    else this.suppressedOverall += weight;
    return false;
  }

  private startWindow(): void {
    if (this.timer !== null) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.options.windowMs);
  }

  /** Ends the window: one summary per source that lost records, one for the relay. */
  private flush(): void {
    const sources = this.sources;
    const overall = this.suppressedOverall;
    this.sources = new Map();
    this.written = 0;
    this.suppressedOverall = 0;
    let summaries = 0;
    let unsummarised = overall;
    for (const [source, window] of sources) {
      if (window.suppressed === 0) continue;
      // The summaries are bounded too: past the relay's budget they fold into its own.
      if (summaries >= this.options.total) {
        unsummarised += window.suppressed;
        continue;
      }
      summaries += 1;
      this.options.log.log('warn', 'refusals_suppressed', {
        scope: 'source',
        remote: source,
        suppressed: window.suppressed,
        window_ms: this.options.windowMs,
      });
    }
    if (unsummarised > 0)
      this.options.log.log('warn', 'refusals_suppressed', {
        scope: 'relay',
        suppressed: unsummarised,
        window_ms: this.options.windowMs,
      });
  }
}

// Heartbeats on an established control session (docs/protocol.md#heartbeats): one every
// interval carrying the client's stats; missed answers count only once the relay has shown
// it answers (docs/protocol.md#relays-in-the-wild-tolerances), and two in a row mean the
// connection is lost. Owns its two timers; sends and closes through its session.

import type { HeartbeatMessage } from '../protocol/messages';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS } from '../shared/model';
import type { Clock } from '../shared/clock';
import { EngineError } from './errors';
import type { LogFn } from './log';

/** Missed heartbeat answers in a row that mean the connection is lost. */
export const MAX_MISSED_HEARTBEATS = 2;

export interface HeartbeatOptions {
  readonly clock: Clock;
  readonly log: LogFn;
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  readonly stats: () => HeartbeatMessage['stats'];
  readonly send: (message: HeartbeatMessage) => void;
  /** The relay stopped answering: the session closes with this. */
  readonly lost: (err: EngineError) => void;
}

export class Heartbeat {
  private timer: unknown = null;
  private timeoutTimer: unknown = null;
  private relayAnswers = false;
  private awaiting = false;
  private missed = 0;

  constructor(private readonly options: HeartbeatOptions) {}

  /** A heartbeat went out and its answer has not come yet. */
  get isAwaitingAnswer(): boolean {
    return this.awaiting;
  }

  start(): void {
    this.schedule();
  }

  answered(): void {
    this.relayAnswers = true;
    this.awaiting = false;
    this.missed = 0;
    if (this.timeoutTimer !== null) {
      this.options.clock.clearTimeout(this.timeoutTimer);
      this.timeoutTimer = null;
    }
  }

  stop(): void {
    const { clock } = this.options;
    if (this.timer !== null) clock.clearTimeout(this.timer);
    if (this.timeoutTimer !== null) clock.clearTimeout(this.timeoutTimer);
    this.timer = null;
    this.timeoutTimer = null;
  }

  private schedule(): void {
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      this.beat();
    }, this.options.intervalMs ?? HEARTBEAT_INTERVAL_MS);
  }

  private beat(): void {
    const stats = this.options.stats();
    this.options.send(stats !== undefined ? { type: 'heartbeat', stats } : { type: 'heartbeat' });
    this.awaiting = true;
    if (this.relayAnswers && this.timeoutTimer === null) {
      this.timeoutTimer = this.options.clock.setTimeout(() => {
        this.timeoutTimer = null;
        this.missed += 1;
        this.options.log('warn', 'heartbeat_missed', null, { missed: this.missed });
        if (this.missed >= MAX_MISSED_HEARTBEATS)
          this.options.lost(
            new EngineError(
              'heartbeat_timeout',
              `relay missed ${this.missed} heartbeat answers in a row`,
            ),
          );
      }, this.options.timeoutMs ?? HEARTBEAT_TIMEOUT_MS);
    }
    this.schedule();
  }
}

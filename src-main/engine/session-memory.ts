// What the client remembers about one relay across attempts and restarts
// (docs/protocol.md#persisted-client-state): its opener, our client id and reconnect token,
// loaded once from the persistence and saved after each successful registration. Never the JWT.

import type { EngineContext } from './engine-context';
import type { OpenerMode, SessionStatePersistence } from './types';

/** How long `auto` waits for the hello of a relay remembered to speak first. */
export const REMEMBERED_SERVER_HELLO_WAIT_MS = 5_000;

export class OpenerMemory {
  private value: 'client' | 'server' | null = null;

  get remembered(): 'client' | 'server' | null {
    return this.value;
  }

  remember(opener: 'client' | 'server' | null): void {
    this.value = opener;
  }

  forget(): void {
    this.value = null;
  }

  /**
   * A remembered client opener skips the wait; a remembered server opener waits longer for
   * the relay's hello but still falls back to sending ours, so one wrong guess cannot lock
   * the profile out (docs/protocol.md#opener).
   */
  sessionOptions(configured: OpenerMode): { opener: OpenerMode; helloWaitMs?: number } {
    if (configured !== 'auto') return { opener: configured };
    if (this.value === 'client') return { opener: 'client' };
    if (this.value === 'server')
      return { opener: 'auto', helloWaitMs: REMEMBERED_SERVER_HELLO_WAIT_MS };
    return { opener: 'auto' };
  }
}

export class RelayMemory {
  private id: string | null = null;
  private token: string | null = null;
  private loaded = false;

  constructor(
    private readonly store: SessionStatePersistence | undefined,
    private readonly ctx: EngineContext,
  ) {}

  get clientId(): string | null {
    return this.id;
  }

  get reconnectToken(): string | null {
    return this.token;
  }

  /** The relay named us (or kept quiet, which keeps the id we had). */
  sawClientId(id: string | null): void {
    this.id = id ?? this.id;
  }

  setReconnectToken(token: string): void {
    this.token = token;
    this.ctx.secrets.add(token);
  }

  /** Another relay: nothing of this one applies, and its saved state is read again. */
  forget(): void {
    this.id = null;
    this.token = null;
    this.loaded = false;
  }

  /** Reads the saved state once; state saved for another relay is ignored. */
  async load(relay: string, opener: OpenerMemory): Promise<void> {
    if (this.loaded || this.store === undefined) return;
    this.loaded = true;
    try {
      const saved = await this.store.load();
      if (saved !== null && saved.relay === relay) {
        this.id = saved.clientId;
        if (saved.reconnectToken !== null) this.setReconnectToken(saved.reconnectToken);
        opener.remember(saved.opener);
      }
    } catch (err) {
      this.ctx.log('warn', 'persisted_state_unreadable', null, {
        reason: err instanceof Error ? err.message : String(err),
      });
    }
  }

  save(relay: string, opener: OpenerMemory, tunnelIds: string[]): void {
    if (this.store === undefined) return;
    this.store
      .save({
        relay,
        clientId: this.id,
        reconnectToken: this.token,
        opener: opener.remembered,
        tunnelIds,
      })
      .catch((err: unknown) => {
        this.ctx.log('warn', 'persist_failed', null, {
          reason: err instanceof Error ? err.message : String(err),
        });
      });
  }
}

// The shapes the controller's parts hand each other and its callers: pushes for the window,
// system notifications, and the built-in relay a starter returns. Types only, no behaviour.

import type { EventChannel, Events, RelayProfile } from '../shared/ipc-contract';

/** A push to the window: one of the contract's events with its payload. */
export type Push = {
  [E in EventChannel]: { readonly event: E; readonly payload: Events[E] };
}[EventChannel];

export interface AppNotification {
  readonly kind: 'connection_lost' | 'connection_restored' | 'token_expiring' | 'engine_restarted';
  readonly title: string;
  readonly body: string;
}

/** What the built-in local relay hands the controller (see builtin-relay.ts). */
export interface BuiltinRelay {
  readonly profile: RelayProfile;
  /** A token minted for this relay; stored in the SecretStore like any other. */
  readonly token: string;
  /** The demo tunnel's target (a small echo/HTTP server the relay host runs). */
  readonly demoTarget: { readonly host: string; readonly port: number };
  close(): Promise<void>;
}
export type BuiltinRelayStarter = (previous: RelayProfile | null) => Promise<BuiltinRelay>;

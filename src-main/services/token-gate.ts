// The token service as the controller uses it: a saved token is bound to the relay profile it
// was saved for (token-binding.ts), and getToken refuses with `token_relay_changed` while the
// profile the engine dials, or the one in the settings, differs from that binding.

import { EngineError } from '../engine/errors';
import type { AccountInfo, RelayProfile } from '../shared/ipc-contract';
import { ServiceError } from './errors';
import type { ProbeToken } from './relay-probe';
import type { TokenService } from './token-service';
import {
  identityChanges,
  relayIdentity,
  type IdentityField,
  type RelayIdentity,
  type TokenBindings,
} from './token-binding';

export const RELAY_CHANGED_MESSAGE = 'The relay changed: paste your token again or confirm.';

/** What the user is asked to agree to before the token goes to a changed relay. */
export interface RelayChange {
  readonly profileName: string;
  /** Null when no binding exists for the profile (a token saved elsewhere). */
  readonly from: RelayIdentity | null;
  readonly to: RelayIdentity;
  readonly fields: readonly (IdentityField | 'unbound')[];
}

export interface TokenGateOptions {
  readonly tokens: TokenService;
  readonly bindings: TokenBindings;
  /** The profile in the settings now. */
  readonly settingsProfile: () => RelayProfile | null;
  /** The profile the engine's current endpoint was made from (it may lag the settings). */
  readonly dialProfile: () => RelayProfile | null;
  /** Told about every token handed to the engine (for the diagnostics redaction). */
  readonly onHandedOut?: (token: string) => void;
}

export interface TokenGate extends TokenService {
  /** At start: a token stored before bindings existed is bound to the profile on disk. */
  adoptAtStart(profile: RelayProfile | null): Promise<void>;
  /** What stands between the settings profile and its stored token; null when nothing. */
  pendingChange(): RelayChange | null;
  /** The user agreed: the stored token is bound to the settings profile as it is now. */
  rebind(): Promise<AccountInfo>;
  /**
   * For "Test connection" (relay-probe.ts): the stored token only when `profile` is this
   * account's and names the relay identity the token is bound to; never to another relay.
   */
  tokenForProbe(profile: RelayProfile): Promise<ProbeToken>;
}

function refused(fields: readonly string[]): EngineError {
  // An EngineError keeps its code in the engine, in this process or in the engine host.
  return new EngineError('token_relay_changed', RELAY_CHANGED_MESSAGE, fields.join(', '));
}

export function createTokenGate(options: TokenGateOptions): TokenGate {
  const { tokens, bindings } = options;
  const loaded = bindings.load();
  let accountId: string | null = null;

  function changeFor(profile: RelayProfile): RelayChange | null {
    const from = bindings.get(profile.id);
    const to = relayIdentity(profile);
    const fields = from === null ? (['unbound'] as const) : identityChanges(from, to);
    return fields.length === 0 ? null : { profileName: profile.name, from, to, fields };
  }

  function settingsRelayFor(account: string | null): RelayProfile {
    const profile = options.settingsProfile();
    if (account === null || profile === null || profile.id !== account)
      throw new ServiceError('token_missing', 'Choose a relay before adding a token.');
    return profile;
  }

  const gate: TokenGate = {
    async setAccount(account) {
      await loaded;
      accountId = account;
      return tokens.setAccount(account);
    },
    async save(rawToken) {
      await loaded;
      const profile = settingsRelayFor(accountId);
      const account = await tokens.save(rawToken);
      await bindings.bind(profile);
      return account;
    },
    async signOut() {
      await loaded;
      const account = await tokens.signOut();
      if (accountId !== null) await bindings.forget(accountId);
      return account;
    },
    refresh: () => tokens.refresh(),
    account: () => tokens.account(),
    async getToken() {
      await loaded;
      for (const profile of [options.dialProfile(), options.settingsProfile()]) {
        // A profile of another account would receive this account's token.
        if (profile === null || profile.id !== accountId) throw refused(['profile']);
        const change = changeFor(profile);
        if (change !== null) throw refused(change.fields);
      }
      const token = await tokens.getToken();
      options.onHandedOut?.(token);
      return token;
    },
    async adoptAtStart(profile) {
      await loaded;
      if (profile === null || profile.id !== accountId || !bindings.wasMissing()) return;
      if (bindings.get(profile.id) !== null || !tokens.account().signedIn) return;
      await bindings.bind(profile);
    },
    pendingChange() {
      const profile = options.settingsProfile();
      return profile === null || profile.id !== accountId ? null : changeFor(profile);
    },
    async tokenForProbe(profile) {
      await loaded;
      if (!tokens.account().signedIn) return { kind: 'none' };
      if (profile.id !== accountId || changeFor(profile) !== null) return { kind: 'other_relay' };
      const token = await tokens.getToken();
      options.onHandedOut?.(token);
      return { kind: 'token', token };
    },
    async rebind() {
      await loaded;
      const profile = settingsRelayFor(accountId);
      if (!tokens.account().signedIn)
        throw new ServiceError('token_missing', 'No token is stored for this relay. Paste one.');
      await bindings.bind(profile);
      return tokens.account();
    },
  };
  return gate;
}

/** Asks the user (never the renderer) whether the stored token may go to the changed relay. */
export type RelayChangeConfirmer = (change: RelayChange) => Promise<boolean>;

/**
 * The confirmation step: nothing pending is a no-op (null); otherwise the user is asked and,
 * on yes, the token is rebound. Without a way to ask, or on no, it stays refused.
 */
export async function confirmPendingChange(
  gate: TokenGate,
  ask: RelayChangeConfirmer | undefined,
): Promise<RelayChange | null> {
  const change = gate.pendingChange();
  if (change === null) return null;
  const agreed = ask !== undefined && (await ask(change));
  if (!agreed)
    throw new ServiceError(
      'token_relay_changed',
      RELAY_CHANGED_MESSAGE,
      ask === undefined ? 'this build cannot ask; paste the token again' : 'not confirmed',
    );
  await gate.rebind();
  return change;
}

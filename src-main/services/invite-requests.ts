// Accepting or dismissing the pending connection link (docs/protocol.md#connection-links), by
// its id only: the renderer never supplies a link's contents. Accepting sets the profile the
// link names (pinned, with its CA file), stores the link's token bound to that profile, moves
// the engine there and connects. Asked once: the invite is taken out before anything changes.

import type { AppSettings } from '../shared/ipc-contract';
import type { Clock } from '../shared/clock';
import { validateRelayProfile } from '../shared/tunnel-validation';
import type { AppState } from './app-state';
import { nodeStoreFs, type StoreFs } from './atomic-json';
import type { BuiltinRelayFlow } from './builtin-relay-flow';
import type { EngineSession } from './engine-session';
import { ServiceError } from './errors';
import type { InviteLinks } from './invite-links';
import { inviteProfile, writeInviteCaFile } from './invite-profile';
import type { Logger } from './logger';
import { saveSettingsOrThrow, type SettingsStore } from './settings-store';
import type { TokenExpiryWatch } from './token-expiry-watch';
import type { TokenGate } from './token-gate';
import { rejectInvalidFields } from './tunnel-requests';

export interface InviteRequestsOptions {
  readonly links: InviteLinks;
  readonly settingsStore: SettingsStore;
  readonly dataDir: string;
  readonly builtin: Pick<BuiltinRelayFlow, 'follow'>;
  readonly tokens: Pick<TokenGate, 'setAccount' | 'save' | 'account'>;
  readonly session: Pick<EngineSession, 'apply' | 'resume'>;
  readonly state: Pick<AppState, 'changed' | 'dropNotices'>;
  readonly expiry: Pick<TokenExpiryWatch, 'forget' | 'check'>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly fs?: StoreFs;
}

export interface InviteRequests {
  accept(id: string): Promise<AppSettings>;
  dismiss(id: string): void;
}

export function createInviteRequests(options: InviteRequestsOptions): InviteRequests {
  const { links, settingsStore, tokens, session, state, logger } = options;
  const fs = options.fs ?? nodeStoreFs;

  return {
    async accept(id) {
      const invite = links.take(id);
      // The window shows it before it is answered; it may have expired meanwhile.
      const nowSec = options.clock.now() / 1000;
      if (
        invite.expiresAtSec <= nowSec ||
        (invite.tokenExpiresAtSec !== null && invite.tokenExpiresAtSec <= nowSec)
      ) {
        state.changed();
        throw new ServiceError(
          'invite_expired',
          'The connection link has expired; ask for a new one.',
          'expired',
        );
      }
      const current = settingsStore.get();
      const caFile =
        invite.caPem === null ? null : await writeInviteCaFile(fs, options.dataDir, invite.caPem);
      const profile = inviteProfile(invite, caFile, current.relay);
      rejectInvalidFields(validateRelayProfile(profile));
      const settings = await saveSettingsOrThrow(settingsStore, { ...current, relay: profile });
      await options.builtin.follow(current.relay, profile);
      if (current.relay?.id !== profile.id) await tokens.setAccount(profile.id);
      // Stored (and bound to this profile) before the engine moves, so its first dial has it.
      if (invite.token !== null) {
        await tokens.save(invite.token);
        options.expiry.forget();
        options.expiry.check();
      }
      await session.apply(current.relay);
      links.markUsed(invite);
      state.dropNotices('first_run', 'insecure_relay');
      logger.log('info', 'invite_accepted', {
        relay: `${profile.host}:${profile.port}`,
        subject: invite.subject,
        tenant: invite.tenant,
        with_token: invite.token !== null,
        replaced: current.relay === null ? null : `${current.relay.host}:${current.relay.port}`,
      });
      if (tokens.account().signedIn) session.resume();
      state.changed();
      return settings;
    },
    dismiss(id) {
      if (!links.dismiss(id))
        throw new ServiceError(
          'invite_used',
          'This connection link was already answered.',
          'not_pending',
        );
      state.changed();
    },
  };
}

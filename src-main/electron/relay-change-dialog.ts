// The native question main asks before a stored token may go to a changed relay profile
// (services/token-gate.ts). A dialog of main's own, so a page cannot answer it for the user;
// the default and the Escape key both keep the token back.

import { dialog, type BrowserWindow } from 'electron';
import type { RelayChange } from '../services/token-gate';
import type { RelayIdentity } from '../services/token-binding';

function describe(identity: RelayIdentity | null): string {
  if (identity === null) return 'no relay (the token was saved for another profile)';
  const security = identity.insecure
    ? 'PLAINTEXT, not encrypted'
    : [
        identity.caFile === null ? 'system certificates' : `CA file ${identity.caFile}`,
        identity.pinSha256 === null ? 'no pin' : `pin ${identity.pinSha256}`,
        identity.serverName === null ? null : `name ${identity.serverName}`,
      ]
        .filter((part) => part !== null)
        .join(', ');
  return `${identity.host}:${identity.port} (${security})`;
}

/** The dialog's text, separate so it can be read in tests. */
export function relayChangeText(change: RelayChange): { message: string; detail: string } {
  return {
    message: `Send your token to the changed relay "${change.profileName}"?`,
    detail:
      `Your token was saved for ${describe(change.from)}.\n` +
      `The profile now points to ${describe(change.to)}.\n\n` +
      'Only continue if you made this change yourself. Otherwise cancel and check Settings.',
  };
}

export function createRelayChangeDialog(
  getWindow: () => BrowserWindow | null,
): (change: RelayChange) => Promise<boolean> {
  return async (change) => {
    const { message, detail } = relayChangeText(change);
    const options = {
      type: 'warning' as const,
      buttons: ['Cancel', 'Send token to this relay'],
      defaultId: 0,
      cancelId: 0,
      noLink: true,
      title: 'CloudBridge: relay changed',
      message,
      detail,
    };
    const window = getWindow();
    const result =
      window === null || window.isDestroyed()
        ? await dialog.showMessageBox(options)
        : await dialog.showMessageBox(window, options);
    return result.response === 1;
  };
}

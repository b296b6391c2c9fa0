// The native question main asks before a stored token may go to a changed relay profile
// (services/token-gate.ts). A dialog of main's own, so a page cannot answer it for the user;
// the default and the Escape key both keep the token back. Worded from the shared catalogue
// in the app's language.

import { dialog, type BrowserWindow } from 'electron';
import type { RelayChange } from '../services/token-gate';
import type { RelayIdentity } from '../services/token-binding';
import { translatorFor, type Translator } from '../shared/i18n/translator';

const ENGLISH = (): Translator => translatorFor('en');

function describe(identity: RelayIdentity | null, t: Translator): string {
  if (identity === null) return t('relayChange.noRelay');
  const security = identity.insecure
    ? t('relayChange.plaintext')
    : [
        identity.caFile === null
          ? t('relayChange.systemCertificates')
          : t('relayChange.caFile', { path: identity.caFile }),
        identity.pinSha256 === null
          ? t('relayChange.noPin')
          : t('relayChange.pin', { pin: identity.pinSha256 }),
        identity.serverName === null
          ? null
          : t('relayChange.serverName', { name: identity.serverName }),
      ]
        .filter((part) => part !== null)
        .join(', ');
  return t('relayChange.endpoint', { address: `${identity.host}:${identity.port}`, security });
}

/** The dialog's text, separate so it can be read in tests. */
export function relayChangeText(
  change: RelayChange,
  t: Translator = ENGLISH(),
): { message: string; detail: string } {
  return {
    message: t('relayChange.message', { name: change.profileName }),
    detail: t('relayChange.detail', {
      from: describe(change.from, t),
      to: describe(change.to, t),
    }),
  };
}

export function createRelayChangeDialog(
  getWindow: () => BrowserWindow | null,
  translator: () => Translator = ENGLISH,
): (change: RelayChange) => Promise<boolean> {
  return async (change) => {
    const t = translator();
    const { message, detail } = relayChangeText(change, t);
    const options = {
      type: 'warning' as const,
      buttons: [t('form.cancel'), t('relayChange.send')],
      defaultId: 0,
      cancelId: 0,
      noLink: true,
      title: t('relayChange.title'),
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

// The shared computer's row in the tray, in the tunnel rows' style: one submenu whose label
// says its state in words ("Share “office-pc” — online · 1 connected"), with why it failed,
// who is connected, Start or Stop sharing and Show in window inside. Shown once a share has
// been set up. Pure; errors come from the catalogue, never the engine's text.

import type { AppSnapshot } from '../shared/ipc-contract';
import { errorActionKey, errorTextKey } from '../shared/i18n/error-advice';
import type { Translator } from '../shared/i18n/translator';
import { serviceOfPort, type ShareSettings } from '../shared/share-model';
import { livePublish, shareStatus } from '../shared/share-view';
import type { TrayMenuItem } from '../shared/tray-types';
import { disabledItem, textLines } from './tray-rows';

/** Connections listed by name in the row; more are counted in its label only. */
export const MAX_LISTED_CONNECTIONS = 5;

function rowLabel(t: Translator, snapshot: AppSnapshot, share: ShareSettings): string {
  const name = share.name;
  const publish = livePublish(share, snapshot.engine);
  switch (shareStatus(share, snapshot.engine)) {
    case 'off':
      return t('tray.share.off', { name });
    case 'online': {
      const count = publish?.connections.length ?? 0;
      return count === 0
        ? t('tray.share.online', { name })
        : t('tray.share.onlineCount', { name, count });
    }
    case 'starting':
      return t('tray.share.starting', { name });
    case 'offline':
      return t('tray.share.offline', { name });
    case 'error':
      return t('tray.share.problem', { name, code: publish?.error?.code ?? 'other' });
    case 'waiting':
      return snapshot.engine.state === 'disconnected'
        ? t('tray.share.idle', { name })
        : t('tray.share.waiting', { name });
  }
}

/** The refusal in words: the relay's reason when the app can say it, then what to do. */
function problemLines(t: Translator, snapshot: AppSnapshot, share: ShareSettings): TrayMenuItem[] {
  const error = livePublish(share, snapshot.engine)?.error ?? null;
  if (error === null || !share.enabled) return [];
  const lines =
    error.detailKey !== undefined
      ? textLines(t(error.detailKey, error.params))
      : [...textLines(t(errorTextKey(error.code))), ...textLines(t(errorActionKey(error.code)))];
  lines.push({ kind: 'separator' });
  return lines;
}

function connectionLines(t: Translator, snapshot: AppSnapshot, share: ShareSettings) {
  const connections = livePublish(share, snapshot.engine)?.connections ?? [];
  if (!share.enabled || connections.length === 0) return [];
  const lines: TrayMenuItem[] = connections.slice(0, MAX_LISTED_CONNECTIONS).map((c) => {
    const service = serviceOfPort(c.port);
    return {
      kind: 'label',
      label: t('tray.share.connection', {
        sub: c.sub,
        service:
          service === null ? t('share.port', { port: c.port }) : t(`share.service.${service}`),
      }),
    };
  });
  lines.push({ kind: 'separator' });
  return lines;
}

/** Why Start sharing could not work now, or null when it can. */
function startBlocker(t: Translator, snapshot: AppSnapshot): string | null {
  if (snapshot.settings.relay === null) return t('tray.reason.noRelay');
  if (!snapshot.account.signedIn) return t('tray.reason.signedOut');
  return null;
}

/** The share's row, with a separator after it; nothing before a share was set up. */
export function shareRows(t: Translator, snapshot: AppSnapshot): TrayMenuItem[] {
  const share = snapshot.settings.share;
  if (share === undefined) return [];
  const items: TrayMenuItem[] = [
    ...problemLines(t, snapshot, share),
    ...connectionLines(t, snapshot, share),
  ];
  if (share.enabled) {
    items.push({ kind: 'action', label: t('tray.share.stop'), action: { type: 'stopShare' } });
  } else {
    const blocker = startBlocker(t, snapshot);
    const label = t('tray.share.start');
    const { enabled: _enabled, ...draft } = share;
    items.push(
      blocker === null
        ? { kind: 'action', label, action: { type: 'startShare', draft } }
        : disabledItem(t, label, blocker),
    );
  }
  items.push({
    kind: 'action',
    label: t('tray.showInWindow'),
    action: { type: 'showView', view: 'share', tunnelId: null },
  });
  return [{ kind: 'submenu', label: rowLabel(t, snapshot, share), items }, { kind: 'separator' }];
}

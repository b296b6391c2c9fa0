// Pure mapping from the app snapshot to the tray: icon state, tooltip and menu items, worded
// from the shared catalogue (the window's words for states and errors). No electron here;
// electron/tray.ts renders the result.

import type { AppSnapshot, ResolvedLanguage } from '../shared/ipc-contract';
import type { TunnelSnapshot } from '../shared/model';
import { errorTextKey } from '../shared/i18n/error-advice';
import { translatorFor } from '../shared/i18n/translator';
import type { TrayIconState, TrayMenuItem, TrayModel } from '../shared/tray-types';

type Lang = ResolvedLanguage;

/** 'system' resolves through the OS locale the caller passes. */
export { resolveLanguage } from '../shared/ipc-contract';

function iconFor(snapshot: AppSnapshot): TrayIconState {
  const { state, lastError, tunnels } = snapshot.engine;
  if (state === 'active')
    return tunnels.some((t) => t.enabled && t.status === 'error') ? 'error' : 'active';
  if (state === 'authenticating' || state === 'registered' || state === 'reconnecting')
    return 'connecting';
  return lastError !== null ? 'error' : 'disconnected';
}

function isUp(t: TunnelSnapshot): boolean {
  return t.enabled && t.status === 'listening';
}

export function buildTrayModel(snapshot: AppSnapshot, language: Lang, nowMs: number): TrayModel {
  const t = translatorFor(language);
  const { engine } = snapshot;
  const enabled = engine.tunnels.filter((x) => x.enabled);
  let status: string;
  switch (engine.state) {
    case 'active':
      status = t('tray.active', { ready: enabled.filter(isUp).length, total: enabled.length });
      break;
    case 'authenticating':
      status = t('tray.connecting');
      break;
    case 'registered':
      status = t('tray.startingTunnels');
      break;
    case 'reconnecting':
      status = t('tray.reconnecting', {
        attempt: engine.session.reconnectAttempt,
        max: engine.session.maxReconnectAttempts,
      });
      break;
    default:
      status =
        engine.lastError !== null
          ? t('tray.error', { reason: t(errorTextKey(engine.lastError.code)) })
          : t('state.disconnected');
  }
  // Start-up waits on the keychain (it may prompt): the tray says so instead of "Disconnected".
  if (snapshot.notices.some((n) => n.kind === 'keychain_unlocking'))
    status = t('notice.keychain_unlocking');
  if (engine.session.insecure && engine.state !== 'disconnected')
    status = t('tray.insecure', { status });

  const items: TrayMenuItem[] = [{ kind: 'label', label: status }];
  if (engine.state === 'reconnecting') {
    if (engine.session.nextRetryAt !== null) {
      const seconds = Math.max(
        0,
        Math.ceil((Date.parse(engine.session.nextRetryAt) - nowMs) / 1000),
      );
      items.push({ kind: 'label', label: t('tray.nextTry', { seconds }) });
    }
    items.push({
      kind: 'action',
      label: t('status.retryNow'),
      action: { type: 'retryNow' },
      enabled: true,
    });
  }
  items.push({ kind: 'separator' });
  if (engine.tunnels.length === 0) {
    items.push({ kind: 'label', label: t('tray.noTunnels') });
  } else {
    for (const x of engine.tunnels) {
      items.push({
        kind: 'checkbox',
        label: t('tray.tunnel', {
          name: x.name,
          local: String(x.localPort),
          remote: `${x.remoteHost}:${x.remotePort}`,
        }),
        checked: x.enabled,
        action: { type: 'toggleTunnel', tunnelId: x.id, enabled: !x.enabled },
        enabled: true,
      });
    }
  }
  items.push({ kind: 'separator' });
  const canConnect = snapshot.settings.relay !== null && snapshot.account.signedIn;
  if (engine.state === 'disconnected') {
    items.push({
      kind: 'action',
      label: t('status.connect'),
      action: { type: 'connect' },
      enabled: canConnect,
    });
  } else {
    items.push({
      kind: 'action',
      label: t('status.disconnect'),
      action: { type: 'disconnect' },
      enabled: true,
    });
  }
  items.push({ kind: 'separator' });
  items.push({
    kind: 'action',
    label: t('tray.open'),
    action: { type: 'openWindow' },
    enabled: true,
  });
  items.push({
    kind: 'action',
    label: t('tray.logs'),
    action: { type: 'viewLogs' },
    enabled: true,
  });
  items.push({ kind: 'separator' });
  items.push({ kind: 'action', label: t('tray.quit'), action: { type: 'quit' }, enabled: true });

  const tooltip = t('tray.tooltip', { status });
  return {
    icon: iconFor(snapshot),
    tooltip: tooltip.length > 127 ? `${tooltip.slice(0, 126)}…` : tooltip,
    items,
  };
}

// Pure mapping from the app snapshot to the tray: icon state, tooltip and menu items, in
// English or Russian. No electron here; electron/tray.ts renders the result.

import type { AppSnapshot, ResolvedLanguage } from '../shared/ipc-contract';
import type { TunnelSnapshot } from '../shared/model';
import type { TrayIconState, TrayMenuItem, TrayModel } from '../shared/tray-types';

type Lang = ResolvedLanguage;

/** Russian plural forms: one (1, 21), few (2-4, 22-24), many (5-20, 11-14). */
function ruPlural(n: number, one: string, few: string, many: string): string {
  const mod10 = n % 10;
  const mod100 = n % 100;
  if (mod10 === 1 && mod100 !== 11) return one;
  if (mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14)) return few;
  return many;
}

const STRINGS = {
  en: {
    disconnected: 'Disconnected',
    connecting: 'Connecting…',
    registered: 'Connected, registering tunnels…',
    active: (up: number, total: number) =>
      `Active, ${up} of ${total} ${total === 1 ? 'tunnel' : 'tunnels'}`,
    reconnecting: (attempt: number, max: number) => `Reconnecting (attempt ${attempt} of ${max})`,
    error: (message: string) => `Error: ${message}`,
    nextTry: (s: number) => `Next try in ${s} s`,
    retryNow: 'Retry now',
    connect: 'Connect',
    disconnect: 'Disconnect',
    open: 'Open CloudBridge',
    logs: 'View logs',
    quit: 'Quit',
    noTunnels: 'No tunnels configured',
    insecure: ' (INSECURE, no TLS)',
    unlocking: 'Unlocking keychain…',
  },
  ru: {
    disconnected: 'Отключено',
    connecting: 'Подключение…',
    registered: 'Подключено, регистрация туннелей…',
    active: (up: number, total: number) =>
      `Активно, ${up} из ${total} ${ruPlural(total, 'туннеля', 'туннелей', 'туннелей')}`,
    reconnecting: (attempt: number, max: number) =>
      `Переподключение (попытка ${attempt} из ${max})`,
    error: (message: string) => `Ошибка: ${message}`,
    nextTry: (s: number) => `Следующая попытка через ${s} с`,
    retryNow: 'Повторить сейчас',
    connect: 'Подключить',
    disconnect: 'Отключить',
    open: 'Открыть CloudBridge',
    logs: 'Журнал',
    quit: 'Выход',
    noTunnels: 'Туннели не настроены',
    insecure: ' (НЕЗАЩИЩЕНО, без TLS)',
    unlocking: 'Разблокировка связки ключей…',
  },
} as const;

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
  const s = STRINGS[language];
  const { engine } = snapshot;
  const enabled = engine.tunnels.filter((t) => t.enabled);
  let status: string;
  switch (engine.state) {
    case 'active':
      status = s.active(enabled.filter(isUp).length, enabled.length);
      break;
    case 'authenticating':
      status = s.connecting;
      break;
    case 'registered':
      status = s.registered;
      break;
    case 'reconnecting':
      status = s.reconnecting(engine.session.reconnectAttempt, engine.session.maxReconnectAttempts);
      break;
    default:
      status = engine.lastError !== null ? s.error(engine.lastError.message) : s.disconnected;
  }
  // Start-up waits on the keychain (it may prompt): the tray says so instead of "Disconnected".
  if (snapshot.notices.some((n) => n.kind === 'keychain_unlocking')) status = s.unlocking;
  if (engine.session.insecure && engine.state !== 'disconnected') status += s.insecure;

  const items: TrayMenuItem[] = [{ kind: 'label', label: status }];
  if (engine.state === 'reconnecting') {
    if (engine.session.nextRetryAt !== null) {
      const seconds = Math.max(
        0,
        Math.ceil((Date.parse(engine.session.nextRetryAt) - nowMs) / 1000),
      );
      items.push({ kind: 'label', label: s.nextTry(seconds) });
    }
    items.push({ kind: 'action', label: s.retryNow, action: { type: 'retryNow' }, enabled: true });
  }
  items.push({ kind: 'separator' });
  if (engine.tunnels.length === 0) {
    items.push({ kind: 'label', label: s.noTunnels });
  } else {
    for (const t of engine.tunnels) {
      items.push({
        kind: 'checkbox',
        label: `${t.name} (${t.localPort} → ${t.remoteHost}:${t.remotePort})`,
        checked: t.enabled,
        action: { type: 'toggleTunnel', tunnelId: t.id, enabled: !t.enabled },
        enabled: true,
      });
    }
  }
  items.push({ kind: 'separator' });
  const canConnect = snapshot.settings.relay !== null && snapshot.account.signedIn;
  if (engine.state === 'disconnected') {
    items.push({
      kind: 'action',
      label: s.connect,
      action: { type: 'connect' },
      enabled: canConnect,
    });
  } else {
    items.push({
      kind: 'action',
      label: s.disconnect,
      action: { type: 'disconnect' },
      enabled: true,
    });
  }
  items.push({ kind: 'separator' });
  items.push({ kind: 'action', label: s.open, action: { type: 'openWindow' }, enabled: true });
  items.push({ kind: 'action', label: s.logs, action: { type: 'viewLogs' }, enabled: true });
  items.push({ kind: 'separator' });
  items.push({ kind: 'action', label: s.quit, action: { type: 'quit' }, enabled: true });

  const tooltip = `CloudBridge: ${status}`;
  return {
    icon: iconFor(snapshot),
    tooltip: tooltip.length > 127 ? `${tooltip.slice(0, 126)}…` : tooltip,
    items,
  };
}

// The tray's tunnel rows: one submenu per tunnel whose label says its state in words ("Office
// PC — ready · 127.0.0.1:13389", "Intranet — port 8080 in use"), with turn on/off, copy,
// open and show-in-window inside. Pure; errors come from the catalogue, never the engine's text.

import type { ConnectionState, TunnelSnapshot } from '../shared/model';
import { errorActionKey, errorTextKey } from '../shared/i18n/error-advice';
import type { Translator } from '../shared/i18n/translator';
import type { TrayMenuItem } from '../shared/tray-types';
import { buildOpenCommand } from './tunnel-launcher';

/** Where a client dials the tunnel: a wildcard or empty bind address is reached on loopback. */
export function tunnelAddress(t: Pick<TunnelSnapshot, 'localHost' | 'localPort'>): string {
  const host =
    t.localHost === '' || t.localHost === '0.0.0.0'
      ? '127.0.0.1'
      : t.localHost === '::'
        ? '::1'
        : t.localHost;
  return host.includes(':') ? `[${host}]:${t.localPort}` : `${host}:${t.localPort}`;
}

/** An enabled tunnel that failed, or whose connections are failing while it listens. */
export function isTunnelInTrouble(t: TunnelSnapshot): boolean {
  return t.enabled && (t.status === 'error' || (t.status === 'listening' && t.error !== null));
}

/**
 * Lines to read are wrapped at this many characters: native menu items never wrap, and one
 * error sentence would otherwise make the whole menu as wide as itself.
 */
export const MAX_LINE_CHARS = 56;

/** A sentence as greyed menu lines, broken between words (an address is never split). */
export function textLines(text: string, max = MAX_LINE_CHARS): TrayMenuItem[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > max) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines.map((label) => ({ kind: 'label', label }));
}

/** An entry that cannot be used now, its reason in the label itself. */
export function disabledItem(t: Translator, label: string, reason: string): TrayMenuItem {
  return { kind: 'disabled', label: t('tray.disabled', { label, reason }), reason };
}

function rowLabel(t: Translator, x: TunnelSnapshot, session: ConnectionState): string {
  const name = x.name;
  const address = tunnelAddress(x);
  const problem = () =>
    t('tray.problem', { code: x.error?.code ?? 'other', port: String(x.localPort) });
  if (!x.enabled) return t('tray.tunnel.off', { name });
  switch (x.status) {
    case 'listening':
      return x.error === null
        ? t('tray.tunnel.ready', { name, address })
        : t('tray.tunnel.readyProblem', { name, address, problem: problem() });
    case 'error':
      return t('tray.tunnel.problem', { name, problem: problem() });
    case 'registering':
      return t('tray.tunnel.registering', { name });
    default:
      // A tunnel that is on waits for the relay, unless nobody is trying to reach one.
      return session === 'disconnected'
        ? t('tray.tunnel.idle', { name })
        : t('tray.tunnel.pending', { name });
  }
}

/** The error in words, who holds the port (when known) and what to do, as lines to read. */
function problemLines(t: Translator, x: TunnelSnapshot): TrayMenuItem[] {
  const error = x.error;
  if (error === null || !x.enabled) return [];
  const lines = textLines(t(errorTextKey(error.code)));
  if (error.detailKey !== undefined) lines.push(...textLines(t(error.detailKey, error.params)));
  const advice = t(errorActionKey(error.code));
  if (advice !== '') lines.push(...textLines(advice));
  lines.push({ kind: 'separator' });
  return lines;
}

function tunnelRow(
  t: Translator,
  x: TunnelSnapshot,
  session: ConnectionState,
  platform: NodeJS.Platform,
): TrayMenuItem {
  const items: TrayMenuItem[] = [
    ...problemLines(t, x),
    {
      kind: 'action',
      label: t(x.enabled ? 'tray.turnOff' : 'tray.turnOn'),
      action: { type: 'toggleTunnel', tunnelId: x.id, enabled: !x.enabled },
    },
    {
      kind: 'action',
      label: t('tray.copyAddress'),
      action: { type: 'copyText', text: tunnelAddress(x) },
    },
  ];
  // Open only for the kinds there is an app for (tunnel-launcher.ts decides, as for the window).
  if (buildOpenCommand(x, platform) !== null) {
    const label = t('tray.openTunnel', { type: x.kind });
    if (x.enabled && x.status === 'listening')
      items.push({ kind: 'action', label, action: { type: 'openTunnel', tunnelId: x.id } });
    else
      items.push(
        disabledItem(t, label, t(x.enabled ? 'tray.reason.notReady' : 'tray.reason.tunnelOff')),
      );
  }
  items.push({
    kind: 'action',
    label: t('tray.showInWindow'),
    action: { type: 'showView', view: 'tunnels', tunnelId: x.id },
  });
  return { kind: 'submenu', label: rowLabel(t, x, session), items };
}

/** Every tunnel's row, then "Turn all tunnels off" while one is on; an empty list offers "Add". */
export function tunnelRows(
  t: Translator,
  tunnels: readonly TunnelSnapshot[],
  session: ConnectionState,
  platform: NodeJS.Platform,
): TrayMenuItem[] {
  if (tunnels.length === 0)
    return [
      { kind: 'label', label: t('tray.noTunnels') },
      {
        kind: 'action',
        label: t('tray.addTunnel'),
        action: { type: 'showView', view: 'tunnels', tunnelId: null },
      },
    ];
  const rows = tunnels.map((x) => tunnelRow(t, x, session, platform));
  if (tunnels.some((x) => x.enabled))
    rows.push({ kind: 'action', label: t('tray.allOff'), action: { type: 'turnAllTunnelsOff' } });
  return rows;
}

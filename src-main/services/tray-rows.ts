// The tray's tunnel rows: one submenu per tunnel whose label says its state in words ("Office
// PC — ready · 127.0.0.1:13389", "Intranet — port 8080 in use"), with turn on/off, copy,
// open and show-in-window inside. Pure; errors come from the catalogue, never the engine's text.

import type { ConnectionState, TunnelSnapshot } from '../shared/model';
import { errorActionKey, errorTextKey } from '../shared/i18n/error-advice';
import type { Translator } from '../shared/i18n/translator';
import type { TrayMenuItem } from '../shared/tray-types';
import { dialAddress } from '../shared/tunnel-presets';
import { buildOpenCommand } from './tunnel-launcher';

/** Where a client dials the tunnel, as the window says and copies it (shared/tunnel-presets.ts). */
export function tunnelAddress(t: Pick<TunnelSnapshot, 'localHost' | 'localPort'>): string {
  // The engine binds an empty address as 127.0.0.1 (engine/tunnel-runtime.ts).
  return dialAddress({ localPort: t.localPort, localHost: t.localHost || '127.0.0.1' });
}

/** Open is offered where there is something to open it with: a browser, or an app. */
function canOpen(x: TunnelSnapshot, platform: NodeJS.Platform): boolean {
  return x.kind === 'web' || buildOpenCommand(x, platform) !== null;
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

/** A tunnel's trouble in a few words ("port 8080 in use"), for its row. */
function problemWords(t: Translator, x: TunnelSnapshot): string {
  return t('tray.problem', { code: x.error?.code ?? 'other', port: String(x.localPort) });
}

function rowLabel(t: Translator, x: TunnelSnapshot, session: ConnectionState): string {
  const name = x.name;
  const address = tunnelAddress(x);
  if (!x.enabled) return t('tray.tunnel.off', { name });
  switch (x.status) {
    case 'listening':
      return x.error === null
        ? t('tray.tunnel.ready', { name, address })
        : t('tray.tunnel.readyProblem', { name, address, problem: problemWords(t, x) });
    case 'error':
      return t('tray.tunnel.problem', { name, problem: problemWords(t, x) });
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

/** Why Open cannot work yet: the tunnel is off, its own trouble, or it is not ready. */
function openBlocker(t: Translator, x: TunnelSnapshot): string {
  if (!x.enabled) return t('tray.reason.tunnelOff');
  return x.status === 'error' ? problemWords(t, x) : t('tray.reason.notReady');
}

function tunnelRow(
  t: Translator,
  x: TunnelSnapshot,
  session: ConnectionState,
  platform: NodeJS.Platform,
): TrayMenuItem {
  const items: TrayMenuItem[] = problemLines(t, x);
  if (x.enabled && x.status === 'error')
    items.push({
      kind: 'action',
      label: t('tray.retryTunnel'),
      action: { type: 'retryTunnel', tunnelId: x.id },
    });
  items.push(
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
  );
  // Open only for the kinds there is an app for (services/tunnel-requests.ts opens them).
  if (canOpen(x, platform)) {
    const label = t('tray.openTunnel', { type: x.kind });
    if (x.enabled && x.status === 'listening')
      items.push({ kind: 'action', label, action: { type: 'openTunnel', tunnelId: x.id } });
    else items.push(disabledItem(t, label, openBlocker(t, x)));
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

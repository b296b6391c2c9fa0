// The tunnel requests of the window and the tray: switch one or all on or off, add or change one
// (checked by the shared rules, refused field by field with message keys), remove one, open
// one in its app or the browser, try one again, copy its address, suggest a free local port.
// Changes go to the settings first, then to the engine session.

import type { TunnelDraft, FieldErrors, PortSuggestionRequest } from '../shared/ipc-contract';
import type { TunnelConfig, TunnelStatus } from '../shared/model';
import { dialAddress, webUrl } from '../shared/tunnel-presets';
import { isValidHost, isValidPort, validateTunnelDraft } from '../shared/tunnel-validation';
import type { EngineSession } from './engine-session';
import { ServiceError, messageOf } from './errors';
import type { Logger } from './logger';
import type { PortSuggestions } from './port-suggestions';
import { saveSettingsOrThrow, type SettingsStore } from './settings-store';
import { buildOpenCommand, type Spawner } from './tunnel-launcher';

export interface TunnelRequestsOptions {
  readonly settingsStore: SettingsStore;
  readonly session: Pick<EngineSession, 'setTunnels' | 'setTunnelEnabled'>;
  readonly logger: Logger;
  readonly random: () => number;
  readonly platform: NodeJS.Platform;
  readonly launch?: Spawner;
  /** Opens a Web tunnel's page in the system browser (shell.openExternal in the app). */
  readonly openUrl?: (url: string) => Promise<void>;
  /** Puts text on the system clipboard (Electron's clipboard in the app). */
  readonly writeClipboard?: (text: string) => Promise<void> | void;
  readonly ports?: PortSuggestions;
  /** The tunnel's status as shown now (a listening tunnel holds its own port). */
  readonly tunnelStatus?: (id: string) => TunnelStatus | null;
}

export interface TunnelRequests {
  setEnabled(id: string, enabled: boolean): Promise<void>;
  /** Every tunnel to `enabled`, saved once; the ones already there are left alone. */
  setAllEnabled(enabled: boolean): Promise<void>;
  save(draft: TunnelDraft): Promise<TunnelConfig>;
  remove(id: string): Promise<void>;
  open(id: string): Promise<void>;
  /** Off and on again in the engine only: a new listener and registration, settings untouched. */
  retry(id: string): Promise<void>;
  /** The address a client dials, put on the clipboard; returns what was copied. */
  copyAddress(id: string): Promise<string>;
  suggestPort(request: PortSuggestionRequest): Promise<number>;
}

export function newTunnelId(random: () => number): string {
  let id = 't-';
  for (let i = 0; i < 12; i += 1) id += Math.floor(random() * 36).toString(36);
  return id;
}

/** A form with field errors is refused with every problem on its field (Result.fields). */
export function rejectInvalidFields(fields: FieldErrors): void {
  if (Object.keys(fields).length === 0) return;
  throw new ServiceError(
    'invalid_tunnel_info',
    'Check the highlighted fields.',
    Object.keys(fields).join(', '),
    fields,
  );
}

function gone(): ServiceError {
  return new ServiceError('invalid_tunnel_info', 'This tunnel no longer exists.');
}

export function createTunnelRequests(options: TunnelRequestsOptions): TunnelRequests {
  const { settingsStore, session, logger } = options;
  const find = (id: string): TunnelConfig => {
    const tunnel = settingsStore.get().tunnels.find((t) => t.id === id);
    if (!tunnel) throw gone();
    return tunnel;
  };

  /** Only a loopback-style URL built from a valid local address ever reaches the browser. */
  async function openInBrowser(tunnel: TunnelConfig): Promise<void> {
    if (!isValidPort(tunnel.localPort) || !isValidHost(tunnel.localHost) || !options.openUrl)
      throw new ServiceError(
        'internal_error',
        'There is no browser to open this tunnel with; open its address yourself.',
      );
    const url = webUrl(tunnel);
    try {
      await options.openUrl(url);
    } catch (error) {
      throw new ServiceError('internal_error', `Could not open ${url}.`, messageOf(error));
    }
  }

  return {
    async setEnabled(id, enabled) {
      const current = settingsStore.get();
      if (!current.tunnels.some((t) => t.id === id)) throw gone();
      await saveSettingsOrThrow(settingsStore, {
        ...current,
        tunnels: current.tunnels.map((t) => (t.id === id ? { ...t, enabled } : t)),
      });
      session.setTunnelEnabled(id, enabled);
    },
    async setAllEnabled(enabled) {
      const current = settingsStore.get();
      const changing = current.tunnels.filter((t) => t.enabled !== enabled);
      if (changing.length === 0) return;
      const tunnels = current.tunnels.map((t) => (t.enabled === enabled ? t : { ...t, enabled }));
      await saveSettingsOrThrow(settingsStore, { ...current, tunnels });
      session.setTunnels(tunnels);
      logger.log('info', enabled ? 'tunnels_all_on' : 'tunnels_all_off', {
        count: changing.length,
      });
    },
    async save(draft) {
      const current = settingsStore.get();
      rejectInvalidFields(validateTunnelDraft(draft, current.tunnels));
      const config: TunnelConfig = {
        id: draft.id ?? newTunnelId(options.random),
        name: draft.name.trim(),
        kind: draft.kind,
        localHost: draft.localHost.trim(),
        localPort: draft.localPort,
        // A published server's tunnel shows its name where a host would be; only `server` is sent.
        remoteHost: draft.server ?? draft.remoteHost.trim(),
        remotePort: draft.remotePort,
        enabled: draft.enabled,
        ...(draft.server !== undefined ? { server: draft.server } : {}),
      };
      const tunnels =
        draft.id === undefined
          ? [...current.tunnels, config]
          : current.tunnels.map((t) => (t.id === config.id ? config : t));
      await saveSettingsOrThrow(settingsStore, { ...current, tunnels });
      session.setTunnels(tunnels);
      logger.log(
        'info',
        draft.id === undefined ? 'tunnel_added' : 'tunnel_changed',
        { local_port: config.localPort },
        config.id,
      );
      return config;
    },
    async remove(id) {
      const current = settingsStore.get();
      if (!current.tunnels.some((t) => t.id === id)) return;
      const tunnels = current.tunnels.filter((t) => t.id !== id);
      await saveSettingsOrThrow(settingsStore, { ...current, tunnels });
      session.setTunnels(tunnels);
      settingsStore.removeTotals(id);
      logger.log('info', 'tunnel_removed', {}, id);
    },
    async open(id) {
      const tunnel = settingsStore.get().tunnels.find((t) => t.id === id);
      if (!tunnel) throw gone();
      if (tunnel.kind === 'web') return openInBrowser(tunnel);
      const command = buildOpenCommand(tunnel, options.platform);
      if (command === null || !options.launch) {
        throw new ServiceError(
          'internal_error',
          'There is no app to open this kind of tunnel with; connect to the local port yourself.',
        );
      }
      try {
        await options.launch(command);
      } catch (error) {
        throw new ServiceError(
          'internal_error',
          `Could not start ${command.command}.`,
          messageOf(error),
        );
      }
    },
    retry(id) {
      return new Promise<void>((resolve) => {
        const tunnel = find(id);
        if (tunnel.enabled) {
          session.setTunnelEnabled(id, false);
          session.setTunnelEnabled(id, true);
          logger.log('info', 'tunnel_retried', { local_port: tunnel.localPort }, id);
        }
        resolve();
      });
    },
    async copyAddress(id) {
      const text = dialAddress(find(id));
      if (!options.writeClipboard)
        throw new ServiceError('internal_error', `There is no clipboard here; it is ${text}.`);
      // Electron's clipboard answers with a promise; a refusal becomes this request's.
      await options.writeClipboard(text);
      return text;
    },
    async suggestPort(request) {
      if (!options.ports) throw new ServiceError('internal_error', 'Ports cannot be checked here.');
      const ownListening =
        request.tunnelId !== undefined && options.tunnelStatus?.(request.tunnelId) === 'listening';
      return options.ports.suggest(request, settingsStore.get().tunnels, ownListening);
    },
  };
}

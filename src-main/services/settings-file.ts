// Reading settings.json: a file of the wrong shape is corrupt; a relay profile or tunnel of
// the right shape whose fields fail the checks the window's input gets
// (shared/tunnel-validation.ts) is refused whole, never half-loaded, and named in a notice.
// Pure: the store (settings-store.ts) does the file moves and writes.

import type { AppSettings, RelayProfile } from '../shared/ipc-contract';
import {
  isLanguage,
  isNotificationSettings,
  isRelayProfile,
  isShareSettings,
  isTunnelKind,
} from '../shared/ipc-guards';
import type { TunnelConfig } from '../shared/model';
import { validateShareDraft, type ShareSettings } from '../shared/share-model';
import { validateRelayProfile, validateTunnelDraft } from '../shared/tunnel-validation';

export const DEFAULT_SETTINGS: AppSettings = {
  relay: null,
  tunnels: [],
  autoConnect: true,
  launchAtLogin: false,
  notifications: { connectionLost: true, connectionRestored: true, tokenExpiry: true },
  language: 'system',
};

/** Ids main generates are short; a longer one was not written by this app. */
const MAX_ID_LENGTH = 200;

/** One entry of the file that was not loaded, and why (field names, for the notice). */
export interface RefusedEntry {
  readonly kind: 'relay' | 'tunnel' | 'share';
  /** The entry's name as the file gives it (shortened), for the user to recognise it. */
  readonly label: string;
  readonly fields: readonly string[];
}

export interface ParsedSettings {
  readonly settings: AppSettings;
  readonly refused: readonly RefusedEntry[];
}

function isTunnelShape(value: unknown): value is TunnelConfig {
  if (typeof value !== 'object' || value === null) return false;
  const t = value as Record<string, unknown>;
  return (
    typeof t.id === 'string' &&
    t.id.length > 0 &&
    t.id.length <= MAX_ID_LENGTH &&
    typeof t.name === 'string' &&
    isTunnelKind(t.kind) &&
    typeof t.localHost === 'string' &&
    typeof t.localPort === 'number' &&
    typeof t.remoteHost === 'string' &&
    typeof t.remotePort === 'number' &&
    typeof t.enabled === 'boolean' &&
    (t.server === undefined || typeof t.server === 'string')
  );
}

/** Main stores names and hosts trimmed (app-controller tunnel.save); padding is not ours. */
function untrimmed(fields: Readonly<Record<string, string>>): string[] {
  return Object.entries(fields)
    .filter(([, v]) => v !== v.trim())
    .map(([k]) => k);
}

function tunnelProblems(tunnel: TunnelConfig, accepted: readonly TunnelConfig[]): string[] {
  // The draft check compares against the tunnels "already configured", including this one.
  const errors = validateTunnelDraft(tunnel, [...accepted, tunnel]);
  const padded = untrimmed({
    name: tunnel.name,
    localHost: tunnel.localHost,
    remoteHost: tunnel.remoteHost,
  });
  return [...new Set([...Object.keys(errors), ...padded])];
}

function relayProblems(relay: RelayProfile): string[] {
  const padded = untrimmed({
    host: relay.host,
    ...(relay.serverName ? { serverName: relay.serverName } : {}),
  });
  return [...new Set([...Object.keys(validateRelayProfile(relay)), ...padded])];
}

function label(text: string): string {
  const clean = text.replace(/[^\p{L}\p{N} ._-]/gu, '?').trim();
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean || '(no name)';
}

/**
 * Validates a parsed settings file; missing optional fields take defaults. Null = corrupt
 * (not the shape this app writes). Entries that fail a field rule are left out and listed.
 */
export function parseSettingsFile(value: unknown): ParsedSettings | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  let relay: RelayProfile | null = null;
  if (v.relay !== undefined && v.relay !== null) {
    if (!isRelayProfile(v.relay)) return null;
    relay = v.relay;
  }
  if (!Array.isArray(v.tunnels) || !v.tunnels.every(isTunnelShape)) return null;
  const tunnels: readonly TunnelConfig[] = v.tunnels;
  if (new Set(tunnels.map((t) => t.id)).size !== tunnels.length) return null;

  const refused: RefusedEntry[] = [];
  if (relay !== null) {
    const fields = relayProblems(relay);
    if (fields.length > 0) {
      refused.push({ kind: 'relay', label: label(relay.name), fields });
      relay = null;
    }
  }
  const accepted: TunnelConfig[] = [];
  for (const tunnel of tunnels) {
    const fields = tunnelProblems(tunnel, accepted);
    if (fields.length > 0) refused.push({ kind: 'tunnel', label: label(tunnel.name), fields });
    else accepted.push(tunnel);
  }
  // The share is checked like the window's input (shared/share-model.ts), refused whole.
  let share: ShareSettings | undefined;
  const stored = v.share;
  if (stored !== undefined && stored !== null) {
    const fields = isShareSettings(stored) ? Object.keys(validateShareDraft(stored)) : ['share'];
    if (isShareSettings(stored) && fields.length === 0) share = stored;
    else
      refused.push({
        kind: 'share',
        label: label(isShareSettings(stored) ? stored.name : 'share'),
        fields,
      });
  }
  const bool = (x: unknown, d: boolean) => (typeof x === 'boolean' ? x : d);
  return {
    settings: {
      relay,
      tunnels: accepted,
      autoConnect: bool(v.autoConnect, DEFAULT_SETTINGS.autoConnect),
      launchAtLogin: bool(v.launchAtLogin, DEFAULT_SETTINGS.launchAtLogin),
      notifications: isNotificationSettings(v.notifications)
        ? v.notifications
        : DEFAULT_SETTINGS.notifications,
      language: isLanguage(v.language) ? v.language : DEFAULT_SETTINGS.language,
      ...(share !== undefined ? { share } : {}),
    },
    refused,
  };
}

/**
 * The refused entries as the settings_reset notice names them: each entry's own name and the
 * file's keys that were wrong, e.g. `"Corp" (host); "Evil" (localHost)`. Names and keys are
 * the file's own words, so they read the same in every language.
 */
export function refusedEntries(refused: readonly RefusedEntry[]): string {
  return refused.map((r) => `"${r.label}" (${r.fields.join(', ')})`).join('; ');
}

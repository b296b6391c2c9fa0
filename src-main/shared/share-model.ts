// "Share this computer": what a person sets (a name, which of this computer's services, who may
// reach it), the rules those fields follow (docs/protocol.md#register), and the published
// servers Add tunnel offers. Pure, runs anywhere; main applies the same rules (never trust the
// renderer) and the renderer checks them as the person types.

import type { FieldProblem } from './ipc-contract';

/** The services of this computer a person can share; each is one published port. */
export const SHARE_SERVICES = ['rdp', 'ssh'] as const;
export type ShareService = (typeof SHARE_SERVICES)[number];

/** The port each service is published as, and dialled on 127.0.0.1 by default. */
export const SHARE_SERVICE_PORTS: Readonly<Record<ShareService, number>> = { rdp: 3389, ssh: 22 };

/** What the person chose to share; kept in settings.json (AppSettings.share). */
export interface ShareSettings {
  /** The published server's name (docs/protocol.md#register: lower case, digits, - and _). */
  readonly name: string;
  readonly services: readonly ShareService[];
  /** Who may reach it: these `sub`s of the tenant; null: the whole organisation. */
  readonly allowSubs: readonly string[] | null;
  /** True while sharing is on: the engine publishes it on every session. */
  readonly enabled: boolean;
}

/** What the Share view submits: the settings without the on/off state. */
export type ShareDraft = Omit<ShareSettings, 'enabled'>;

/** One published server of the tenant this identity may reach (docs/protocol.md#listing). */
export interface PublishedServerInfo {
  readonly name: string;
  readonly ports: readonly number[];
  /** True: streams are end to end (TLS inside, pinned to its key); false: keyless. */
  readonly keyed: boolean;
  readonly online: boolean;
}

/** docs/protocol.md#register: 1-63 of a-z, 0-9, - and _, a letter or digit at each end. */
const SERVER_NAME = /^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$/;
/** docs/protocol.md#register: `allowed_subs`, 1 to 64 subs of 1-256 characters. */
export const MAX_ALLOWED_SUBS = 64;
export const MAX_SUB_LENGTH = 256;

export function isServerName(value: unknown): value is string {
  return typeof value === 'string' && SERVER_NAME.test(value);
}

export function isShareService(value: unknown): value is ShareService {
  return typeof value === 'string' && (SHARE_SERVICES as readonly string[]).includes(value);
}

export type ShareField = 'name' | 'services' | 'allowSubs';
export type ShareFieldErrors = Partial<Record<ShareField, FieldProblem>>;

/** Field -> problem for a share draft; empty means it can be published. */
export function validateShareDraft(draft: ShareDraft): ShareFieldErrors {
  const fields: { -readonly [K in ShareField]?: FieldProblem } = {};
  if (draft.name === '') fields.name = { key: 'validation.required' };
  else if (!isServerName(draft.name)) fields.name = { key: 'validation.serverName' };
  const services = new Set(draft.services);
  if (services.size === 0 || services.size !== draft.services.length)
    fields.services = { key: 'validation.shareServices' };
  const subs = draft.allowSubs;
  if (subs !== null) {
    if (subs.length === 0) fields.allowSubs = { key: 'validation.required' };
    else if (subs.length > MAX_ALLOWED_SUBS)
      fields.allowSubs = { key: 'validation.subCount', params: { max: MAX_ALLOWED_SUBS } };
    else if (
      new Set(subs).size !== subs.length ||
      subs.some((s) => s.length === 0 || s.length > MAX_SUB_LENGTH || s !== s.trim())
    )
      fields.allowSubs = { key: 'validation.subs', params: { max: MAX_SUB_LENGTH } };
  }
  return fields;
}

/** The user ids a person typed (commas, spaces or new lines between them), each once. */
export function parseSubs(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).filter((s) => s !== ''))];
}

/** A computer's host name as a server name: `DESK-42.corp.local` -> `desk-42`; '' if none. */
export function suggestShareName(hostName: string): string {
  const label = (hostName.split('.')[0] ?? '').toLowerCase();
  const cleaned = label
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 63)
    .replace(/[-_]+$/g, '');
  return isServerName(cleaned) ? cleaned : '';
}

/** Which service a published port is, when it is one a person shares from the app. */
export function serviceOfPort(port: number): ShareService | null {
  for (const service of SHARE_SERVICES) if (SHARE_SERVICE_PORTS[service] === port) return service;
  return null;
}

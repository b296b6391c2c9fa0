// Builds the diagnostics archive a user sends with a bug report: recent logs, settings, the
// state snapshot and versions, as a zip (fflate). Every entry is redacted (redact.ts) and every
// known secret value removed in its common encodings; pins and CA paths are not secret.

import { strToU8, zipSync } from 'fflate';
import { formatRecord } from './logger';
import { redactKnownSecrets, redactString, redactValue } from './redact';
import type { AppInfo, AppSettings, AppSnapshot } from '../shared/ipc-contract';
import type { LogRecord } from '../shared/model';

export interface DiagnosticsInput {
  readonly logs: readonly LogRecord[];
  readonly settings: AppSettings;
  readonly snapshot: AppSnapshot;
  readonly versions: AppInfo;
  /** Extra text files (e.g. the rotated log file), redacted like the rest. */
  readonly files?: Readonly<Record<string, string>>;
  /** Secret values the app knows (stored and reconnect tokens, key material): removed anywhere. */
  readonly secrets?: readonly string[];
  readonly createdAt: string;
}

function json(value: unknown): string {
  return `${JSON.stringify(redactValue(value), null, 2)}\n`;
}

export function buildDiagnosticsZip(input: DiagnosticsInput): Uint8Array {
  const secrets = input.secrets ?? [];
  const logs = input.logs
    .map((r) => redactString(formatRecord(redactValue(r) as LogRecord)))
    .join('\n');
  const texts: Record<string, string> = {
    'README.txt':
      `CloudBridge Desktop diagnostics, created ${input.createdAt}.\n` +
      'Tokens, keys, passwords and cookies have been removed from every file.\n',
    'versions.json': json(input.versions),
    'settings.json': json(input.settings),
    'snapshot.json': json(input.snapshot),
    'logs.jsonl': `${logs}\n`,
  };
  for (const [name, text] of Object.entries(input.files ?? {})) {
    const safeName = name.replace(/[^A-Za-z0-9._-]/g, '_');
    texts[`files/${safeName}`] = redactString(text);
  }
  const entries: Record<string, Uint8Array> = {};
  for (const [name, text] of Object.entries(texts))
    entries[name] = strToU8(redactKnownSecrets(text, secrets));
  return zipSync(entries, { level: 6 });
}

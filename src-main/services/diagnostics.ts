// Builds the diagnostics archive a user sends with a bug report: recent logs, settings, the
// state snapshot and versions, as a zip (fflate). Every secret is redacted on the way in
// (tokens, stream tokens, reconnect tokens); pins and CA paths are not secret and stay.

import { strToU8, zipSync } from 'fflate';
import { formatRecord } from './logger';
import { redactString, redactValue } from './redact';
import type { AppInfo, AppSettings, AppSnapshot } from '../shared/ipc-contract';
import type { LogRecord } from '../shared/model';

export interface DiagnosticsInput {
  readonly logs: readonly LogRecord[];
  readonly settings: AppSettings;
  readonly snapshot: AppSnapshot;
  readonly versions: AppInfo;
  /** Extra text files (e.g. the rotated log file), redacted like the rest. */
  readonly files?: Readonly<Record<string, string>>;
  readonly createdAt: string;
}

function json(value: unknown): Uint8Array {
  return strToU8(`${JSON.stringify(redactValue(value), null, 2)}\n`);
}

export function buildDiagnosticsZip(input: DiagnosticsInput): Uint8Array {
  const logs = input.logs
    .map((r) => redactString(formatRecord(redactValue(r) as LogRecord)))
    .join('\n');
  const entries: Record<string, Uint8Array> = {
    'README.txt': strToU8(
      `CloudBridge Desktop diagnostics, created ${input.createdAt}.\n` +
        'Tokens and stream tokens have been removed from every file.\n',
    ),
    'versions.json': json(input.versions),
    'settings.json': json(input.settings),
    'snapshot.json': json(input.snapshot),
    'logs.jsonl': strToU8(`${logs}\n`),
  };
  for (const [name, text] of Object.entries(input.files ?? {})) {
    const safeName = name.replace(/[^A-Za-z0-9._-]/g, '_');
    entries[`files/${safeName}`] = strToU8(redactString(text));
  }
  return zipSync(entries, { level: 6 });
}

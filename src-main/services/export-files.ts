// The files a user can save from the Logs view: the log as JSON lines and the diagnostics
// zip (logs, settings, snapshot, versions, the log file's tail), every known secret redacted,
// written 0600 where the user chose (or under <dataDir>/exports). No other writes.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AppInfo, AppSnapshot } from '../shared/ipc-contract';
import type { Clock } from '../shared/clock';
import { buildDiagnosticsZip } from './diagnostics';
import type { KnownSecrets, SecretSource } from './known-secrets';
import { formatRecord, type Logger } from './logger';
import type { SettingsStore } from './settings-store';

/** The tail of the log file reaches further back than the in-memory ring; this much of it. */
const DIAGNOSTICS_LOG_TAIL_CHARS = 2 * 1024 * 1024;

export interface ExportFilesOptions {
  readonly dataDir: string;
  readonly logDirectory: string;
  readonly appInfo: AppInfo;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settingsStore: SettingsStore;
  readonly snapshot: () => AppSnapshot;
  readonly readText: (path: string) => Promise<string>;
  readonly knownSecrets: KnownSecrets;
  /** Where each secret the redaction must know comes from (read at export time). */
  readonly secretSources: readonly SecretSource[];
  /** Where to save an export; null = the user cancelled. Default: <dataDir>/exports/<name>. */
  readonly chooseExportPath?: (defaultName: string) => Promise<string | null>;
}

export interface ExportFiles {
  exportLogs(): Promise<{ path: string | null }>;
  exportDiagnostics(): Promise<{ path: string | null }>;
}

export function createExportFiles(options: ExportFilesOptions): ExportFiles {
  const { logger, clock } = options;
  const iso = () => new Date(clock.now()).toISOString();
  const stamp = () => iso().replace(/[:.]/g, '-');

  async function exportPath(name: string): Promise<string | null> {
    if (options.chooseExportPath) return options.chooseExportPath(name);
    const path = join(options.dataDir, 'exports', name);
    await mkdir(dirname(path), { recursive: true });
    return path;
  }

  return {
    async exportLogs() {
      const path = await exportPath(`cloudbridge-logs-${stamp()}.jsonl`);
      if (path === null) return { path: null };
      await writeFile(path, `${logger.recent().map(formatRecord).join('\n')}\n`, { mode: 0o600 });
      return { path };
    },
    async exportDiagnostics() {
      const path = await exportPath(`cloudbridge-diagnostics-${stamp()}.zip`);
      if (path === null) return { path: null };
      const logFile = await options
        .readText(join(options.logDirectory, 'cloudbridge.log'))
        .catch(() => '');
      const zip = buildDiagnosticsZip({
        logs: logger.recent(),
        settings: options.settingsStore.get(),
        snapshot: options.snapshot(),
        versions: options.appInfo,
        files: logFile ? { 'cloudbridge.log': logFile.slice(-DIAGNOSTICS_LOG_TAIL_CHARS) } : {},
        secrets: await options.knownSecrets.collect(options.secretSources),
        createdAt: iso(),
      });
      await writeFile(path, zip, { mode: 0o600 });
      return { path };
    },
  };
}

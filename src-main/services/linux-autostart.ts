// Launch at login on Linux: Electron has no login-item API there, so the app writes (or
// removes) an XDG autostart entry, ~/.config/autostart/<id>.desktop, which GNOME, KDE and
// other desktops honour. Plain Node; the Electron layer only passes paths in.

import { join } from 'node:path';
import { writeTextAtomic, type StoreFs } from './atomic-json';

export const AUTOSTART_FILE = 'cloudbridge-desktop.desktop';

/**
 * Quotes one Exec argument per the Desktop Entry spec: arguments with reserved characters
 * go in double quotes, inside which `"`, `` ` ``, `$` and `\` are backslash-escaped; a
 * literal `%` is doubled because Exec field codes start with it.
 */
export function quoteExecArgument(argument: string): string {
  const percentSafe = argument.replace(/%/g, '%%');
  if (/^[A-Za-z0-9_./:@+=,%-]+$/.test(percentSafe)) return percentSafe;
  return `"${percentSafe.replace(/["`$\\]/g, (c) => `\\${c}`)}"`;
}

export function autostartEntry(execPath: string, args: readonly string[]): string {
  const exec = [execPath, ...args].map(quoteExecArgument).join(' ');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=CloudBridge Desktop',
    'Comment=Start CloudBridge Desktop in the tray at login',
    `Exec=${exec}`,
    'Icon=cloudbridge-desktop',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export interface LinuxAutostartOptions {
  /** $XDG_CONFIG_HOME, or ~/.config when unset. */
  readonly configHome: string;
  /** The program to start: the AppImage file when running from one, else the executable. */
  readonly execPath: string;
  readonly args: readonly string[];
  readonly fs: StoreFs;
}

/** Writes the entry (atomically) when enabled, removes it when not; both are idempotent. */
export async function setLinuxAutostart(
  enabled: boolean,
  options: LinuxAutostartOptions,
): Promise<void> {
  const dir = join(options.configHome, 'autostart');
  const path = join(dir, AUTOSTART_FILE);
  if (!enabled) {
    await options.fs.unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    return;
  }
  const entry = autostartEntry(options.execPath, options.args);
  // Called on every start: an entry that is already right is left alone.
  const existing = await options.fs.readFile(path).catch(() => null);
  if (existing === entry) return;
  await options.fs.mkdir(dir);
  await writeTextAtomic(options.fs, path, entry);
}

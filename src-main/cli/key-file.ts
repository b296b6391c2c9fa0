// The publishing computer's key for `cloudbridge serve` (docs/protocol.md "End to end"): a
// PKCS#8 PEM file only its owner can read, made by the engine on first use and written with
// mode 0600 in a 0700 directory. Refuses a key file others can read, as ssh does.

import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ServerKeyStore } from '../engine/types';
import { UsageError } from './args';
import { writeFileAtomically } from './file-output';

const KEY_FILE_NAME = 'server-key.pem';
/** Group/other permission bits: a key file with any of them set can be read by others. */
const SHARED_BITS = 0o077;

/** `$XDG_CONFIG_HOME/cloudbridge/server-key.pem`, else `~/.config/cloudbridge/server-key.pem`. */
export function defaultKeyFile(
  env: Readonly<Record<string, string | undefined>>,
  home: string,
): string {
  const config = env['XDG_CONFIG_HOME'];
  const base = config !== undefined && config !== '' ? config : join(home, '.config');
  return join(base, 'cloudbridge', KEY_FILE_NAME);
}

/** Throws a UsageError when `path` exists and others can read it (POSIX modes only). */
export async function checkKeyFile(path: string, platform = process.platform): Promise<void> {
  if (platform === 'win32') return;
  let mode: number;
  try {
    mode = (await stat(path)).mode & 0o777;
  } catch {
    return; // made on first use
  }
  if ((mode & SHARED_BITS) !== 0)
    throw new UsageError(
      `--key-file: ${path} is readable by others (mode ${mode.toString(8).padStart(3, '0')}); chmod 600 ${path}`,
    );
}

export function createKeyFileStore(path: string): ServerKeyStore {
  return {
    async load() {
      try {
        return await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async save(pem) {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await writeFileAtomically(path, pem, 0o600);
    },
  };
}

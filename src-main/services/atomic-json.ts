// Durable JSON files: temp file, fsync, rename, so a reader sees the old file or the new one,
// never a torn one, and a failed write (full disk, no permission) leaves the old file intact.
// The file operations are injectable so tests can fail like a full disk.

import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  openSync,
  promises as fsp,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';

export interface StoreFs {
  readFile(path: string): Promise<string>;
  /** Writes and fsyncs a new file (open, write, fsync, close), mode 0600. */
  writeFileDurable(path: string, data: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
}

export const nodeStoreFs: StoreFs = {
  readFile: (path) => fsp.readFile(path, 'utf8'),
  async writeFileDurable(path, data) {
    const handle = await fsp.open(path, 'wx', 0o600);
    try {
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  async mkdir(path) {
    await fsp.mkdir(path, { recursive: true, mode: 0o700 });
  },
};

export async function writeTextAtomic(fs: StoreFs, path: string, text: string): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFileDurable(temp, text);
    await fs.rename(temp, path);
  } catch (error) {
    await fs.unlink(temp).catch(() => undefined);
    throw error;
  }
}

export async function writeJsonAtomic(fs: StoreFs, path: string, value: unknown): Promise<void> {
  await writeTextAtomic(fs, path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * The same durable write, synchronously, for the moment the OS ends the session and no
 * promise would finish (a Windows `session-end`). Always the real file system.
 */
export function writeJsonAtomicSync(path: string, value: unknown): void {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // Nothing was left behind.
    }
    throw error;
  }
}

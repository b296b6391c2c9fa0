// Writing a file the CLIs produce (a token, a connection link) so that neither an old file's
// wider mode nor a half-written secret is ever visible: a new file with the final mode next to
// the target, renamed over it. The only file writer of src-main/cli.

import { chmod, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export async function writeFileAtomically(path: string, text: string, mode: number): Promise<void> {
  const temp = join(dirname(path), `.${process.pid}-${Date.now()}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(text, 'utf8');
    // The umask can only narrow `mode`, and a platform default might widen it: say it explicitly.
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await chmod(path, mode);
}

// Bundles a source entry point for a child process the way scripts/build.mjs does (CommonJS,
// dependencies left in node_modules), so tests run the current source, never a stale dist/.
// The child needs `childEnv()` so its external dependencies resolve from this checkout.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Bundles `entry` (relative to the repository root) to `outfile`. */
export async function bundleEntry(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: [join(REPO_ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    packages: 'external',
    logLevel: 'error',
  });
  return outfile;
}

/** Environment for a bundled child: the parent's, with this checkout's node_modules. */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, NODE_PATH: join(REPO_ROOT, 'node_modules'), ...extra };
}

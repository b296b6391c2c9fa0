// Once per renderer run, in plain Node: bundles main's host process (main-host.ts) as
// bundle.ts bundles every child, since esbuild cannot run inside the jsdom environment the
// renderer tests use. The setup file reads the bundle's path with inject().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT } from './bundle';

declare module 'vitest' {
  export interface ProvidedContext {
    mainHostBundle: string;
  }
}

const ENTRY = join(REPO_ROOT, 'test', 'harness', 'main-host.ts');

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'cb-renderer-main-host-'));
  const outfile = join(dir, 'main-host.cjs');
  await build({
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    packages: 'external',
    logLevel: 'error',
    // CommonJS has no import.meta: the harness modules that find the checkout by it
    // (bundle.ts) see the entry's own location.
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(ENTRY).href) },
  });
  project.provide('mainHostBundle', outfile);
  return () => rmSync(dir, { recursive: true, force: true });
}

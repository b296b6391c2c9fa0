// Builds every entry point: Node-side bundles with esbuild (main, preload, CLIs, demo, bench)
// and the renderer with vite. Output layout is what package.json and electron-builder expect.
import { build as esbuild } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { build as viteBuild } from 'vite';

const NODE_TARGET = 'node24';
const cliBanner = { js: '#!/usr/bin/env node' };

/** Node-side entries. `packages: 'external'` leaves runtime dependencies in node_modules. */
const nodeEntries = [
  { in: 'src-main/main.ts', out: 'dist/main/main.js' },
  { in: 'src-main/engine-host/host-child.ts', out: 'dist/engine-host/host-child.js' },
  { in: 'src-main/cli/cloudbridge.ts', out: 'dist/cli/cloudbridge.js', banner: cliBanner },
  {
    in: 'src-main/cli/cloudbridge-relay.ts',
    out: 'dist/cli/cloudbridge-relay.js',
    banner: cliBanner,
  },
  { in: 'src-main/cli/demo.ts', out: 'dist/cli/demo.js' },
  { in: 'bench/bench.ts', out: 'dist/bench/bench.js' },
  { in: 'bench/soak.ts', out: 'dist/bench/soak.js' },
  { in: 'bench/node-pipe.ts', out: 'dist/bench/node-pipe.js' },
  { in: 'bench/main-loop-delay.ts', out: 'dist/bench/main-loop-delay.js' },
];

const missing = [
  ...nodeEntries.map((e) => e.in),
  'src-main/preload/preload.ts',
  'src-renderer/index.html',
].filter((path) => !existsSync(path));
if (missing.length > 0) {
  console.error(`build: missing entry points: ${missing.join(', ')}`);
  process.exit(1);
}

await rm('dist', { recursive: true, force: true });

await Promise.all(
  nodeEntries.map((entry) =>
    esbuild({
      entryPoints: [entry.in],
      outfile: entry.out,
      bundle: true,
      platform: 'node',
      target: NODE_TARGET,
      format: 'cjs',
      packages: 'external',
      sourcemap: 'linked',
      banner: entry.banner,
      logLevel: 'warning',
    }),
  ),
);

// A sandboxed preload may require only 'electron': bundle everything else into one file.
await esbuild({
  entryPoints: ['src-main/preload/preload.ts'],
  outfile: 'dist/preload/preload.js',
  bundle: true,
  platform: 'node',
  target: 'chrome130',
  format: 'cjs',
  external: ['electron'],
  sourcemap: 'linked',
  logLevel: 'warning',
});

await viteBuild({ configFile: 'src-renderer/vite.config.mts', logLevel: 'warn' });

// The About box lists the licences of what the app ships.
execFileSync(process.execPath, ['scripts/collect-licenses.mjs', '--out', 'dist/licenses.json'], {
  stdio: 'inherit',
});
console.log('build: dist/ ready');

// `npm run package:check`: builds the Linux unpacked app with electron-builder against a
// placeholder Electron (no download, no rebuild, no publishing) and checks app.asar holds
// exactly what the app needs. Owns its temp dirs; reads dist/ (built first if absent).
import { extractFile, getRawHeader } from '@electron/asar';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExpectedLayout, PackageManifest } from './package-layout';
import {
  bundleImports,
  checkPackage,
  expectedLayout,
  KEYTAR_NODE,
  locatePackages,
} from './package-layout';

const require = createRequire(import.meta.url);
const projectDir = join(import.meta.dirname, '..', '..');
const { createPlaceholderElectron } = require('../../scripts/placeholder-electron/create.cjs') as {
  createPlaceholderElectron: (dir: string, version: string) => string;
};
const { PLACEHOLDER_MARKER } = require('../../scripts/after-pack.cjs') as {
  PLACEHOLDER_MARKER: string;
};

const BUILD_TIMEOUT_MS = 240_000;

interface AsarNode {
  files?: Record<string, AsarNode>;
  size?: number;
  unpacked?: boolean;
  link?: string;
}

/** Every file in the archive header, with whether the header says it lives unpacked. */
function asarEntries(archive: string): Map<string, { unpacked: boolean }> {
  const entries = new Map<string, { unpacked: boolean }>();
  const walk = (node: AsarNode, prefix: string): void => {
    for (const [name, child] of Object.entries(node.files ?? {})) {
      const path = prefix ? `${prefix}/${name}` : name;
      if (child.files) walk(child, path);
      else entries.set(path, { unpacked: child.unpacked === true });
    }
  };
  walk(getRawHeader(archive).header, '');
  return entries;
}

function filesOnDisk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((entry) => statSync(join(dir, entry)).isFile())
    .map((entry) => entry.split(sep).join('/'));
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: projectDir, env, timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const output = `${stdout}\n${stderr}`;
        if (error)
          reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${output}`));
        else resolve(output);
      },
    );
  });
}

describe('packaged app (electron-builder --linux dir)', () => {
  let workDir = '';
  let appDir = '';
  let builderOutput = '';
  let manifest: PackageManifest;
  let entries: Map<string, { unpacked: boolean }>;
  let expected: ExpectedLayout;

  beforeAll(async () => {
    // The bundles are built by scripts/build.mjs; build them only when they are absent.
    // scripts/build.mjs writes the bundles and dist/licenses.json together.
    const outputs = ['dist/main/main.js', 'dist/engine-host/host-child.js', 'dist/licenses.json'];
    if (!outputs.every((path) => existsSync(join(projectDir, path)))) {
      const built = spawnSync('npm', ['run', 'build', '--silent'], {
        cwd: projectDir,
        encoding: 'utf8',
      });
      if (built.status !== 0)
        throw new Error(`npm run build failed:\n${built.stdout}\n${built.stderr}`);
    }

    workDir = mkdtempSync(join(tmpdir(), 'cloudbridge-package-'));
    const electronVersion = (
      JSON.parse(readFileSync(join(projectDir, 'node_modules/electron/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    const electronDist = createPlaceholderElectron(join(workDir, 'electron'), electronVersion);
    const outDir = join(workDir, 'release');
    builderOutput = await run(
      process.execPath,
      [
        join(projectDir, 'node_modules/electron-builder/cli.js'),
        '--linux',
        'dir',
        '--publish',
        'never',
        `-c.electronDist=${electronDist}`,
        '-c.npmRebuild=false',
        `-c.directories.output=${outDir}`,
      ],
      { ...process.env, ELECTRON_BUILDER_7ZIP_PATH: '/usr/bin/7za', CI: 'true' },
    );
    appDir = join(outDir, 'linux-unpacked');
    const archive = join(appDir, 'resources', 'app.asar');
    entries = asarEntries(archive);
    const versions = new Map<string, string>();
    for (const file of entries.keys()) {
      const folder = /^(.*node_modules\/(?:@[^/]+\/)?[^/@][^/]*)\/package\.json$/.exec(file)?.[1];
      if (!folder) continue;
      const packageJson = JSON.parse(extractFile(archive, file).toString('utf8')) as {
        version?: string;
      };
      if (packageJson.version) versions.set(folder, packageJson.version);
    }
    manifest = {
      asarFiles: new Set(entries.keys()),
      unpackedFiles: new Set(filesOnDisk(join(appDir, 'resources', 'app.asar.unpacked'))),
      versions,
    };
    expected = expectedLayout(projectDir);
  }, BUILD_TIMEOUT_MS + 60_000);

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('ships the bundles, assets and every runtime dependency, and nothing else', () => {
    expect(checkPackage(manifest, expected)).toEqual([]);
    // The closure is real: the app's direct dependencies and at least one transitive one.
    const names = new Set(
      [...locatePackages(manifest, expected).found.values()].map((pkg) => pkg.name),
    );
    for (const name of [
      'jose',
      'electron-log',
      'prom-client',
      'zustand',
      'react',
      'react-dom',
      'fflate',
      'keytar',
      'scheduler',
    ]) {
      expect(names, name).toContain(name);
    }
    expect(manifest.asarFiles).toContain('dist/renderer/index.html');
    expect(
      [...manifest.asarFiles].some((file) => /^dist\/renderer\/assets\/.+\.js$/.test(file)),
    ).toBe(true);
  });

  it('has every package the main, engine host and preload bundles load', () => {
    // The bundles load packages (require/import) that are not built in: each is checked above.
    expect(expected.bundleImports.length).toBeGreaterThan(0);
    expect(new Set(expected.bundleImports.map((entry) => entry.bundle))).toEqual(
      new Set(['dist/main/main.js', 'dist/engine-host/host-child.js']),
    );
    const sample =
      'require("node:fs");require("fs");require("electron");require("electron-log/main");import("keytar");require("@peculiar/x509/lib");require("./chunk.js")';
    expect(bundleImports('dist/main/main.js', sample).map((entry) => entry.name)).toEqual([
      '@peculiar/x509',
      'electron-log',
      'keytar',
    ]);
    // A bundle that loads a devDependency would crash at start: the check says which.
    const withDevImport: ExpectedLayout = {
      ...expected,
      bundleImports: [...expected.bundleImports, { bundle: 'dist/main/main.js', name: 'yaml' }],
    };
    expect(checkPackage(manifest, withDevImport)).toEqual([
      'dist/main/main.js loads yaml, which is not in app.asar',
    ]);
  });

  it('keeps keytar.node outside the archive, and the archive header says so', () => {
    expect(manifest.unpackedFiles).toContain(KEYTAR_NODE);
    expect(entries.get(KEYTAR_NODE)).toEqual({ unpacked: true });
    const onDisk = readFileSync(join(appDir, 'resources', 'app.asar.unpacked', KEYTAR_NODE));
    expect(onDisk.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  });

  it('starts from dist/main/main.js, with the executable named for Linux', () => {
    const packaged = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as {
      main: string;
    };
    expect(manifest.asarFiles).toContain(packaged.main);
    expect(existsSync(join(appDir, 'cloudbridge-desktop'))).toBe(true);
    expect(existsSync(join(appDir, 'resources', 'app'))).toBe(false);
  });

  it('skipped the fuses only because Electron is the placeholder, and said so', () => {
    expect(builderOutput).toContain(
      `is the local placeholder Electron (packaging check), fuses not flipped`,
    );
    expect(readFileSync(join(appDir, 'cloudbridge-desktop'), 'utf8')).toContain(PLACEHOLDER_MARKER);
  });

  it('fails when a needed file is missing', () => {
    const without = (file: string): PackageManifest => ({
      ...manifest,
      asarFiles: new Set([...manifest.asarFiles].filter((entry) => entry !== file)),
    });
    const rendererAsset = [...manifest.asarFiles].find((file) =>
      file.startsWith('dist/renderer/assets/'),
    )!;
    for (const file of [
      'dist/preload/preload.js',
      'dist/main/main.js',
      rendererAsset,
      'assets/tray/errorTemplate@2x.png',
      'dist/licenses.json',
    ]) {
      expect(checkPackage(without(file), expected), file).toContain(
        `missing from app.asar: ${file}`,
      );
    }
    // A transitive dependency (react-dom -> scheduler): its entry file, then the whole package.
    const located = [...locatePackages(manifest, expected).found.entries()];
    const [schedulerAt, scheduler] = located.find(([, pkg]) => pkg.name === 'scheduler')!;
    expect(checkPackage(without(`${schedulerAt}/${scheduler.main}`), expected)).toEqual([
      `missing from app.asar: ${schedulerAt}/${scheduler.main}`,
    ]);
    const noScheduler = checkPackage(without(`${schedulerAt}/package.json`), expected);
    expect(noScheduler).toContain(
      `missing from app.asar: scheduler@${scheduler.version} (needed by node_modules/react-dom)`,
    );
    // The same name at another version does not count.
    const olderScheduler: PackageManifest = {
      ...manifest,
      versions: new Map([...manifest.versions, [schedulerAt, '0.0.1']]),
    };
    expect(checkPackage(olderScheduler, expected)).toContain(
      `wrong version in app.asar: ${schedulerAt} is 0.0.1, node_modules/react-dom needs ${scheduler.version}`,
    );
    const noKeytar: PackageManifest = {
      ...manifest,
      unpackedFiles: new Set([...manifest.unpackedFiles].filter((file) => file !== KEYTAR_NODE)),
    };
    expect(checkPackage(noKeytar, expected)).toEqual([
      `missing from app.asar.unpacked: ${KEYTAR_NODE}`,
    ]);
  });

  it('fails when sources, tests, maps or devDependencies get in', () => {
    const strays = [
      'src-main/main.ts',
      'src-renderer/main.tsx',
      'test/unit/codec.test.ts',
      'assets/src/app-icon.svg',
      'dist/cli/cloudbridge.js',
      'node_modules/vitest/package.json',
      'node_modules/typescript/lib/typescript.js',
      'node_modules/keytar/node_modules/electron/package.json',
    ];
    for (const stray of strays) {
      const problems = checkPackage(
        { ...manifest, asarFiles: new Set([...manifest.asarFiles, stray]) },
        expected,
      );
      expect(problems.length, stray).toBeGreaterThan(0);
      expect(problems.join('\n'), stray).toContain(stray);
    }
    const withMap = checkPackage(
      { ...manifest, asarFiles: new Set([...manifest.asarFiles, 'dist/main/main.js.map']) },
      expected,
    );
    expect(withMap).toEqual(['source map shipped: dist/main/main.js.map']);
    const withTypes = checkPackage(
      {
        ...manifest,
        asarFiles: new Set([...manifest.asarFiles, 'node_modules/jose/dist/types/index.d.ts']),
      },
      expected,
    );
    expect(withTypes).toEqual(['TypeScript file shipped: node_modules/jose/dist/types/index.d.ts']);
  });
});

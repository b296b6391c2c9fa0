#!/usr/bin/env node
// Writes dist/licenses.json for the About box: every package the packaged app ships (the
// production dependency tree, plus Electron itself), with its licence text when the package
// has one. Reads node_modules only; never fetches anything.
//
//   node scripts/collect-licenses.mjs [--out dist/licenses.json]
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// LICENSE, LICENCE.md, COPYING, and split files such as LICENSE.MIT + LICENSE.APACHE2 (rc).
const LICENSE_FILE = /^(licen[cs]e|copying)([.-][\w.-]+)?$/i;

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Node's lookup: the nearest node_modules/<name> from `fromDir` up to the project root. */
function findPackageDir(projectDir, fromDir, name) {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === projectDir) return undefined;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function licenseOf(manifest) {
  if (typeof manifest.license === 'string') return manifest.license;
  if (manifest.license && typeof manifest.license.type === 'string') return manifest.license.type;
  if (Array.isArray(manifest.licenses)) {
    return manifest.licenses.map((entry) => entry.type ?? String(entry)).join(' OR ');
  }
  return 'UNKNOWN';
}

function licenseText(packageDir) {
  const files = readdirSync(packageDir)
    .filter((name) => LICENSE_FILE.test(name))
    .sort();
  if (files.length === 0) return null;
  if (files.length === 1) return readFileSync(join(packageDir, files[0]), 'utf8');
  return files
    .map((name) => `==> ${name} <==\n${readFileSync(join(packageDir, name), 'utf8')}`)
    .join('\n');
}

function repositoryOf(manifest) {
  const repo = manifest.repository;
  if (typeof repo === 'string') return repo;
  if (repo && typeof repo.url === 'string') return repo.url;
  return null;
}

/**
 * The production dependency closure of the project at `projectDir`: dependencies and
 * installed optionalDependencies, followed recursively the way Node resolves them.
 */
export function collectLicenses(projectDir) {
  const root = readJson(join(projectDir, 'package.json'));
  const seen = new Map();
  const queue = Object.keys({ ...root.dependencies, ...root.optionalDependencies }).map((name) => ({
    name,
    from: projectDir,
    optional: name in (root.optionalDependencies ?? {}),
  }));
  while (queue.length > 0) {
    const { name, from, optional } = queue.shift();
    const dir = findPackageDir(projectDir, from, name);
    if (!dir) {
      if (optional) continue;
      throw new Error(
        `collect-licenses: ${name} (needed by ${relative(projectDir, from) || 'the app'}) is not installed`,
      );
    }
    const key = relative(projectDir, dir).split(sep).join('/');
    if (seen.has(key)) continue;
    const manifest = readJson(join(dir, 'package.json'));
    seen.set(key, {
      name: manifest.name ?? name,
      version: manifest.version ?? '0.0.0',
      license: licenseOf(manifest),
      repository: repositoryOf(manifest),
      licenseText: licenseText(dir),
    });
    for (const dep of Object.keys(manifest.dependencies ?? {}))
      queue.push({ name: dep, from: dir, optional: false });
    for (const dep of Object.keys(manifest.optionalDependencies ?? {}))
      queue.push({ name: dep, from: dir, optional: true });
  }

  // Electron is a devDependency for npm, but its binary is what the installer ships.
  const electronDir = findPackageDir(projectDir, projectDir, 'electron');
  if (electronDir) {
    const manifest = readJson(join(electronDir, 'package.json'));
    seen.set('node_modules/electron', {
      name: 'electron',
      version: manifest.version,
      license: licenseOf(manifest),
      repository: repositoryOf(manifest),
      licenseText: licenseText(electronDir),
    });
  }

  // One entry per name@version, even when npm installed the same version twice.
  const unique = new Map();
  for (const entry of seen.values()) unique.set(`${entry.name}@${entry.version}`, entry);
  return [...unique.values()].sort(
    (a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version),
  );
}

function main() {
  const projectDir = join(dirname(fileURLToPath(import.meta.url)), '..');
  const outIndex = process.argv.indexOf('--out');
  const out =
    outIndex >= 0 ? process.argv[outIndex + 1] : join(projectDir, 'dist', 'licenses.json');
  const licenses = collectLicenses(projectDir);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(licenses, null, 2)}\n`);
  const missingText = licenses
    .filter((entry) => entry.licenseText === null)
    .map((entry) => entry.name);
  console.log(
    `collect-licenses: ${licenses.length} packages -> ${relative(process.cwd(), out)}` +
      (missingText.length > 0 ? ` (no licence file: ${missingText.join(', ')})` : ''),
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();

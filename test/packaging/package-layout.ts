// What a packaged CloudBridge Desktop must contain and must not: computes the expected layout
// from the project on disk (dist/, assets/, node_modules) and checks a listing of app.asar
// against it. Pure reads; builds nothing (package-check.test.ts does the building).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';

/** Tray states the main process loads from assets/tray (see scripts/make-icons.mjs). */
export const TRAY_STATES = ['disconnected', 'connecting', 'active', 'error'] as const;

/** Top-level places the app may ship from; anything else in app.asar is a leak. */
const ALLOWED_ROOTS = [
  'package.json',
  'dist/main/',
  'dist/engine-host/',
  'dist/preload/',
  'dist/renderer/',
  'dist/licenses.json',
  'assets/icon.png',
  'assets/tray/',
  'node_modules/',
];

/** The keytar binary: must sit outside the archive, where dlopen can reach it. */
export const KEYTAR_NODE = 'node_modules/keytar/build/Release/keytar.node';

export interface DependencyEdge {
  readonly name: string;
  /** Version of the package Node resolves for this edge in the project. */
  readonly version: string;
}

export interface RuntimePackage {
  readonly name: string;
  readonly version: string;
  /** Entry file relative to the package folder, as Node's require would pick it. */
  readonly main: string;
  readonly dependencies: readonly DependencyEdge[];
}

export interface ExpectedLayout {
  /** App files that must be inside app.asar (project-relative, forward slashes). */
  readonly required: readonly string[];
  /** Files that must be in app.asar.unpacked. */
  readonly requiredUnpacked: readonly string[];
  /** The app's own runtime dependencies. */
  readonly rootDependencies: readonly DependencyEdge[];
  /** Every runtime package by name@version. */
  readonly packages: ReadonlyMap<string, RuntimePackage>;
  /** Packages the main and preload bundles load at run time (require or import). */
  readonly bundleImports: readonly BundleImport[];
}

export interface BundleImport {
  /** The bundle, e.g. dist/main/main.js. */
  readonly bundle: string;
  /** Package name (the part of the specifier before any subpath). */
  readonly name: string;
}

/** Modules every Electron main process has without shipping them. */
const PROVIDED_MODULES = new Set(['electron', 'original-fs', ...builtinModules]);

/**
 * Bare specifiers a bundle loads with require("x") or import("x"), reduced to package names;
 * Node built-ins (node:* or bare) and electron are left out.
 */
export function bundleImports(bundle: string, source: string): BundleImport[] {
  const names = new Set<string>();
  for (const match of source.matchAll(/\b(?:require|import)\(\s*["']([^"'./][^"']*)["']\s*\)/g)) {
    const specifier = match[1] ?? '';
    if (specifier.startsWith('node:')) continue;
    const parts = specifier.split('/');
    const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
    if (!PROVIDED_MODULES.has(name)) names.add(name);
  }
  return [...names].sort().map((name) => ({ bundle, name }));
}

export interface PackageManifest {
  /** Every file (not directory) listed in app.asar, project-relative, forward slashes. */
  readonly asarFiles: ReadonlySet<string>;
  /** Every file under app.asar.unpacked. */
  readonly unpackedFiles: ReadonlySet<string>;
  /** Package folder inside the archive (e.g. node_modules/rc) -> its package.json version. */
  readonly versions: ReadonlyMap<string, string>;
}

interface PackageJson {
  name?: string;
  version?: string;
  main?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function readPackageJson(path: string): PackageJson {
  return JSON.parse(readFileSync(path, 'utf8')) as PackageJson;
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

/** Node's lookup of `name` from `fromDir`: nearest node_modules/<name>, up to the root. */
function findPackageDir(projectDir: string, fromDir: string, name: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === projectDir || dirname(dir) === dir) return undefined;
  }
}

/** The file `require(name)` loads from `packageDir` (relative to it), or package.json. */
function entryFile(packageDir: string, name: string): string {
  const requireFromParent = createRequire(join(dirname(packageDir), '__resolve__.js'));
  try {
    const resolved = requireFromParent.resolve(name);
    if (resolved.startsWith(packageDir + sep)) return toPosix(relative(packageDir, resolved));
  } catch {
    // ESM-only or types-only export maps have no "require" entry: fall back to "main".
  }
  const manifest = readPackageJson(join(packageDir, 'package.json'));
  const main = manifest.main;
  for (const candidate of main ? [main, `${main}.js`, join(main, 'index.js')] : ['index.js']) {
    const full = join(packageDir, candidate);
    if (existsSync(full) && statSync(full).isFile()) return toPosix(relative(packageDir, full));
  }
  return 'package.json';
}

/**
 * Production dependency graph: package.json dependencies (and installed optional ones),
 * resolved the way Node resolves them on disk. devDependencies never enter. Keyed by
 * name@version, because electron-builder may hoist a package to another folder.
 */
export function runtimePackages(projectDir: string): {
  root: DependencyEdge[];
  packages: Map<string, RuntimePackage>;
} {
  const packages = new Map<string, RuntimePackage>();
  const edgesFrom = (dir: string, manifest: PackageJson): DependencyEdge[] => {
    const edges: DependencyEdge[] = [];
    const wanted = [
      ...Object.keys(manifest.dependencies ?? {}).map((name) => ({ name, optional: false })),
      ...Object.keys(manifest.optionalDependencies ?? {}).map((name) => ({ name, optional: true })),
    ];
    for (const { name, optional } of wanted) {
      const found = findPackageDir(projectDir, dir, name);
      if (!found) {
        if (optional) continue;
        throw new Error(`runtime dependency ${name} is not installed (needed from ${dir})`);
      }
      const target = readPackageJson(join(found, 'package.json'));
      const version = target.version ?? '0.0.0';
      edges.push({ name, version });
      const key = `${name}@${version}`;
      if (!packages.has(key)) {
        const node = {
          name,
          version,
          main: entryFile(found, name),
          dependencies: [] as DependencyEdge[],
        };
        packages.set(key, node);
        node.dependencies = edgesFrom(found, target);
      }
    }
    return edges;
  };
  const root = edgesFrom(projectDir, readPackageJson(join(projectDir, 'package.json')));
  return { root, packages };
}

function filesUnder(projectDir: string, dir: string): string[] {
  const full = join(projectDir, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full, { recursive: true, encoding: 'utf8' })
    .filter((entry) => statSync(join(full, entry)).isFile())
    .map((entry) => toPosix(join(dir, entry)));
}

/** Local files index.html loads (script src, link href), relative to dist/renderer. */
export function rendererReferences(indexHtml: string): string[] {
  const refs = [...indexHtml.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? '');
  return refs
    .filter((ref) => ref !== '' && !/^([a-z]+:|\/\/|#|data:)/i.test(ref))
    .map((ref) => ref.replace(/^\.\//, ''));
}

/** The expected layout for the project at `projectDir`, whose dist/ is already built. */
export function expectedLayout(projectDir: string): ExpectedLayout {
  const { root, packages } = runtimePackages(projectDir);
  const main = readPackageJson(join(projectDir, 'package.json')).main ?? 'dist/main/main.js';
  const indexHtml = readFileSync(join(projectDir, 'dist/renderer/index.html'), 'utf8');
  const renderer = [
    'dist/renderer/index.html',
    ...rendererReferences(indexHtml).map((ref) => toPosix(join('dist/renderer', ref))),
    ...filesUnder(projectDir, 'dist/renderer').filter((file) => !file.endsWith('.map')),
  ];
  const tray = TRAY_STATES.flatMap((state) => [
    `assets/tray/${state}.png`,
    `assets/tray/${state}@2x.png`,
    `assets/tray/${state}Template.png`,
    `assets/tray/${state}Template@2x.png`,
    `assets/tray/${state}.ico`,
  ]);
  const required = new Set<string>([
    'package.json',
    toPosix(main),
    'dist/preload/preload.js',
    'dist/engine-host/host-child.js',
    'dist/licenses.json',
    'assets/icon.png',
    ...renderer,
    ...tray,
  ]);
  const bundles = [toPosix(main), 'dist/preload/preload.js', 'dist/engine-host/host-child.js'];
  const imports = bundles.flatMap((bundle) =>
    bundleImports(bundle, readFileSync(join(projectDir, bundle), 'utf8')),
  );
  return {
    required: [...required].sort(),
    requiredUnpacked: [KEYTAR_NODE],
    rootDependencies: root,
    packages,
    bundleImports: imports,
  };
}

/** The node_modules install path a file belongs to (deepest package), or undefined. */
function owningPackagePath(file: string): string | undefined {
  const parts = file.split('/');
  let owner: string | undefined;
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] !== 'node_modules') continue;
    const scoped = parts[i + 1]?.startsWith('@');
    const end = i + (scoped ? 3 : 2);
    if (end > parts.length - 1) break; // the path names the folder itself, not a file in it
    owner = parts.slice(0, end).join('/');
    i = end - 1;
  }
  return owner;
}

/** Node's lookup inside the archive: from package folder `from` ('' = the app), find `name`. */
export function resolveInArchive(
  files: ReadonlySet<string>,
  from: string,
  name: string,
): string | undefined {
  for (let dir = from; ;) {
    if (!dir.endsWith('node_modules')) {
      const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
      if (files.has(`${candidate}/package.json`)) return candidate;
    }
    if (dir === '') return undefined;
    const slash = dir.lastIndexOf('/');
    dir = slash < 0 ? '' : dir.slice(0, slash);
  }
}

/**
 * Follows every runtime dependency edge inside the archive as Node would at run time.
 * Returns the archive folder of each package reached, and what went wrong on the way.
 */
export function locatePackages(
  manifest: PackageManifest,
  expected: ExpectedLayout,
): { found: Map<string, RuntimePackage>; problems: string[] } {
  const found = new Map<string, RuntimePackage>();
  const problems: string[] = [];
  const queue: { from: string; edge: DependencyEdge }[] = expected.rootDependencies.map((edge) => ({
    from: '',
    edge,
  }));
  for (let next = queue.shift(); next; next = queue.shift()) {
    const { from, edge } = next;
    const neededBy = from === '' ? 'the app' : from;
    const at = resolveInArchive(manifest.asarFiles, from, edge.name);
    if (!at) {
      problems.push(`missing from app.asar: ${edge.name}@${edge.version} (needed by ${neededBy})`);
      continue;
    }
    const version = manifest.versions.get(at);
    if (version !== edge.version) {
      problems.push(
        `wrong version in app.asar: ${at} is ${version ?? 'unknown'}, ${neededBy} needs ${edge.version}`,
      );
      continue;
    }
    if (found.has(at)) continue;
    const pkg = expected.packages.get(`${edge.name}@${edge.version}`);
    if (!pkg) throw new Error(`no runtime package ${edge.name}@${edge.version}`);
    found.set(at, pkg);
    if (!manifest.asarFiles.has(`${at}/${pkg.main}`))
      problems.push(`missing from app.asar: ${at}/${pkg.main}`);
    for (const dep of pkg.dependencies) queue.push({ from: at, edge: dep });
  }
  return { found, problems };
}

/**
 * Every way the packaged app differs from what it must be; empty when it is right.
 * Missing files or dependencies, keytar inside the archive only, sources, tests, maps,
 * TypeScript, dev packages, strays.
 */
export function checkPackage(manifest: PackageManifest, expected: ExpectedLayout): string[] {
  const problems: string[] = [];
  for (const file of expected.required) {
    if (!manifest.asarFiles.has(file)) problems.push(`missing from app.asar: ${file}`);
  }
  for (const file of expected.requiredUnpacked) {
    if (!manifest.unpackedFiles.has(file)) problems.push(`missing from app.asar.unpacked: ${file}`);
  }
  const located = locatePackages(manifest, expected);
  problems.push(...located.problems);
  // What the bundles load must be there at run time, whatever package.json declares.
  for (const { bundle, name } of expected.bundleImports) {
    if (!resolveInArchive(manifest.asarFiles, '', name))
      problems.push(`${bundle} loads ${name}, which is not in app.asar`);
  }
  for (const file of [...manifest.asarFiles, ...manifest.unpackedFiles]) {
    if (
      !ALLOWED_ROOTS.some((root) => (root.endsWith('/') ? file.startsWith(root) : file === root))
    ) {
      problems.push(`not part of the app: ${file}`);
      continue;
    }
    if (/\.(ts|tsx|mts|cts)$/.test(file)) problems.push(`TypeScript file shipped: ${file}`);
    if (file.endsWith('.map')) problems.push(`source map shipped: ${file}`);
    if (file.startsWith('node_modules/')) {
      const owner = owningPackagePath(file);
      if (!owner || !located.found.has(owner)) problems.push(`not a runtime dependency: ${file}`);
    }
  }
  return problems;
}

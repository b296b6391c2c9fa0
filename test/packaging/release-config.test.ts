// Release configuration that cannot be exercised on this machine (NSIS, dmg, signing, GitHub
// runners) is at least checked for consistency: electron-builder.yml, build/, the workflows
// and the npm scripts they call must agree with each other and with files that exist.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { INVITE_FILE_EXTENSION, INVITE_LINK_PREFIX } from '../../src-main/protocol/invite-link';

const projectDir = join(import.meta.dirname, '..', '..');
const read = (path: string): string => readFileSync(join(projectDir, path), 'utf8');

interface TargetEntry {
  target: string;
  arch?: string[];
}
interface BuilderConfig {
  appId: string;
  productName: string;
  artifactName: string;
  directories: { output: string; buildResources: string };
  files: string[];
  asarUnpack: string[];
  npmRebuild: boolean;
  afterPack: string;
  win: { icon: string; target: TargetEntry[] };
  nsis: Record<string, unknown> & {
    include: string;
    installerIcon: string;
    uninstallerIcon: string;
  };
  mac: {
    icon: string;
    target: TargetEntry[];
    hardenedRuntime: boolean;
    entitlements: string;
    entitlementsInherit: string;
    notarize?: unknown;
  };
  linux: { icon: string; target: string[]; executableName: string };
  deb?: { depends?: string[] };
  protocols: { name: string; schemes: string[]; role?: string }[];
  fileAssociations: { ext: string; name: string; mimeType?: string; role?: string }[];
}
interface WorkflowStep {
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<
    string,
    {
      'runs-on': string;
      container?: string;
      strategy?: { matrix: Record<string, unknown> };
      steps: WorkflowStep[];
      env?: Record<string, string>;
    }
  >;
}

const builder = parse(read('electron-builder.yml')) as BuilderConfig;
const packageJson = JSON.parse(read('package.json')) as {
  scripts: Record<string, string>;
  productName: string;
  main: string;
};

/** `npm run X` / `npm test` names used in a shell snippet, with matrix values substituted. */
function npmScripts(run: string, matrixScripts: string[]): string[] {
  const names = [...run.matchAll(/npm run ([\w:.-]+|\$\{\{ matrix\.script \}\})/g)].flatMap(
    (match) => (match[1]?.startsWith('${{') ? matrixScripts : [match[1] ?? '']),
  );
  if (/\bnpm test\b/.test(run)) names.push('test');
  return names;
}

describe('electron-builder.yml', () => {
  it('opens connection links: the cloudbridge scheme and .cloudbridge files on every OS', () => {
    const scheme = INVITE_LINK_PREFIX.slice(0, INVITE_LINK_PREFIX.indexOf(':'));
    expect(builder.protocols.flatMap((p) => p.schemes)).toEqual([scheme]);
    const [file, ...others] = builder.fileAssociations;
    expect(others).toEqual([]);
    expect(`.${file!.ext}`).toBe(INVITE_FILE_EXTENSION);
    // Linux needs a MIME type for the .desktop entry; Windows uses the name as a ProgID.
    expect(file!.mimeType).toMatch(/^application\/x-[a-z-]+$/);
    expect(file!.name).toMatch(/^[A-Za-z][\w.]*$/);
    // NSIS registers files, not schemes: the app registers the scheme (HKCU), the uninstaller
    // removes it, outside updates.
    const nsh = read(builder.nsis.include);
    const unInstall = nsh.slice(nsh.indexOf('!macro customUnInstall'));
    expect(unInstall).toContain(`DeleteRegKey HKCU "Software\\Classes\\${scheme}"`);
    expect(unInstall.indexOf('${IfNot} ${isUpdated}')).toBeLessThan(
      unInstall.indexOf('DeleteRegKey HKCU'),
    );
    expect(read('src-main/electron/app-lifecycle.ts')).toContain(`LINK_SCHEME = '${scheme}'`);
  });

  it('names the product and puts os and arch in every artifact name', () => {
    expect(builder.appId).toBe('dev.cloudbridge.desktop');
    expect(builder.productName).toBe('CloudBridge Desktop');
    expect(packageJson.productName).toBe(builder.productName);
    expect(builder.artifactName).toBe('${productName}-${version}-${os}-${arch}.${ext}');
    expect(builder.directories).toEqual({ output: 'release', buildResources: 'build' });
  });

  it('ships only the built app and runtime assets, keytar unpacked, fuses via the hook', () => {
    const included = builder.files.filter((pattern) => !pattern.startsWith('!'));
    expect(included.sort()).toEqual(
      [
        'package.json',
        'dist/main/**/*',
        'dist/engine-host/**/*',
        'dist/preload/**/*',
        'dist/renderer/**/*',
        'dist/licenses.json',
        'assets/icon.png',
        'assets/tray/**/*',
      ].sort(),
    );
    expect(builder.files).toContain('!**/*.map');
    expect(builder.asarUnpack).toEqual(['**/node_modules/keytar/build/Release/*.node']);
    expect(builder.npmRebuild).toBe(true);
    expect(existsSync(join(projectDir, builder.afterPack))).toBe(true);
    expect(packageJson.main).toBe('dist/main/main.js');
  });

  it('points at icon, entitlement and installer files that exist', () => {
    for (const file of [
      builder.win.icon,
      builder.nsis.installerIcon,
      builder.nsis.uninstallerIcon,
      builder.mac.icon,
      builder.linux.icon,
      builder.nsis.include,
      builder.mac.entitlements,
      builder.mac.entitlementsInherit,
    ]) {
      expect(existsSync(join(projectDir, file)), file).toBe(true);
    }
    expect(builder.win.icon.endsWith('.ico') && builder.mac.icon.endsWith('.icns')).toBe(true);
  });

  it('makes an assisted NSIS installer: per-user by default, per-machine on request, with shortcuts', () => {
    expect(builder.win.target).toEqual([{ target: 'nsis', arch: ['x64', 'arm64'] }]);
    expect(builder.nsis).toMatchObject({
      oneClick: false,
      perMachine: false,
      allowElevation: true,
      createDesktopShortcut: true,
      createStartMenuShortcut: true,
      deleteAppDataOnUninstall: false,
    });
  });

  it('makes dmg and zip for both Mac architectures, hardened, notarized only from the environment', () => {
    expect(builder.mac.target).toEqual([
      { target: 'dmg', arch: ['x64', 'arm64'] },
      { target: 'zip', arch: ['x64', 'arm64'] },
    ]);
    expect(builder.mac.hardenedRuntime).toBe(true);
    // Unset `notarize` lets electron-builder notarize when APPLE_* variables are present.
    expect(builder.mac.notarize).toBeUndefined();
    const plist = read(builder.mac.entitlements);
    expect(plist).toContain('<key>com.apple.security.cs.allow-jit</key>');
    expect(plist).not.toContain('com.apple.security.app-sandbox');
  });

  it('makes AppImage and deb for Linux', () => {
    expect(builder.linux.target).toEqual(['AppImage', 'deb']);
    expect(builder.linux.executableName).toBe('cloudbridge-desktop');
    // electron-builder's default deb dependencies include libsecret-1-0, which keytar needs;
    // a `depends` list here would replace them.
    expect(builder.deb?.depends).toBeUndefined();
  });
});

describe('uninstaller additions (build/installer.nsh)', () => {
  const nsh = read('build/installer.nsh');
  const ps1 = read('build/remove-credentials.ps1');

  it('adds its page and steps only to the uninstaller build (NSIS warnings are errors)', () => {
    const body = nsh.replace(/^\s*;.*$/gm, '').trim();
    expect(body.startsWith('!ifdef BUILD_UNINSTALLER')).toBe(true);
    expect(body.endsWith('!endif')).toBe(true);
    for (const macro of ['customUnInit', 'customUnWelcomePage', 'customUnInstall'])
      expect(nsh).toContain(`!macro ${macro}`);
  });

  it('removes the token only when chosen, never on an update, with the script it ships', () => {
    const unInstall = nsh.slice(nsh.indexOf('!macro customUnInstall'));
    expect(unInstall.indexOf('${IfNot} ${isUpdated}')).toBeGreaterThan(0);
    const guard = unInstall.indexOf('${If} $cbRemoveCredentials == "1"');
    expect(guard).toBeGreaterThan(unInstall.indexOf('${IfNot} ${isUpdated}'));
    expect(unInstall.indexOf('remove-credentials.ps1')).toBeGreaterThan(guard);
    expect(nsh).toContain('StrCpy $cbRemoveCredentials "0"');
    expect(nsh).toContain('${BUILD_RESOURCES_DIR}\\remove-credentials.ps1');
    expect(existsSync(join(projectDir, 'build', 'remove-credentials.ps1'))).toBe(true);
  });

  it('deletes only generic credentials named "<service>/..." (how keytar stores them)', () => {
    expect(ps1).toContain('[CloudBridgeCredentials]::GenericTargets("$Service/*")');
    expect(ps1).toContain("param([string]$Service = 'CloudBridge Desktop')");
    expect(ps1).toMatch(/CredDelete\(target, CRED_TYPE_GENERIC, 0\)/);
    // The service name the app's secret store uses.
    const services = readdirSync(join(projectDir, 'src-main/services')).map((file) =>
      read(`src-main/services/${file}`),
    );
    expect(
      services.some((source) => source.includes("KEYCHAIN_SERVICE = 'CloudBridge Desktop'")),
    ).toBe(true);
  });
});

describe('GitHub workflows', () => {
  const build = parse(read('.github/workflows/build.yml')) as Workflow;
  const release = parse(read('.github/workflows/release.yml')) as Workflow;

  it('build.yml tests on Linux, Windows and macOS on every push', () => {
    expect(Object.keys(build.on)).toContain('push');
    const runners = Object.values(build.jobs).flatMap((job) => {
      const matrixOs = job.strategy?.matrix.os;
      return Array.isArray(matrixOs) ? (matrixOs as string[]) : [job['runs-on']];
    });
    expect([...new Set(runners)].sort()).toEqual([
      'macos-latest',
      'ubuntu-latest',
      'windows-latest',
    ]);
    const linuxRuns = build.jobs.linux!.steps.map((step) => step.run ?? '').join('\n');
    expect(linuxRuns).toContain('bash .ci/run');
    const desktopRuns = build.jobs.desktop!.steps.map((step) => step.run ?? '').join('\n');
    for (const script of ['build', 'typecheck', 'test:unit'])
      expect(desktopRuns).toContain(`npm run ${script}`);
    // The packaged app in a real Electron, on all three.
    const electronJob = build.jobs.electron!;
    expect((electronJob.strategy?.matrix.os as string[]).sort()).toEqual([
      'macos-latest',
      'ubuntu-latest',
      'windows-latest',
    ]);
    const electronRuns = electronJob.steps.map((step) => step.run ?? '').join('\n');
    expect(electronRuns).toContain('electron-builder --dir');
    expect(electronRuns).toContain('xvfb-run --auto-servernum npm run test:electron');
  });

  it('release.yml packages on a v* tag on each OS and publishes with optional signing secrets', () => {
    expect(release.on).toEqual({ push: { tags: ['v*'] } });
    const job = release.jobs.package!;
    const include = job.strategy?.matrix.include as { os: string; script: string }[];
    expect(include.map((entry) => [entry.os, entry.script])).toEqual([
      ['windows-latest', 'dist:win'],
      ['macos-latest', 'dist:mac'],
      ['ubuntu-latest', 'dist:linux'],
    ]);
    const publish = job.steps.find((step) => step.run?.includes('--publish always'));
    expect(publish?.env).toBeDefined();
    for (const name of [
      'GH_TOKEN',
      'CSC_LINK',
      'CSC_KEY_PASSWORD',
      'WIN_CSC_LINK',
      'APPLE_ID',
      'APPLE_APP_SPECIFIC_PASSWORD',
      'APPLE_TEAM_ID',
      'APPLE_API_KEY_ID',
      'APPLE_API_ISSUER',
    ]) {
      expect(publish!.env, name).toHaveProperty(name);
    }
  });

  it('every npm script and file the workflows use exists', () => {
    for (const workflow of [build, release]) {
      for (const job of Object.values(workflow.jobs)) {
        const include = (job.strategy?.matrix.include ?? []) as { script?: string }[];
        const matrixScripts = include.map((entry) => entry.script ?? '').filter(Boolean);
        for (const step of job.steps) {
          for (const name of npmScripts(step.run ?? '', matrixScripts)) {
            expect(packageJson.scripts, `npm script "${name}"`).toHaveProperty([name]);
          }
          for (const file of (step.run ?? '').match(/\.ci\/[\w.-]+/g) ?? [])
            expect(existsSync(join(projectDir, file)), file).toBe(true);
        }
      }
    }
  });

  it('the dist scripts build (which lists licences), then package', () => {
    for (const [script, flag] of [
      ['dist:win', '--win'],
      ['dist:mac', '--mac'],
      ['dist:linux', '--linux'],
    ] as const) {
      expect(packageJson.scripts[script]).toBe(`npm run build && electron-builder ${flag}`);
    }
    expect(readFileSync(join(projectDir, 'scripts/build.mjs'), 'utf8')).toContain(
      'scripts/collect-licenses.mjs',
    );
    expect(packageJson.scripts['package:check']).toContain('test/packaging');
    expect(packageJson.scripts.icons).toBe('node scripts/make-icons.mjs');
  });
});

describe('docs/INSTALL.md', () => {
  it('covers installing and uninstalling on each OS and the saved token', () => {
    const doc = read('docs/INSTALL.md');
    for (const heading of ['## Windows', '## macOS', '## Linux']) expect(doc).toContain(heading);
    expect(doc.match(/### Uninstall/g)?.length).toBe(3);
    for (const topic of [
      '--remove-credentials',
      'Credential Manager',
      'Keychain',
      'per-machine',
      'logs',
    ])
      expect(doc).toContain(topic);
  });
});

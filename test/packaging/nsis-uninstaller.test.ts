// Compiles build/installer.nsh with the real NSIS compiler (Debian's makensis, warnings as
// errors like electron-builder) inside a small harness that stands in for electron-builder's
// templates, so a syntax slip in the uninstaller page fails here and not on the Windows
// release runner. Owns its temp dir; runs nothing on Windows.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const buildDir = join(import.meta.dirname, '..', '..', 'build');
const MAKENSIS = 'makensis';

/**
 * The parts of electron-builder's NSIS templates the include relies on: its defines, the
 * `$installMode` variable, the `${isUpdated}` test (the update flag on the command line) and
 * the uninstaller page list and section where electron-builder inserts our macros.
 */
function harness(include: string, outFile: string): string {
  return `Unicode true
!define PRODUCT_NAME "CloudBridge Desktop"
!define APP_ID "dev.cloudbridge.desktop"
!define BUILD_RESOURCES_DIR "${buildDir}"
!define BUILD_UNINSTALLER
Name "\${PRODUCT_NAME}"
OutFile "${outFile}"
RequestExecutionLevel user
InstallDir "$LOCALAPPDATA\\Programs\\\${PRODUCT_NAME}"
Var installMode
!include MUI2.nsh
!include LogicLib.nsh
!include FileFunc.nsh
!macro _isUpdated _a _b _t _f
  \${GetParameters} $R9
  ClearErrors
  \${GetOptions} $R9 "--updated" $R8
  IfErrors \`\${_f}\` \`\${_t}\`
!macroend
!define isUpdated \`"" isUpdated ""\`
!include "${include}"
!insertmacro MUI_PAGE_INSTFILES
!insertmacro customUnWelcomePage
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"
Section "Install"
  SetOutPath $INSTDIR
  WriteUninstaller "$INSTDIR\\Uninstall.exe"
SectionEnd
Function un.onInit
  StrCpy $installMode "CurrentUser"
  !insertmacro customUnInit
FunctionEnd
Section "Uninstall"
  !insertmacro customUnInstall
  Delete "$INSTDIR\\Uninstall.exe"
  RMDir "$INSTDIR"
SectionEnd
`;
}

function makensis(script: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(MAKENSIS, ['-WX', '-V2', script], { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}\n${stderr}` });
    });
  });
}

describe('NSIS uninstaller additions', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cloudbridge-nsis-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('compiles with warnings as errors, embedding the credential script', async () => {
    const script = join(dir, 'harness.nsi');
    const out = join(dir, 'harness.exe');
    writeFileSync(script, harness(join(buildDir, 'installer.nsh'), out));
    const result = await makensis(script);
    expect(result.output).not.toMatch(/warning/i);
    expect(result.code, result.output).toBe(0);
    expect(readFileSync(out).subarray(0, 2).toString('latin1')).toBe('MZ');
    // The uninstaller carries remove-credentials.ps1: without it the exe is smaller.
    const withoutScript = join(dir, 'installer-no-ps1.nsh');
    writeFileSync(
      withoutScript,
      readFileSync(join(buildDir, 'installer.nsh'), 'utf8').replace(/^\s*File "\/oname=.*$/m, ''),
    );
    const bare = join(dir, 'bare.nsi');
    writeFileSync(bare, harness(withoutScript, join(dir, 'bare.exe')));
    expect((await makensis(bare)).code).toBe(0);
    expect(statSync(out).size).toBeGreaterThan(statSync(join(dir, 'bare.exe')).size);
  });

  it('fails on a broken include, so the check above means something', async () => {
    const broken = join(dir, 'installer.nsh');
    copyFileSync(join(buildDir, 'installer.nsh'), broken);
    const original = readFileSync(broken, 'utf8');
    // Drop the FunctionEnd of the page's create function: a nested Function is an error.
    const mangled = original.replace(
      '  FunctionEnd\n\n  Function un.cbCleanupPageLeave',
      '\n  Function un.cbCleanupPageLeave',
    );
    expect(mangled).not.toBe(original);
    writeFileSync(broken, mangled);
    const script = join(dir, 'harness.nsi');
    writeFileSync(script, harness(broken, join(dir, 'harness.exe')));
    const result = await makensis(script);
    expect(result.code).not.toBe(0);
  });
});

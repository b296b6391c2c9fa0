// The Electron fuses: the one config object holds exactly the flags the release needs, and the
// afterPack hook writes them into a binary's fuse wire (a stand-in file carrying the real
// sentinel), skipping only the placeholder Electron of the packaging check.
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

interface AfterPackContext {
  appOutDir: string;
  electronPlatformName: string;
  arch: number;
  packager: { executableName?: string; appInfo: { productFilename: string } };
}
type AfterPack = (
  context: AfterPackContext,
  log?: (line: string) => void,
) => Promise<{ flipped: boolean; binary: string }>;

const { FUSES } = require('../../scripts/fuses-config.cjs') as {
  FUSES: Readonly<Record<string, boolean>>;
};
const afterPack = require('../../scripts/after-pack.cjs') as AfterPack & {
  electronBinaryPath: (context: AfterPackContext) => string;
};
const { createPlaceholderElectron } = require('../../scripts/placeholder-electron/create.cjs') as {
  createPlaceholderElectron: (dir: string, version: string) => string;
};

/** Electron 45's fuse wire: the sentinel, version 1, eight fuses, surrounded by other bytes. */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const STOCK_WIRE = '10110001'; // RunAsNode on, cookie encryption off, NODE_OPTIONS on, inspect on, ...
/** Fuse states are the ASCII digits '0' and '1' in the wire. */
const DISABLED = 0x30;
const ENABLED = 0x31;

function fakeElectronBinary(path: string): void {
  const wire = Buffer.concat([
    Buffer.from(SENTINEL, 'latin1'),
    Buffer.from([1, STOCK_WIRE.length]),
    Buffer.from(STOCK_WIRE, 'latin1'),
  ]);
  writeFileSync(
    path,
    Buffer.concat([
      Buffer.from('\x7fELF stand-in code '.repeat(64), 'latin1'),
      wire,
      Buffer.alloc(4096, 0xcc),
    ]),
  );
}

describe('Electron fuses', () => {
  let dir = '';
  const lines: string[] = [];
  const context = (): AfterPackContext => ({
    appOutDir: dir,
    electronPlatformName: 'linux',
    arch: 1,
    packager: {
      executableName: 'cloudbridge-desktop',
      appInfo: { productFilename: 'CloudBridge Desktop' },
    },
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cloudbridge-fuses-'));
    lines.length = 0;
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('configures exactly the seven release fuses', () => {
    expect(FUSES).toEqual({
      RunAsNode: false,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      EnableCookieEncryption: true,
      EnableEmbeddedAsarIntegrityValidation: true,
      OnlyLoadAppFromAsar: true,
      GrantFileProtocolExtraPrivileges: false,
    });
    for (const name of Object.keys(FUSES)) expect(FuseV1Options, name).toHaveProperty(name);
  });

  it('flips the fuse wire of a real-looking binary and leaves the rest of it alone', async () => {
    const binary = join(dir, 'cloudbridge-desktop');
    fakeElectronBinary(binary);
    const result = await afterPack(context(), (line) => lines.push(line));
    expect(result).toEqual({ flipped: true, binary });

    const wire = await getCurrentFuseWire(binary);
    const state = (on: boolean): number => (on ? ENABLED : DISABLED);
    for (const [name, on] of Object.entries(FUSES)) {
      expect(wire[FuseV1Options[name as keyof typeof FuseV1Options]], name).toBe(state(on));
    }
    // The stock binary grants file:// extra privileges; the packed one does not.
    expect(STOCK_WIRE[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe('1');
    expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(DISABLED);
    // Fuses we do not configure keep what the binary shipped with.
    expect(wire[FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]).toBe(DISABLED);
    expect(lines.join('\n')).toContain('fuses flipped');
    expect(lines.join('\n')).toContain('RunAsNode=off');
  });

  it('fails the build when the binary has no fuse wire, instead of shipping unfused', async () => {
    writeFileSync(join(dir, 'cloudbridge-desktop'), 'not electron at all');
    await expect(afterPack(context(), (line) => lines.push(line))).rejects.toThrow(/sentinel/i);
  });

  it('skips the placeholder Electron with a clear line, and touches nothing', async () => {
    createPlaceholderElectron(join(dir, 'dist'), '45.4.1');
    const placeholderContext = {
      ...context(),
      appOutDir: join(dir, 'dist'),
      packager: { ...context().packager, executableName: 'electron' },
    };
    const result = await afterPack(placeholderContext, (line) => lines.push(line));
    expect(result.flipped).toBe(false);
    expect(lines).toEqual([
      `after-pack: ${join(dir, 'dist', 'electron')} is the local placeholder Electron (packaging check), fuses not flipped`,
    ]);
  });

  it('finds the binary where electron-builder puts it on each OS', () => {
    const base = context();
    expect(afterPack.electronBinaryPath(base)).toBe(join(dir, 'cloudbridge-desktop'));
    expect(afterPack.electronBinaryPath({ ...base, electronPlatformName: 'win32' })).toBe(
      join(dir, 'CloudBridge Desktop.exe'),
    );
    expect(afterPack.electronBinaryPath({ ...base, electronPlatformName: 'darwin' })).toBe(
      join(dir, 'CloudBridge Desktop.app'),
    );
  });
});

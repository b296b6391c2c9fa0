// Launch at login on Linux: the XDG autostart entry is written with a correctly quoted Exec
// line, rewritten when the program moves, and removed when switched off.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeStoreFs, type StoreFs } from '../../src-main/services/atomic-json';
import {
  AUTOSTART_FILE,
  autostartEntry,
  quoteExecArgument,
  setLinuxAutostart,
} from '../../src-main/services/linux-autostart';

let configHome: string;
beforeEach(() => {
  configHome = mkdtempSync(join(tmpdir(), 'cloudbridge-autostart-'));
});
afterEach(() => rmSync(configHome, { recursive: true, force: true }));

const entryPath = () => join(configHome, 'autostart', AUTOSTART_FILE);
const execLine = (text: string) => text.split('\n').find((line) => line.startsWith('Exec='));

describe('Linux autostart entry', () => {
  it('quotes Exec arguments as the Desktop Entry spec asks', () => {
    expect(quoteExecArgument('/opt/CloudBridge/cloudbridge-desktop')).toBe(
      '/opt/CloudBridge/cloudbridge-desktop',
    );
    expect(quoteExecArgument('/home/a b/CloudBridge.AppImage')).toBe(
      '"/home/a b/CloudBridge.AppImage"',
    );
    expect(quoteExecArgument('/x/$HOME"`\\y')).toBe('"/x/\\$HOME\\"\\`\\\\y"');
    expect(quoteExecArgument('/tmp/100%')).toBe('/tmp/100%%');
    expect(execLine(autostartEntry('/home/a b/app', ['--hidden']))).toBe(
      'Exec="/home/a b/app" --hidden',
    );
  });

  it('writes the entry when switched on, rewrites it when the program moves, removes it when off', async () => {
    const options = { configHome, args: ['--hidden'], fs: nodeStoreFs };
    await setLinuxAutostart(true, { ...options, execPath: '/opt/CloudBridge/cloudbridge-desktop' });
    const first = readFileSync(entryPath(), 'utf8');
    expect(first.startsWith('[Desktop Entry]\nType=Application\n')).toBe(true);
    expect(execLine(first)).toBe('Exec=/opt/CloudBridge/cloudbridge-desktop --hidden');

    await setLinuxAutostart(true, { ...options, execPath: '/home/me/Apps/CloudBridge.AppImage' });
    expect(execLine(readFileSync(entryPath(), 'utf8'))).toBe(
      'Exec=/home/me/Apps/CloudBridge.AppImage --hidden',
    );

    await setLinuxAutostart(false, { ...options, execPath: '/unused' });
    expect(existsSync(entryPath())).toBe(false);
    // Switching off twice is not an error.
    await setLinuxAutostart(false, { ...options, execPath: '/unused' });
    expect(existsSync(join(configHome, 'autostart', `${AUTOSTART_FILE}.tmp`))).toBe(false);
  });

  it('leaves an entry that is already right alone (it is applied on every start)', async () => {
    let writes = 0;
    const fs: StoreFs = {
      ...nodeStoreFs,
      writeFileDurable: (path, data) => {
        writes += 1;
        return nodeStoreFs.writeFileDurable(path, data);
      },
    };
    const options = { configHome, execPath: '/opt/cloudbridge', args: ['--hidden'], fs };
    await setLinuxAutostart(true, options);
    await setLinuxAutostart(true, options);
    expect(writes).toBe(1);
    expect(readFileSync(entryPath(), 'utf8')).toBe(
      autostartEntry('/opt/cloudbridge', ['--hidden']),
    );
  });
});

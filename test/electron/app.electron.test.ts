// The packaged app in a real Electron (the `electron` vitest project, `npm run test:electron`):
// launched with Playwright from `electron-builder --dir` output, it opens its window, has a
// tray, answers an IPC request from the page, runs the engine host child, and quits with
// exit code 0. Runs on the build workflow's runners only (this machine cannot run Electron).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, type ElectronApplication } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import type { BridgeApi } from '../../src-main/shared/ipc-contract';
import type { TestHooks } from '../../src-main/electron/test-hooks';
import { REPO_ROOT } from '../harness/bundle';

/** Where `electron-builder --dir` puts the executable on each OS (or CLOUDBRIDGE_APP_EXECUTABLE). */
function packagedExecutable(): string | null {
  const given = process.env.CLOUDBRIDGE_APP_EXECUTABLE;
  if (given) return given;
  const release = join(REPO_ROOT, 'release');
  const candidates =
    process.platform === 'win32'
      ? [join(release, 'win-unpacked', 'CloudBridge Desktop.exe')]
      : process.platform === 'darwin'
        ? ['mac', 'mac-arm64', 'mac-universal'].map((dir) =>
            join(
              release,
              dir,
              'CloudBridge Desktop.app',
              'Contents',
              'MacOS',
              'CloudBridge Desktop',
            ),
          )
        : [join(release, 'linux-unpacked', 'cloudbridge-desktop')];
  return candidates.find((path) => existsSync(path)) ?? null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const executable = packagedExecutable();
let app: ElectronApplication | null = null;
let userData: string | null = null;

afterEach(async () => {
  await app?.close().catch(() => undefined);
  app = null;
  if (userData) rmSync(userData, { recursive: true, force: true });
  userData = null;
});

describe.skipIf(executable === null)('packaged app in Electron', () => {
  it('opens the window and the tray, answers IPC, runs the engine host, and quits with 0', async () => {
    userData = mkdtempSync(join(tmpdir(), 'cloudbridge-electron-'));
    app = await electron.launch({
      executablePath: executable!,
      args: [`--user-data-dir=${userData}`],
      env: { ...(process.env as Record<string, string>), CLOUDBRIDGE_TEST_HOOKS: '1' },
      timeout: 60_000,
    });
    const exited = new Promise<number | null>((resolve) =>
      app!.process().once('exit', (code) => resolve(code)),
    );

    const page = await app.firstWindow({ timeout: 60_000 });
    await page.waitForLoadState('domcontentloaded');
    await page.locator('h1, h2').first().waitFor({ state: 'visible', timeout: 30_000 });

    // An IPC round trip from the page through the preload's named method.
    const info = await page.evaluate(() =>
      (globalThis as unknown as { cloudbridge: BridgeApi }).cloudbridge.appInfo(undefined),
    );
    const version = (
      JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
    ).version;
    expect(info).toMatchObject({ ok: true, value: { version } });

    // Runs in main (serialised by Playwright): the hooks main.ts installs for this test only.
    const readHooks = () =>
      app!.evaluate(() => {
        const h = (globalThis as unknown as Record<string, TestHooks | undefined>)[
          '__cloudbridgeTestHooks'
        ];
        return h ? { hasTray: h.hasTray(), hostPid: h.engineHostPid() } : null;
      });
    expect(await readHooks()).toMatchObject({ hasTray: true });

    // The engine host child runs next to main, as its own process.
    let hostPid: number | null = null;
    for (let i = 0; i < 100 && hostPid === null; i += 1) {
      hostPid = (await readHooks())?.hostPid ?? null;
      if (hostPid === null) await new Promise((r) => setTimeout(r, 100));
    }
    expect(hostPid).not.toBeNull();
    expect(hostPid).not.toBe(app.process().pid);
    expect(isAlive(hostPid!)).toBe(true);

    await app.evaluate(({ app: electronApp }) => electronApp.quit());
    expect(await exited).toBe(0);
    app = null;
    for (let i = 0; i < 50 && isAlive(hostPid!); i += 1)
      await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(hostPid!)).toBe(false);
  });
});

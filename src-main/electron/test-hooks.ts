// What the packaged-app test (test/electron) may read from the main process, and only when
// CLOUDBRIDGE_TEST_HOOKS=1: whether the tray exists and the engine host child's pid. Read
// through Playwright's electronApp.evaluate(); nothing is exposed to the page.

export const TEST_HOOKS_ENV = 'CLOUDBRIDGE_TEST_HOOKS';
export const TEST_HOOKS_GLOBAL = '__cloudbridgeTestHooks';

export interface TestHooks {
  readonly hasTray: () => boolean;
  readonly engineHostPid: () => number | null;
}

export function installTestHooks(
  hooks: TestHooks,
  env: NodeJS.ProcessEnv = process.env,
  target: Record<string, unknown> = globalThis,
): boolean {
  if (env[TEST_HOOKS_ENV] !== '1') return false;
  target[TEST_HOOKS_GLOBAL] = hooks;
  return true;
}

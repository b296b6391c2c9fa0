// The folder rules of eslint.boundaries.mjs fire: every fixture in test/lint-fixtures is
// linted as if it sat at its own path in the repository and must break exactly the rule its
// name says, and the repository's real ESLint config carries those rules.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { boundaryConfigs } from '../../eslint.boundaries.mjs';
import { REPO_ROOT } from '../harness/bundle';

const FIXTURES = join(REPO_ROOT, 'test', 'lint-fixtures');

const boundaries = new ESLint({
  cwd: REPO_ROOT,
  overrideConfigFile: true,
  overrideConfig: [
    { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
    ...boundaryConfigs,
  ],
});

async function lintFixture(path: string): Promise<{ rule: string | null; message: string }[]> {
  const code = readFileSync(join(FIXTURES, path), 'utf8');
  const [result] = await boundaries.lintText(code, { filePath: join(REPO_ROOT, path) });
  return (result?.messages ?? []).map((m) => ({ rule: m.ruleId, message: m.message }));
}

const BAD: readonly [path: string, rule: string, says: RegExp][] = [
  ['src-main/engine/imports-relay.ts', 'no-restricted-imports', /engine\/ imports only/],
  ['src-main/engine/imports-services.ts', 'no-restricted-imports', /engine\/ imports only/],
  ['src-main/engine/imports-electron.ts', 'no-restricted-imports', /may import electron/],
  ['src-main/relay/imports-engine.ts', 'no-restricted-imports', /never the client engine/],
  ['src-main/engine-host/imports-services.ts', 'no-restricted-imports', /engine-host\/ is plain/],
  ['src-main/engine-host/imports-electron.ts', 'no-restricted-imports', /may import electron/],
  ['src-main/protocol/imports-engine.ts', 'no-restricted-imports', /imports only shared/],
  ['src-main/shared/imports-node.ts', 'no-restricted-imports', /no node:\*/],
  ['src-main/shared/imports-protocol.ts', 'no-restricted-imports', /imports nothing else/],
  ['src-main/preload/imports-node.ts', 'no-restricted-imports', /no node:\*/],
  ['src-main/services/imports-electron.ts', 'no-restricted-imports', /may import electron/],
  ['src-main/services/raw-ipc-renderer.ts', 'no-restricted-imports', /may import electron/],
  ['src-main/services/raw-ipc-renderer.ts', 'no-restricted-syntax', /ipcRenderer lives only/],
  ['src-main/electron/raw-ipc-main.ts', 'no-restricted-syntax', /ipcMain lives only/],
  ['src-main/cli/imports-electron.ts', 'no-restricted-imports', /may import electron/],
  ['src-renderer/imports-engine.ts', 'no-restricted-imports', /only src-main\/shared/],
  ['src-renderer/imports-node.ts', 'no-restricted-imports', /no Node modules/],
];

describe('folder rules', () => {
  it.each(BAD)('%s breaks %s', async (path, rule, says) => {
    const messages = await lintFixture(path);
    expect(messages.some((m) => m.rule === rule && says.test(m.message))).toBe(true);
  });

  it('lets the engine import protocol/, shared/ and node:* without a finding', async () => {
    expect(await lintFixture('src-main/engine/allowed.ts')).toEqual([]);
  });

  it('lets the engine host import engine/, relay/, protocol/, shared/ and node:*', async () => {
    expect(await lintFixture('src-main/engine-host/allowed.ts')).toEqual([]);
  });

  it('leaves raw ipcMain to ipc-main.ts and raw ipcRenderer to the preload', async () => {
    const code =
      "import { ipcMain, ipcRenderer } from 'electron';\nexport const x = [ipcMain, ipcRenderer];\n";
    const lint = async (path: string) => {
      const [result] = await boundaries.lintText(code, { filePath: join(REPO_ROOT, path) });
      return (result?.messages ?? []).map((m) => m.message).join('\n');
    };
    expect(await lint('src-main/electron/ipc-main.ts')).toBe('');
    expect(await lint('src-main/preload/preload.ts')).toMatch(/ipcMain lives only/);
    expect(await lint('src-main/preload/preload.ts')).not.toMatch(/ipcRenderer lives only/);
  });

  it('is part of the repository lint config', async () => {
    const real = new ESLint({ cwd: REPO_ROOT });
    const config = (await real.calculateConfigForFile(
      join(REPO_ROOT, 'src-main/engine/engine.ts'),
    )) as { rules: Record<string, unknown> };
    expect(JSON.stringify(config.rules['no-restricted-imports'])).toMatch(/engine\/ imports only/);
  });
});

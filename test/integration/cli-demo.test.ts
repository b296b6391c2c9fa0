// `npm run demo` as a person runs it: the bundled demo as a child process must end with the
// one-line summary, a SHA-256 match and exit status 0, and close everything it started.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { bundleEntry, childEnv, REPO_ROOT } from '../harness/bundle';

import { runToCompletion } from '../harness/processes';

const dir = mkdtempSync(join(tmpdir(), 'cloudbridge-demo-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run demo', () => {
  it('walks through relay, targets and tunnels and ends with an ok summary and status 0', async () => {
    const script = join(dir, 'demo.cjs');
    await bundleEntry('src-main/cli/demo.ts', script);
    const result = await runToCompletion(process.execPath, [script], {
      cwd: REPO_ROOT,
      env: childEnv(),
      timeoutMs: 60_000,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    for (const step of ['1. starting a relay', '4. HTTP GET', '5. sending', '6. closing']) {
      expect(lines.some((line) => line.includes(step))).toBe(true);
    }
    expect(
      lines.some((line) => / Active {2}relay 127\.0\.0\.1:\d+ {2}client demo-user/.test(line)),
    ).toBe(true);
    expect(lines.at(-1)).toMatch(
      /^demo: ok, 2 tunnels, \d+\.\d MiB through the relay, 8 MiB at \d+ MB\/s, sha256 match$/,
    );
  });
});

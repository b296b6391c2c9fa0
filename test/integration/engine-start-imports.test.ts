// What a consumer's engine loads at start: the X.509 library of published servers and the
// reflect-metadata polyfill it needs (engine/inner-tls.ts) wait until a certificate is made.
// Loaded with the rest, they cost `cloudbridge connect` about 40% more CPU per byte carried
// (bench: CPU s per GiB through one tunnel stream). Checked on the real CLI bundle.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleEntry, childEnv } from '../harness/bundle';

let dir = '';
let cli = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cb-start-imports-'));
  cli = await bundleEntry('src-main/cli/cloudbridge.ts', join(dir, 'cloudbridge.js'));
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the engine at start', () => {
  it('has not loaded the X.509 library or reflect-metadata by the time the CLI has run', () => {
    const probe = join(dir, 'probe.js');
    writeFileSync(
      probe,
      `process.on('exit', () => process.stderr.write('PROBE ' + JSON.stringify({
        reflect: typeof Reflect.getMetadata,
        x509: Object.keys(require.cache).some((path) => path.includes('@peculiar/x509')),
      }) + '\\n'));\n`,
    );
    const run = spawnSync(process.execPath, ['--require', probe, cli, '--help'], {
      env: childEnv(),
      encoding: 'utf8',
      timeout: 20_000,
    });
    const line = run.stderr.split('\n').find((l) => l.startsWith('PROBE '));
    expect(line, run.stderr).toBeDefined();
    expect(JSON.parse(line!.slice('PROBE '.length))).toEqual({ reflect: 'undefined', x509: false });
  });
});

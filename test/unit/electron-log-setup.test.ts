// electron-log as the app's log writer: our JSON lines land in the file verbatim (no
// electron-log prefix), written without blocking and readable by this user only, and size
// rotation keeps N old files.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { electronStandIn } from '../harness/electron-stand-in';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('electron-log writer', () => {
  it('writes JSON lines verbatim, asynchronously, mode 0600, and rotates by size keeping N files', async () => {
    electronStandIn.app = {
      getName: () => 'CloudBridge',
      getVersion: () => '0.0.0',
      getPath: () => tmpdir(),
      on: () => undefined,
      once: () => undefined,
      isReady: () => true,
      whenReady: () => Promise.resolve(),
    };
    const { createElectronLogWriter, LOG_FILE_NAME } =
      await import('../../src-main/electron/log-setup');
    const dir = mkdtempSync(join(tmpdir(), 'cb-elog-'));
    dirs.push(dir);
    const writer = createElectronLogWriter({ directory: dir, maxBytes: 2_000, keep: 2 });
    const line = (i: number) =>
      JSON.stringify({
        timestamp: '2026-01-01T00:00:00.000Z',
        level: 'info',
        event: `e${i}`,
        tunnel_id: null,
        details: { pad: 'x'.repeat(100) },
      });
    writer.write(line(0));
    const path = join(dir, LOG_FILE_NAME);
    // Queued, not written in the caller's turn: the main process does not wait for the disk.
    expect(existsSync(path) ? readFileSync(path, 'utf8') : '').toBe('');
    await vi.waitFor(() => expect(readFileSync(path, 'utf8').split(/\r?\n/)[0]).toBe(line(0)));
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
    // Rotation looks at the bytes already written, so the lines go out one flush at a time.
    for (let i = 1; i < 80; i += 1) {
      writer.write(line(i));
      await vi.waitFor(
        () => expect(readFileSync(path, 'utf8').trim().split(/\r?\n/).at(-1)).toBe(line(i)),
        { interval: 2 },
      );
    }
    expect(existsSync(`${path}.1`)).toBe(true);
    expect(existsSync(`${path}.2`)).toBe(true);
    expect(existsSync(`${path}.3`)).toBe(false);
    const current = readFileSync(path, 'utf8').trim().split(/\r?\n/);
    expect(current.at(-1)).toBe(line(79));
    for (const l of current) expect(() => JSON.parse(l) as unknown).not.toThrow();
  });
});

// The app scheme handler on a real folder: files inside are served with our CSP, a malformed
// `%` escape or a NUL gets 400 instead of a throw, and a symlink (file or folder) whose real
// path leaves the renderer folder gets 404, even when the folder itself is reached by a link.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { electronStandIn } from '../harness/electron-stand-in';
import {
  CONTENT_SECURITY_POLICY,
  appRequestPath,
  handleAppProtocol,
  locateAppFile,
  serveAppRequest,
} from '../../src-main/electron/app-protocol';

const SECRET = 'outside-the-renderer-folder';
let dir = '';
let root = '';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cb-app-protocol-'));
  root = join(dir, 'renderer');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>CloudBridge</title>');
  writeFileSync(join(root, 'assets', 'main.js'), 'console.log(1)');
  mkdirSync(join(dir, 'outside'));
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  writeFileSync(join(dir, 'outside', 'data.json'), JSON.stringify({ SECRET }));
  // Links that escape: a file, a folder, an absolute target, a chain through an inner link.
  symlinkSync(join(dir, 'secret.txt'), join(root, 'leak.txt'));
  symlinkSync('../../secret.txt', join(root, 'assets', 'relative-leak.js'));
  symlinkSync(join(dir, 'outside'), join(root, 'linked-dir'));
  symlinkSync('leak.txt', join(root, 'chain.js'));
  // A link that stays inside is fine.
  symlinkSync(join(root, 'assets', 'main.js'), join(root, 'alias.js'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function get(url: string, base = root) {
  const response = await serveAppRequest(url, base);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe('app protocol handler', () => {
  it('serves files inside the renderer folder with the CSP and their type', async () => {
    const index = await get('cloudbridge://app/');
    expect(index.status).toBe(200);
    expect(index.text).toContain('<title>CloudBridge</title>');
    expect(index.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const script = await get('cloudbridge://app/assets/main.js');
    expect(script).toMatchObject({ status: 200, text: 'console.log(1)' });
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await get('cloudbridge://app/alias.js')).toMatchObject({
      status: 200,
      text: 'console.log(1)',
    });
  });

  it('answers 400 to a malformed percent escape or a NUL, without throwing', async () => {
    for (const url of [
      'cloudbridge://app/%',
      'cloudbridge://app/%zz.js',
      'cloudbridge://app/assets/%E0%A4%A.js',
      'cloudbridge://app/%C0%AF',
      'cloudbridge://app/index.html%00.js',
    ]) {
      expect(appRequestPath(url, root), url).toEqual({ kind: 'bad_request' });
      const answer = await get(url);
      expect(answer.status, url).toBe(400);
      expect(answer.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    }
  });

  it('answers 404 to a symlink whose real path leaves the folder, and to traversal', async () => {
    for (const url of [
      'cloudbridge://app/leak.txt',
      'cloudbridge://app/assets/relative-leak.js',
      'cloudbridge://app/linked-dir/data.json',
      'cloudbridge://app/chain.js',
      'cloudbridge://app/..%2fsecret.txt',
      'cloudbridge://app/%2e%2e%2fsecret.txt',
      'cloudbridge://other/index.html',
      'cloudbridge://app/missing.js',
      'cloudbridge://app/assets',
      'cloudbridge://app/linked-dir',
    ]) {
      const answer = await get(url);
      expect(answer.status, url).toBe(404);
      expect(answer.text, url).not.toContain(SECRET);
    }
  });

  it('compares real paths when the renderer folder itself is reached through a link', async () => {
    const linkedRoot = join(dir, 'app-link');
    symlinkSync(root, linkedRoot);
    expect(await get('cloudbridge://app/assets/main.js', linkedRoot)).toMatchObject({
      status: 200,
    });
    expect((await get('cloudbridge://app/leak.txt', linkedRoot)).status).toBe(404);
    expect(await locateAppFile('cloudbridge://app/index.html', linkedRoot)).toEqual({
      status: 200,
      file: join(root, 'index.html'),
    });
  });

  it('is what the app scheme is registered with', async () => {
    let handler: ((request: Request) => Promise<Response>) | null = null;
    electronStandIn.protocol = {
      handle: (scheme: string, fn: (request: Request) => Promise<Response>) => {
        expect(scheme).toBe('cloudbridge');
        handler = fn;
      },
    };
    handleAppProtocol(root);
    expect(handler).not.toBeNull();
    const serve = handler as unknown as (request: Request) => Promise<Response>;
    expect((await serve(new Request('cloudbridge://app/leak.txt'))).status).toBe(404);
    expect((await serve(new Request('cloudbridge://app/%'))).status).toBe(400);
    expect((await serve(new Request('cloudbridge://app/index.html'))).status).toBe(200);
  });
});

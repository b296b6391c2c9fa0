// Serves the built renderer (dist/renderer) from the privileged `cloudbridge://app/` scheme,
// so the window has a real origin the IPC sender check can compare, and every response
// carries our CSP. Malformed URLs get 400; anything whose real path leaves the folder, 404.

import { promises as fsPromises } from 'node:fs';
import { extname, normalize, resolve, sep } from 'node:path';
import { protocol } from 'electron';

export const APP_SCHEME = 'cloudbridge';
export const APP_HOST = 'app';
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** connect-src 'none': the renderer talks only through the preload bridge, never the network. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** True for a URL of our own renderer origin. */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}

/** Where a request points before the file system is asked: a path under root, or why not. */
export type AppPath =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'bad_request' }
  | { readonly kind: 'not_found' };

/** Lexical mapping of an app URL under `root`: no file system access, never throws. */
export function appRequestPath(url: string, root: string): AppPath {
  if (!isAppUrl(url)) return { kind: 'not_found' };
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url).pathname);
  } catch {
    return { kind: 'bad_request' }; // a `%` not followed by two hex digits, or bad UTF-8
  }
  if (pathname.includes('\0')) return { kind: 'bad_request' };
  const relative =
    pathname === '/' || pathname === '' ? 'index.html' : pathname.replace(/^\/+/, '');
  const base = resolve(root);
  const file = resolve(base, normalize(relative));
  return file.startsWith(base + sep) ? { kind: 'file', path: file } : { kind: 'not_found' };
}

/** Maps an app URL to a file under `root`, or null when it would leave it or is malformed. */
export function resolveAppFile(url: string, root: string): string | null {
  const target = appRequestPath(url, root);
  return target.kind === 'file' ? target.path : null;
}

/** The file system calls the handler makes; Electron's fs reads inside app.asar too. */
export interface AppFileSystem {
  realpath(path: string): Promise<string>;
  isFile(path: string): Promise<boolean>;
  readFile(path: string): Promise<Uint8Array>;
}

/** Looked up at call time, so Electron's asar-aware fs.promises is the one used. */
export const nodeAppFileSystem: AppFileSystem = {
  realpath: (path) => fsPromises.realpath(path),
  isFile: async (path) => (await fsPromises.stat(path)).isFile(),
  readFile: (path) => fsPromises.readFile(path),
};

export type AppFile =
  { readonly status: 200; readonly file: string } | { readonly status: 400 | 404 };

/**
 * The file to serve for `url`: the lexical check, then the real paths of both the root and
 * the file (a symlink inside the folder may point anywhere), which must still nest.
 */
export async function locateAppFile(
  url: string,
  root: string,
  fs: AppFileSystem = nodeAppFileSystem,
): Promise<AppFile> {
  const target = appRequestPath(url, root);
  if (target.kind === 'bad_request') return { status: 400 };
  if (target.kind === 'not_found') return { status: 404 };
  try {
    const [realRoot, realFile] = await Promise.all([fs.realpath(root), fs.realpath(target.path)]);
    if (!realFile.startsWith(realRoot + sep)) return { status: 404 };
    if (!(await fs.isFile(realFile))) return { status: 404 };
    return { status: 200, file: realFile };
  } catch {
    return { status: 404 };
  }
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const STATUS_TEXT: Readonly<Record<400 | 404, string>> = { 400: 'bad request', 404: 'not found' };

/** The whole answer to one request; never throws. */
export async function serveAppRequest(
  url: string,
  root: string,
  fs: AppFileSystem = nodeAppFileSystem,
): Promise<Response> {
  const found = await locateAppFile(url, root, fs);
  const headers = new Headers({
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
  });
  if (found.status !== 200) {
    headers.set('Content-Type', 'text/plain; charset=utf-8');
    return new Response(STATUS_TEXT[found.status], { status: found.status, headers });
  }
  let body: Uint8Array;
  try {
    body = await fs.readFile(found.file);
  } catch {
    headers.set('Content-Type', 'text/plain; charset=utf-8');
    return new Response(STATUS_TEXT[404], { status: 404, headers });
  }
  headers.set('Content-Type', TYPES[extname(found.file)] ?? 'application/octet-stream');
  return new Response(new Uint8Array(body), { status: 200, headers });
}

/** Must run before app `ready`. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
    },
  ]);
}

export function handleAppProtocol(
  rendererRoot: string,
  fs: AppFileSystem = nodeAppFileSystem,
): void {
  protocol.handle(APP_SCHEME, (request) => serveAppRequest(request.url, rendererRoot, fs));
}

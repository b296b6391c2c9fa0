// Browser harness for end-to-end tests: builds the renderer into a temp dir, serves it on
// 127.0.0.1:<ephemeral>, launches Debian's Chromium through playwright-core, and gives a page
// the preload's API (named methods from REQUEST_CHANNELS + `on`) over a Playwright binding.
// It never talks to anything outside 127.0.0.0/8; close what you open.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import {
  EVENT_CHANNELS,
  methodName,
  REQUEST_CHANNELS,
  type EventChannel,
  type Events,
} from '../../src-main/shared/ipc-contract';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    timeout: 60_000,
  });
}

/**
 * Builds src-renderer with its own vite config into a fresh temp dir (not dist/, which a
 * concurrent `npm run build` may be emptying). Returns the dir; the caller removes it.
 */
export async function buildRenderer(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'cloudbridge-renderer-'));
  const { build } = await import('vite');
  await build({
    configFile: join(REPO_ROOT, 'src-renderer', 'vite.config.mts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
  return outDir;
}

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface StaticServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `root` read-only on 127.0.0.1 with an ephemeral port; nothing outside root. */
export async function serveStatic(root: string): Promise<StaticServer> {
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (
      !file.startsWith(root.endsWith(sep) ? root : root + sep) ||
      !existsSync(file) ||
      !statSync(file).isFile()
    ) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    response.end(readFileSync(file));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null)
    throw new Error('static server has no address');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type InvokeHandler = (channel: string, payload: unknown) => Promise<unknown>;

export interface PageBridge {
  /** Delivers a main -> renderer push to the page's `on` listeners. */
  emit<E extends EventChannel>(event: E, payload: Events[E]): Promise<void>;
}

/**
 * Gives the page `window.cloudbridge` shaped exactly like the preload's: one named method per
 * request channel, each forwarding (channel, payload) to `handle` through a binding, and
 * `on(event, fn) => unsubscribe` fed by `emit`. Call before the page navigates.
 */
export async function exposeBridge(
  context: BrowserContext | Page,
  handle: InvokeHandler,
): Promise<void> {
  await context.exposeBinding('__cloudbridgeInvoke', (_source, channel: string, payload: unknown) =>
    handle(channel, payload),
  );
  const methods = REQUEST_CHANNELS.map((channel) => [channel, methodName(channel)] as const);
  await context.addInitScript(
    ({ methods: pairs, events }) => {
      const scope = globalThis as unknown as Record<string, unknown>;
      const invoke = scope['__cloudbridgeInvoke'] as (
        channel: string,
        payload: unknown,
      ) => Promise<unknown>;
      const listeners = new Map<string, Set<(payload: unknown) => void>>(
        events.map((e) => [e, new Set()]),
      );
      const api: Record<string, unknown> = {};
      for (const [channel, method] of pairs)
        api[method] = (request: unknown) => invoke(channel, request);
      api['on'] = (event: string, listener: (payload: unknown) => void) => {
        const set = listeners.get(event);
        if (!set) throw new Error(`unknown event ${event}`);
        set.add(listener);
        return () => set.delete(listener);
      };
      scope['__cloudbridgeEmit'] = (event: string, payload: unknown) => {
        for (const listener of [...(listeners.get(event) ?? [])]) listener(payload);
      };
      Object.defineProperty(scope, 'cloudbridge', {
        value: Object.freeze(api),
        configurable: false,
      });
    },
    { methods, events: [...EVENT_CHANNELS] as string[] },
  );
}

/** Pushes an event into one page (after exposeBridge). Errors from a closing page are ignored. */
export async function emitToPage<E extends EventChannel>(
  page: Page,
  event: E,
  payload: Events[E],
): Promise<void> {
  try {
    await page.evaluate(
      ([name, body]) => {
        const emit = (globalThis as unknown as Record<string, unknown>)['__cloudbridgeEmit'] as
          ((e: string, p: unknown) => void) | undefined;
        emit?.(name, body);
      },
      [event, payload] as const,
    );
  } catch {
    // The page is gone or navigating; it asks for a fresh snapshot when it loads.
  }
}

export type FakeScenario = 'first-run' | 'active' | 'reconnecting';

let fakeBundle: Promise<string> | null = null;

/** test/harness/fake-bridge.ts as a browser script defining `__cloudbridgeFake`. */
function fakeBridgeBundle(): Promise<string> {
  fakeBundle ??= (async () => {
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: [join(REPO_ROOT, 'test', 'harness', 'fake-bridge.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      globalName: '__cloudbridgeFake',
      platform: 'browser',
      target: 'chrome120',
      logLevel: 'warning',
    });
    const output = result.outputFiles[0];
    if (!output) throw new Error('fake bridge bundle is empty');
    return output.text;
  })();
  return fakeBundle;
}

/** Installs the in-memory fake bridge in the page (screenshot pass only), in a given scenario and language. */
export async function exposeFakeBridge(
  context: BrowserContext | Page,
  scenario: FakeScenario,
  language: 'en' | 'ru' | 'system',
): Promise<void> {
  const bundle = await fakeBridgeBundle();
  const setup = `
    (() => {
      const fake = __cloudbridgeFake;
      const now = Date.now();
      const scenario = ${JSON.stringify(scenario)};
      const base = scenario === 'first-run' ? fake.firstRunSnapshot(now)
        : scenario === 'reconnecting' ? fake.reconnectingSnapshot(now, 3, 4000) : fake.activeSnapshot(now);
      const snapshot = { ...base, settings: { ...base.settings, language: ${JSON.stringify(language)} } };
      const bridge = fake.createFakeBridge({ snapshot, logs: scenario === 'first-run' ? [] : fake.sampleLogs(now) });
      Object.defineProperty(window, 'cloudbridge', { value: bridge.api });
      // The screenshot pass scripts answers and states through this (respond, update, pushLogs).
      Object.defineProperty(window, '__cloudbridgeFakeControl', { value: bridge });
    })();`;
  await context.addInitScript({ content: `${bundle}\n${setup}` });
}

export function removeDir(dir: string | null): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

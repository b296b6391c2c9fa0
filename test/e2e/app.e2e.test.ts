// End to end: the built renderer in real Chromium, driven like a person, over the REAL main
// service graph (createAppServices: settings, token store, engine, controller, IPC router)
// and the reference relay over TLS 1.3 on 127.0.0.1, carrying real HTTP to a local server.
// The page gets the preload's API through a binding into router.handle; pushes go back in.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import {
  request as httpRequest,
  createServer as createHttpServer,
  type Server as HttpServer,
} from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import {
  createKeytarSecretStore,
  createMemorySecretStore,
  type SecretStore,
} from '../../src-main/services/secret-store';
import {
  buildRenderer,
  emitToPage,
  exposeBridge,
  launchChromium,
  removeDir,
  serveStatic,
  type StaticServer,
} from '../harness/chromium';
import { startTestRelay, type TestRelay } from '../harness/relay';
import { bundleEntry, childEnv } from '../harness/bundle';
import { childEnvironment, createForkTransport } from '../../src-main/engine-host/transport';
import { freePort } from '../harness/traffic';

/** Page updates travel through IPC-shaped pushes; on a busy 2-core machine allow a while. */
const POLL_TIMEOUT_MS = 15_000;
const SHOTS = fileURLToPath(new URL('../../artifacts/screenshots/', import.meta.url));
const BODY_BYTES = 256 * 1024;

let outDir: string | null = null;
let server: StaticServer | null = null;
let browser: Browser | null = null;

let context: BrowserContext | null = null;
let services: AppServices | null = null;
let relays: TestRelay[] = [];
let target: HttpServer | null = null;
let dataDir: string | null = null;
let squatter: NetServer | null = null;

/** The engine runs in its own process, as in the app (src-main/engine-host). */
let hostChild = '';
const engineHost = {
  start: (onOutput: (stream: 'stdout' | 'stderr', line: string) => void) =>
    createForkTransport(hostChild, { env: childEnvironment(childEnv()), onOutput }),
};

beforeAll(async () => {
  outDir = await buildRenderer();
  hostChild = await bundleEntry(
    'src-main/engine-host/host-child.ts',
    join(mkdtempSync(join(tmpdir(), 'cloudbridge-e2e-host-')), 'host-child.js'),
  );
  server = await serveStatic(outDir);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  removeDir(outDir);
  if (hostChild) removeDir(dirname(hostChild));
});

afterEach(async () => {
  await context?.close();
  context = null;
  await services?.close();
  services = null;
  for (const relay of relays.splice(0)) await relay.close().catch(() => undefined);
  if (target) {
    target.closeAllConnections();
    await new Promise((resolve) => target!.close(resolve));
  }
  target = null;
  removeDir(dataDir);
  dataDir = null;
  if (squatter) await new Promise((resolve) => squatter!.close(resolve));
  squatter = null;
});

/** The real keychain when run-tests.mjs made a throwaway keyring, else the same port in memory. */
function secretStore(): SecretStore {
  return process.env.CLOUDBRIDGE_TEST_KEYRING === '1'
    ? createKeytarSecretStore({ service: `CloudBridge e2e ${randomBytes(4).toString('hex')}` })
    : createMemorySecretStore();
}

async function startTarget(): Promise<number> {
  const body = randomBytes(BODY_BYTES);
  target = createHttpServer((_request, response) => {
    response.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(body.length),
    });
    response.end(body);
  });
  await new Promise<void>((resolve) => target!.listen(0, '127.0.0.1', resolve));
  const address = target.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** A real HTTP GET through the tunnel's local port; resolves with the body length. */
function fetchThrough(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port, path: '/', agent: false, timeout: 20_000 },
      (response) => {
        let length = 0;
        response.on('data', (chunk: Buffer) => (length += chunk.length));
        response.on('end', () => resolve(length));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('fetch through tunnel timed out')));
    request.on('error', reject);
    request.end();
  });
}

/** "256 KB" -> 256000 (the page's formatBytes output, read back; decimal units). */
function parseBytes(text: string): number {
  const match = /([\d.,]+)\s*(B|KB|MB|GB)/.exec(text);
  if (!match?.[1] || !match[2]) return 0;
  const scale = { B: 1, KB: 1000, MB: 1000 ** 2, GB: 1000 ** 3 }[
    match[2] as 'B' | 'KB' | 'MB' | 'GB'
  ];
  return Number(match[1].replace(/,/g, '')) * scale;
}

async function openApp(app: AppServices): Promise<Page> {
  context = await browser!.newContext({ locale: 'en-US', viewport: { width: 960, height: 800 } });
  await exposeBridge(context, (channel, payload) => app.router.handle(channel, payload));
  const page = await context.newPage();
  app.onEvent((push) => void emitToPage(page, push.event, push.payload));
  app.setWindowVisible(true);
  await page.goto(server!.url);
  await page.getByRole('navigation').waitFor();
  return page;
}

async function nav(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name, exact: true }).click();
  await page.getByRole('heading', { level: 2, name }).waitFor();
}

const badge = (page: Page) => page.locator('[data-testid="status-header"] [role="status"]');

describe('desktop app end to end (real services, real relay, Chromium)', () => {
  it('signs in, connects, carries HTTP through a tunnel, survives a relay restart, and logs it all', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cloudbridge-e2e-'));
    const relay = await startTestRelay();
    relays.push(relay);
    const caFile = join(dataDir, 'relay-ca.pem');
    writeFileSync(caFile, relay.caPem);
    const targetPort = await startTarget();
    const localPort = await freePort();

    services = createAppServices({
      dataDir,
      secretStore: secretStore(),
      startBuiltinRelay: null,
      engineHost,
      launch: () => Promise.resolve(),
      appInfo: { version: '0.1.0-e2e', commit: 'e2e' },
    });
    await services.start();
    const page = await openApp(services);

    // First run: nothing configured.
    await expect
      .poll(() => badge(page).textContent(), { timeout: POLL_TIMEOUT_MS })
      .toBe('Disconnected');
    expect(await page.getByTestId('checklist').isVisible()).toBe(true);

    // Settings: the relay profile, trusting the per-run CA.
    await nav(page, 'Settings');
    await page.getByLabel('Host').fill('127.0.0.1');
    await page.getByLabel('Port').fill(String(relay.port));
    // The TLS fields are under Advanced.
    await page.getByText('Advanced: certificate, pin, server name').click();
    await page.getByLabel('CA file (PEM)').fill(caFile);
    await page.getByLabel('Server name (SNI)').fill('localhost');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved.').waitFor();
    expect(services.settings.get().relay).toMatchObject({
      host: '127.0.0.1',
      port: relay.port,
      caFile,
      serverName: 'localhost',
      insecure: false,
    });

    // Account: paste a token minted for this relay.
    await nav(page, 'Account');
    const token = await relay.token({ sub: 'e2e-user', ttlSec: 3_600 });
    await page.getByLabel('Access token').fill(token);
    await page.getByRole('button', { name: 'Save token' }).click();
    await expect
      .poll(() => page.getByTestId('subject').textContent(), { timeout: POLL_TIMEOUT_MS })
      .toBe('e2e-user');
    expect(await page.getByTestId('token-expiring').isVisible()).toBe(true);
    // The token went to the store, never back to the page.
    expect(await page.content()).not.toContain(token);

    // Tunnels: add one, off, then switch it on from the list.
    await nav(page, 'Tunnels');
    await page.getByRole('button', { name: 'Add tunnel' }).click();
    await page.getByTestId('preset-other').click();
    await page.getByLabel('Name').fill('Local web');
    await page.getByLabel('Local port').fill(String(localPort));
    await page.getByLabel('Remote host').fill('127.0.0.1');
    await page.getByLabel('Remote port').fill(String(targetPort));
    await page.getByRole('switch', { name: 'Turn on after saving' }).click();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const row = page
      .getByRole('listitem')
      .filter({ has: page.getByRole('heading', { name: 'Local web' }) });
    await expect
      .poll(() => row.getByTestId('tunnel-status').textContent(), { timeout: POLL_TIMEOUT_MS })
      .toBe('Off');

    // Status: connect (a saved token already starts the session when auto-connect is on).
    await nav(page, 'Status');
    if ((await badge(page).textContent()) === 'Disconnected') {
      await page.getByRole('button', { name: 'Connect', exact: true }).click();
    }
    await expect.poll(() => badge(page).textContent(), { timeout: 20_000 }).toBe('Active');
    expect(await page.getByTestId('client-id').textContent()).not.toBe('—');

    await nav(page, 'Tunnels');
    await row.getByRole('switch', { name: 'Turn tunnel Local web on or off' }).click();
    await expect
      .poll(() => row.getByTestId('tunnel-status').textContent(), { timeout: 20_000 })
      .toBe('Ready');
    // The counters are in the tunnel's details, under its name.
    await row.getByRole('heading', { name: 'Local web' }).getByRole('button').click();
    const before = parseBytes((await row.getByTestId('bytes-in').textContent()) ?? '');

    // Real bytes through the relay; the page's counters follow.
    expect(await fetchThrough(localPort)).toBe(BODY_BYTES);
    expect(await fetchThrough(localPort)).toBe(BODY_BYTES);
    await expect
      .poll(async () => parseBytes((await row.getByTestId('bytes-in').textContent()) ?? ''), {
        timeout: 10_000,
      })
      .toBeGreaterThanOrEqual(before + 2 * BODY_BYTES);
    expect(parseBytes((await row.getByTestId('bytes-out').textContent()) ?? '')).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'e2e-tunnels-active.png'), fullPage: true });

    // Kill the relay: the page shows Reconnecting, the attempt and a live countdown.
    await nav(page, 'Status');
    const port = relay.port;
    await relay.close();
    relays = relays.filter((r) => r !== relay);
    await expect.poll(() => badge(page).textContent(), { timeout: 20_000 }).toBe('Reconnecting');
    await expect
      .poll(() => page.getByTestId('attempt').textContent(), { timeout: 10_000 })
      .toMatch(/^\(attempt \d+ of 10\)$/);
    await expect
      .poll(() => page.getByTestId('countdown').textContent(), { timeout: 10_000 })
      .toMatch(/^Next try in \d+/);
    await page.screenshot({ path: join(SHOTS, 'e2e-status-reconnecting.png'), fullPage: true });

    // Restart it on the same port (same CA and secret): Active again, tunnel listening again.
    relays.push(await startTestRelay({ pki: relay.pki, secret: relay.secret, port }));
    await expect.poll(() => badge(page).textContent(), { timeout: 60_000 }).toBe('Active');
    await nav(page, 'Tunnels');
    await expect
      .poll(() => row.getByTestId('tunnel-status').textContent(), { timeout: 20_000 })
      .toBe('Ready');
    expect(await fetchThrough(localPort)).toBe(BODY_BYTES);

    // Logs: the loss and the reconnect are there, and the search finds them.
    await nav(page, 'Logs');
    // Each record says itself in words; its event is the row's data-event, its raw fields a
    // click away.
    const records = page.getByTestId('log-record');
    const withEvent = (event: string) =>
      page.locator(`[data-testid="log-record"][data-event="${event}"]`);
    await expect
      .poll(() => withEvent('connection_lost').count(), { timeout: POLL_TIMEOUT_MS })
      .toBeGreaterThan(0);
    expect(await withEvent('reconnect_scheduled').count()).toBeGreaterThan(0);
    expect(
      await withEvent('reconnect_scheduled').first().locator('.log-text').textContent(),
    ).toMatch(/^Reconnecting in [\d.]+ s \(attempt \d+\)\.$/);
    await page.getByLabel('Search').fill('reconnect_scheduled');
    // Only those records are left.
    await expect
      .poll(
        async () => (await records.count()) - (await withEvent('reconnect_scheduled').count()),
        { timeout: POLL_TIMEOUT_MS },
      )
      .toBe(0);
    expect(await records.count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'e2e-logs.png'), fullPage: true });
  });

  it('shows who holds a local port that is already in use, on the tunnel itself', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cloudbridge-e2e-'));
    const relay = await startTestRelay();
    relays.push(relay);
    const caFile = join(dataDir, 'relay-ca.pem');
    writeFileSync(caFile, relay.caPem);
    squatter = createNetServer();
    await new Promise<void>((resolve) => squatter!.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as { port: number }).port;

    services = createAppServices({
      dataDir,
      secretStore: secretStore(),
      startBuiltinRelay: null,
      engineHost,
      launch: () => Promise.resolve(),
    });
    await services.start();
    // Relay and token through the same router the page uses; the first test drives these by hand.
    const relayProfile = {
      id: 'e2e',
      name: 'e2e',
      host: '127.0.0.1',
      port: relay.port,
      caFile,
      pinSha256: null,
      serverName: 'localhost',
      insecure: false,
      opener: 'auto',
      builtin: false,
    };
    expect(
      (
        await services.router.handle('cloudbridge:settings.update', {
          relay: relayProfile,
          autoConnect: true,
        })
      ).ok,
    ).toBe(true);
    expect(
      (
        await services.router.handle('cloudbridge:token.save', {
          token: await relay.token({ sub: 'e2e-user' }),
        })
      ).ok,
    ).toBe(true);
    const page = await openApp(services);
    await expect.poll(() => badge(page).textContent(), { timeout: 20_000 }).toBe('Active');

    await nav(page, 'Tunnels');
    await page.getByRole('button', { name: 'Add tunnel' }).click();
    await page.getByTestId('preset-other').click();
    await page.getByLabel('Name').fill('Taken');
    await page.getByLabel('Local port').fill(String(taken));
    await page.getByLabel('Remote host').fill('127.0.0.1');
    await page.getByLabel('Remote port').fill('9');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const row = page
      .getByRole('listitem')
      .filter({ has: page.getByRole('heading', { name: 'Taken' }) });
    await expect
      .poll(() => row.getByTestId('tunnel-status').textContent(), { timeout: 20_000 })
      .toBe('Error');
    const error = row.getByTestId('tunnel-error');
    await expect
      .poll(() => error.textContent(), { timeout: POLL_TIMEOUT_MS })
      .toContain('The local port is already in use by another program.');
    await expect
      .poll(() => error.textContent(), { timeout: 15_000 })
      .toContain(`Port ${taken} is held by`);
    await page.screenshot({ path: join(SHOTS, 'e2e-tunnels-port-in-use.png'), fullPage: true });

    // Fixed from its own row: Change local port… offers a free one, Save port brings it up.
    await row.getByRole('button', { name: 'Change local port…' }).click();
    const field = row.getByLabel('New local port');
    await expect.poll(() => field.inputValue(), { timeout: POLL_TIMEOUT_MS }).toMatch(/^\d+$/);
    const next = Number(await field.inputValue());
    expect(next).not.toBe(taken);
    await row.getByRole('button', { name: 'Save port' }).click();
    await expect
      .poll(() => row.getByTestId('tunnel-status').textContent(), { timeout: 20_000 })
      .toBe('Ready');
    expect(await row.getByTestId('tunnel-error').count()).toBe(0);
    expect(services.settings.get().tunnels[0]?.localPort).toBe(next);
    await page.screenshot({ path: join(SHOTS, 'e2e-tunnels-port-fixed.png'), fullPage: true });
  });
});

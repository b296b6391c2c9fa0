// "Share this computer" end to end: a real cloudbridge-relay process over TLS on 127.0.0.1,
// instance A of the real services (engine in the engine host child, as in the app) driven
// through the built UI in Chromium shares Remote Desktop (a TCP echo server stands in for
// port 3389); instance B, a second app's services in this process signed in as another person
// of the tenant with a window of its own, finds it by name in Add tunnel and echoes bytes
// through the tunnel, while A's window shows who is connected, since when and the bytes;
// Stop sharing in A's window frees the name. The same flow again in Russian for the words a person reads.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppServices } from '../../src-main/services/app-services';
import {
  buildRenderer,
  emitToPage,
  exposeBridge,
  launchChromium,
  removeDir,
  serveStatic,
  type StaticServer,
} from '../harness/chromium';
import { stopAllProcesses } from '../harness/processes';
import { audit, blocking, lowContrastControls } from './a11y-audit';
import { spawnRelayProcess, type RelayProcess } from '../harness/relay';
import { connectTcp, startEchoServer, type TestServer } from '../harness/traffic';
import {
  cleanupShareTests,
  closeLater,
  expectOk,
  startInstance,
} from '../integration/services-share-helpers';

/** Page updates travel through IPC-shaped pushes; on a busy 2-core machine allow a while. */
const POLL_TIMEOUT_MS = 20_000;
const SHOTS = fileURLToPath(new URL('../../artifacts/screenshots/', import.meta.url));
const ECHO_BYTES = 256 * 1024;

let outDir: string | null = null;
let server: StaticServer | null = null;
let browser: Browser | null = null;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  outDir = await buildRenderer();
  server = await serveStatic(outDir);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  removeDir(outDir);
});

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
  await cleanupShareTests();
  await stopAllProcesses();
});

async function openWindow(app: AppServices, locale: string): Promise<Page> {
  const context = await browser!.newContext({ locale, viewport: { width: 1000, height: 820 } });
  contexts.push(context);
  await exposeBridge(context, (channel, payload) => app.router.handle(channel, payload));
  const page = await context.newPage();
  app.onEvent((push) => void emitToPage(page, push.event, push.payload));
  await page.goto(server!.url);
  await page.getByRole('navigation').waitFor();
  return page;
}

/** Sends `bytes` and reads them all back, leaving the connection open. */
function echoOnce(socket: Socket, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const timer = setTimeout(() => reject(new Error('no echo through the tunnel')), 20_000);
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
      if (got < bytes.length) return;
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(Buffer.concat(chunks));
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(bytes);
  });
}

interface Words {
  readonly language: 'en' | 'ru';
  readonly locale: string;
  readonly nav: string;
  readonly name: RegExp;
  readonly ssh: RegExp;
  readonly start: string;
  readonly online: string;
  readonly stop: string;
  readonly service: string;
  readonly nobody: string;
  readonly total: string;
  readonly echoed: RegExp;
  readonly tunnels: string;
  readonly add: string;
  readonly shared: string;
  readonly computer: string;
  readonly option: string;
  readonly save: string;
}

const EN: Words = {
  language: 'en',
  locale: 'en-US',
  nav: 'Share',
  name: /^Name/,
  ssh: /^SSH/,
  start: 'Start sharing',
  online: 'Online',
  stop: 'Stop sharing',
  service: 'Remote Desktop',
  nobody: 'Nobody is connected.',
  total: '1 connection since sharing started.',
  echoed: /^262\sKB$/,
  tunnels: 'Tunnels',
  add: 'Add tunnel',
  shared: 'A computer shared in your organisation',
  computer: 'Shared computer',
  option: '(online; end to end)',
  save: 'Save',
};

const RU: Words = {
  language: 'ru',
  locale: 'ru-RU',
  nav: 'Общий доступ',
  name: /^Имя/,
  ssh: /^SSH/,
  start: 'Открыть доступ',
  online: 'Доступен',
  stop: 'Закрыть доступ',
  service: 'Удалённый рабочий стол',
  nobody: 'Никто не подключён.',
  total: '1 соединение с начала доступа.',
  echoed: /^262\sКБ$/,
  tunnels: 'Туннели',
  add: 'Добавить туннель',
  shared: 'Общий компьютер вашей организации',
  computer: 'Общий компьютер',
  option: '(в сети; сквозное шифрование)',
  save: 'Сохранить',
};

interface Scene {
  readonly relay: RelayProcess;
  readonly rdp: TestServer;
}

async function scene(): Promise<Scene> {
  const relay = await spawnRelayProcess({ args: ['--auth-per-minute', '1000'] });
  closeLater(() => relay.close());
  const rdp = await startEchoServer();
  closeLater(() => rdp.close());
  return { relay, rdp };
}

/** A screenshot, and no serious axe finding or control edge under 3:1 on it. */
async function capture(page: Page, words: Words, what: string): Promise<void> {
  const file = `e2e-share-${what}-${words.language}.png`;
  await page.screenshot({ path: join(SHOTS, file), fullPage: true });
  const entry = await audit(page, {
    page: `share-${what}`,
    language: words.language,
    scheme: 'light',
    zoom: 100,
  });
  expect(blocking(entry), `${file}: serious or critical axe violations`).toEqual([]);
  expect(lowContrastControls(entry), `${file}: controls under 3:1`).toEqual([]);
}

async function shareAndReach(words: Words, name: string): Promise<void> {
  const { relay, rdp } = await scene();
  const a = await startInstance(relay, await relay.token({ sub: 'office' }), {
    engineHost: true,
    shareTargets: { rdp: { host: '127.0.0.1', port: rdp.port } },
  });
  const page = await openWindow(a.app, words.locale);
  await page.getByRole('navigation').getByRole('button', { name: words.nav, exact: true }).click();

  // Share Remote Desktop only, under `name`, from the form.
  const nameField = page.getByLabel(words.name);
  await nameField.fill(name);
  await page.getByRole('checkbox', { name: words.ssh }).uncheck();
  await capture(page, words, 'form');
  await page.getByRole('button', { name: words.start }).click();
  const status = page.getByTestId('share-status');
  await expect.poll(() => status.textContent(), { timeout: POLL_TIMEOUT_MS }).toBe(words.online);
  expect(await page.getByTestId('share-nobody').textContent()).toBe(words.nobody);
  expect(a.app.settings.get().share).toEqual({
    name,
    services: ['rdp'],
    allowSubs: null,
    enabled: true,
  });

  // A second app, another person of the tenant, finds it by name and reaches it.
  const b = await startInstance(relay, await relay.token({ sub: 'bob' }));
  expect(expectOk(await b.api.serversList(), 'listing')).toEqual([
    { name, ports: [3389], keyed: true, online: true },
  ]);
  // In B's own window: Add tunnel, a computer shared in the organisation, picked by name.
  const other = await openWindow(b.app, words.locale);
  await other
    .getByRole('navigation')
    .getByRole('button', { name: words.tunnels, exact: true })
    .click();
  await other.getByRole('button', { name: words.add }).first().click();
  await other.getByRole('radio', { name: words.shared }).check();
  const computer = other.getByLabel(words.computer, { exact: true });
  await expect
    .poll(() => computer.locator('option').allTextContents(), { timeout: POLL_TIMEOUT_MS })
    .toContain(`${name} ${words.option}`);
  await computer.selectOption(name);
  await other.getByTestId('server-keyed').waitFor();
  await capture(other, words, 'picker');
  await other.getByRole('button', { name: words.save, exact: true }).click();
  const tunnel = (
    await b.until((s) => s.settings.tunnels.some((t) => t.server === name), 'the tunnel saved')
  ).settings.tunnels.find((t) => t.server === name)!;
  expect(tunnel).toMatchObject({ kind: 'rdp', remoteHost: name, remotePort: 3389 });
  const localPort = tunnel.localPort;
  await b.until(
    (s) => s.engine.tunnels.some((t) => t.id === tunnel.id && t.status === 'listening'),
    'the tunnel listening',
  );
  const socket = await connectTcp(localPort);
  closeLater(() => socket.destroy());
  const sent = randomBytes(ECHO_BYTES);
  const received = await echoOnce(socket, sent);
  expect(received.equals(sent)).toBe(true);
  const reached = b.app.controller.snapshot().engine.tunnels.find((t) => t.id === tunnel.id);
  expect(reached?.endToEnd).toBe(true);

  // A's window: bob on Remote Desktop, since moments ago, the bytes both ways.
  const table = page.getByTestId('share-connections');
  await table.waitFor({ timeout: POLL_TIMEOUT_MS });
  const row = table.locator('tbody tr');
  await expect.poll(() => row.count(), { timeout: POLL_TIMEOUT_MS }).toBe(1);
  expect(await row.locator('th').textContent()).toBe('bob');
  const cells = row.locator('td');
  expect(await cells.nth(0).textContent()).toBe(words.service);
  // Where from, as the relay saw bob's connection.
  expect(await cells.nth(1).textContent()).toBe('127.0.0.1');
  expect(await cells.nth(2).locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
  // 256 KiB each way, as the window says it (decimal units, a no-break space).
  await expect
    .poll(() => cells.nth(3).textContent(), { timeout: POLL_TIMEOUT_MS })
    .toMatch(words.echoed);
  await expect
    .poll(() => cells.nth(4).textContent(), { timeout: POLL_TIMEOUT_MS })
    .toMatch(words.echoed);
  const published = a.app.controller.snapshot().engine.publish;
  expect(published?.connections).toMatchObject([
    { sub: 'bob', port: 3389, bytesIn: ECHO_BYTES, bytesOut: ECHO_BYTES },
  ]);
  await capture(page, words, 'connected');

  // bob hangs up: nobody is connected, one connection counted.
  socket.end();
  await page.getByTestId('share-nobody').waitFor({ timeout: POLL_TIMEOUT_MS });
  expect(await page.getByText(words.total).count()).toBe(1);

  // Stop sharing from the window: the relay forgets the name.
  await page.getByRole('button', { name: words.stop }).click();
  await page.getByRole('button', { name: words.start }).waitFor({ timeout: POLL_TIMEOUT_MS });
  await a.until((s) => (s.engine.publish ?? null) === null, 'the share unpublished');
  expect(a.app.settings.get().share?.enabled).toBe(false);
  await expect
    .poll(async () => expectOk(await b.api.serversList(), 'listing after stop'), {
      timeout: POLL_TIMEOUT_MS,
    })
    .toEqual([]);
}

describe('share this computer from the window, reached from a second app (real relay process, Chromium)', () => {
  it('shares Remote Desktop, a second app echoes bytes through it, the window shows who is connected, and Stop frees the name', async () => {
    await shareAndReach(EN, 'office-pc');
  });

  it('does the same in Russian', async () => {
    await shareAndReach(RU, 'ofis-pk');
  });
});

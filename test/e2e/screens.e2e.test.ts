// The built renderer in real Chromium over the in-memory fake bridge: every view in light and
// dark, English and Russian, plus 200% zoom, saved to artifacts/screenshots/. Also checks
// that the strict CSP refuses nothing, that each view's single h2 names it, and keyboard reachability.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, ConsoleMessage } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildRenderer,
  exposeFakeBridge,
  launchChromium,
  removeDir,
  serveStatic,
  type FakeScenario,
  type StaticServer,
} from '../harness/chromium';

/** Page updates travel through IPC-shaped pushes; on a busy 2-core machine allow a while. */
const POLL_TIMEOUT_MS = 15_000;
const SHOTS = fileURLToPath(new URL('../../artifacts/screenshots/', import.meta.url));
const VIEWS = [
  ['status', 'Status', 'Состояние'],
  ['tunnels', 'Tunnels', 'Туннели'],
  ['account', 'Account', 'Учётная запись'],
  ['logs', 'Logs', 'Журнал'],
  ['settings', 'Settings', 'Настройки'],
  ['about', 'About', 'О программе'],
] as const;

let outDir: string | null = null;
let server: StaticServer | null = null;
let browser: Browser | null = null;

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

async function openPage(options: {
  scenario: FakeScenario;
  language: 'en' | 'ru';
  scheme: 'light' | 'dark';
  zoom?: boolean;
}) {
  const context = await browser!.newContext({
    colorScheme: options.scheme,
    locale: options.language === 'ru' ? 'ru-RU' : 'en-US',
    // 200% zoom of a 960x720 window: half the CSS pixels, twice the device pixels.
    viewport: options.zoom ? { width: 480, height: 360 } : { width: 960, height: 720 },
    deviceScaleFactor: options.zoom ? 2 : 1,
  });
  await exposeFakeBridge(context, options.scenario, options.language);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    // frame-ancestors only works as a header (main sets it); in the meta it is a documented no-op.
    if (/frame-ancestors' is ignored/.test(message.text())) return;
    if (message.type() === 'error' || /Refused to/.test(message.text()))
      problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(server!.url);
  await page.getByRole('navigation').waitFor();
  return { context, page, problems };
}

describe('renderer in Chromium (fake bridge, screenshots)', () => {
  for (const language of ['en', 'ru'] as const) {
    for (const scheme of ['light', 'dark'] as const) {
      it(`draws every view in ${language}/${scheme} with no CSP refusals or page errors`, async () => {
        const { context, page, problems } = await openPage({
          scenario: 'active',
          language,
          scheme,
        });
        for (const [view, en, ru] of VIEWS) {
          const name = language === 'ru' ? ru : en;
          await page.getByRole('navigation').getByRole('button', { name, exact: true }).click();
          await expect
            .poll(() => page.getByRole('heading', { level: 2 }).textContent(), {
              timeout: POLL_TIMEOUT_MS,
            })
            .toBe(name);
          await page.screenshot({
            path: join(SHOTS, `${view}-${language}-${scheme}.png`),
            fullPage: true,
          });
        }
        expect(problems).toEqual([]);
        await context.close();
      });
    }
  }

  it('shows the reconnect countdown and the first-run offer', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const reconnecting = await openPage({ scenario: 'reconnecting', language: 'en', scheme });
      await expect
        .poll(() => reconnecting.page.getByTestId('countdown').textContent(), {
          timeout: POLL_TIMEOUT_MS,
        })
        .toMatch(/Next try in \d/);
      expect(await reconnecting.page.getByText('Attempt 3 of 10').isVisible()).toBe(true);
      await reconnecting.page.screenshot({
        path: join(SHOTS, `status-reconnecting-en-${scheme}.png`),
        fullPage: true,
      });
      await reconnecting.context.close();
      const first = await openPage({ scenario: 'first-run', language: 'en', scheme });
      expect(
        await first.page.getByRole('button', { name: 'Use the built-in local relay' }).isVisible(),
      ).toBe(true);
      await first.page.screenshot({
        path: join(SHOTS, `status-first-run-en-${scheme}.png`),
        fullPage: true,
      });
      await first.context.close();
    }
  });

  it('shows tunnel editor field errors as drawn in Chromium', async () => {
    for (const [language, scheme] of [
      ['en', 'light'],
      ['ru', 'dark'],
    ] as const) {
      const { context, page } = await openPage({ scenario: 'active', language, scheme });
      const en = language === 'en';
      await page
        .getByRole('navigation')
        .getByRole('button', { name: en ? 'Tunnels' : 'Туннели' })
        .click();
      await page.getByRole('button', { name: en ? 'Add tunnel' : 'Добавить туннель' }).click();
      await page.getByLabel(en ? 'Local port' : 'Локальный порт', { exact: true }).fill('2222');
      await page
        .getByLabel(en ? 'Remote host' : 'Удалённый узел', { exact: true })
        .fill('bad host!');
      await page.getByLabel(en ? 'Remote port' : 'Удалённый порт', { exact: true }).fill('70000');
      await page.getByRole('button', { name: en ? 'Save' : 'Сохранить', exact: true }).click();
      const errors = await page.locator('.field-error').allTextContents();
      expect(errors).toEqual(
        en
          ? [
              'Required.',
              'Tunnel “Build server” already uses this local port.',
              'Enter a host name or IP address.',
              'Enter a port from 1 to 65535.',
            ]
          : [
              'Обязательное поле.',
              'Этот локальный порт уже занят туннелем «Build server».',
              'Введите имя узла или IP-адрес.',
              'Введите порт от 1 до 65535.',
            ],
      );
      await page.screenshot({
        path: join(SHOTS, `tunnel-editor-${language}-${scheme}.png`),
        fullPage: true,
      });
      await context.close();
    }
  });

  it('stays usable at 200% zoom: nothing wider than the window, navigation wraps', async () => {
    const { context, page } = await openPage({
      scenario: 'active',
      language: 'ru',
      scheme: 'light',
      zoom: true,
    });
    for (const [view, , ru] of VIEWS) {
      await page.getByRole('navigation').getByRole('button', { name: ru, exact: true }).click();
      // Page-side expressions as strings: this file is type-checked without the DOM library.
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect(overflow, view).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(SHOTS, `${view}-ru-zoom200.png`), fullPage: true });
    }
    await context.close();
  });

  it('is keyboard reachable: Tab walks the navigation with a visible focus ring', async () => {
    const { context, page } = await openPage({
      scenario: 'active',
      language: 'en',
      scheme: 'light',
    });
    await page.keyboard.press('Tab');
    const focused = await page.evaluate<{ text: string; outline: string }>(
      `(() => { const el = document.activeElement; return { text: el ? el.textContent : '', outline: el ? getComputedStyle(el).outlineStyle : 'none' }; })()`,
    );
    expect(focused.text).toBe('Status');
    expect(focused.outline).not.toBe('none');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.getByRole('heading', { level: 2 }).textContent(), {
        timeout: POLL_TIMEOUT_MS,
      })
      .toBe('Tunnels');
    await context.close();
  });
});

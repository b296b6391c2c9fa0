// The built renderer in real Chromium over the in-memory fake bridge: every view in English and
// Russian, light and dark, at 100% and 200% zoom, plus the states worth seeing (first run, a
// relay test's answer, a log record's raw fields, Connecting), saved to artifacts/screenshots/.
// On each: axe-core finds no serious or critical violation, every control's edge keeps 3:1
// against what is behind it, the strict CSP refuses nothing, and at 200% nothing is wider than
// the window and the sidebar is a narrow rail. Also keyboard reachability and the tunnel
// editor's field errors as drawn. The audit goes to artifacts/axe-report.json and a summary.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayTestReport } from '../../src-main/shared/relay-test';
import {
  buildRenderer,
  exposeFakeBridge,
  launchChromium,
  removeDir,
  serveStatic,
  type FakeScenario,
  type StaticServer,
} from '../harness/chromium';
import {
  audit,
  blocking,
  CONTROL_CONTRAST_MIN,
  lowContrastControls,
  measureControls,
  runAxe,
  writeReport,
  type AuditEntry,
  type Where,
} from './a11y-audit';

/** Page updates travel through IPC-shaped pushes; on a busy 2-core machine allow a while. */
const POLL_TIMEOUT_MS = 15_000;
const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));
const SHOTS = join(ARTIFACTS, 'screenshots');
const VIEWS = [
  ['status', 'Status', 'Состояние'],
  ['tunnels', 'Tunnels', 'Туннели'],
  ['account', 'Account', 'Учётная запись'],
  ['logs', 'Logs', 'Журнал'],
  ['settings', 'Settings', 'Настройки'],
  ['about', 'About', 'О программе'],
  ['share', 'Share', 'Общий доступ'],
] as const;
/** Views whose heading is longer than their name in the sidebar: [English, Russian]. */
const HEADINGS: Readonly<Partial<Record<(typeof VIEWS)[number][0], readonly [string, string]>>> = {
  share: ['Share this computer', 'Общий доступ к компьютеру'],
};
const LANGUAGES = ['en', 'ru'] as const;
const SCHEMES = ['light', 'dark'] as const;
/** At 200% the sidebar is an icon rail: at most this share of the window's width. */
const RAIL_MAX_SHARE = 0.15;

type Language = (typeof LANGUAGES)[number];
type Scheme = (typeof SCHEMES)[number];

/** What the fake answers for Test connection in the screenshots: every step, a key to pin. */
const RELAY_TEST: RelayTestReport = {
  relay: 'relay.corp.example:443',
  ok: true,
  steps: [
    {
      step: 'reach',
      outcome: 'ok',
      code: 'reach_ok',
      params: { address: 'relay.corp.example:443' },
    },
    { step: 'tls', outcome: 'ok', code: 'tls_ok', params: { trust: 'os_store' } },
    {
      step: 'pin',
      outcome: 'skipped',
      code: 'pin_none',
      params: { pin: 'q3Wv1Q2m0c0yq0pS7m3mJ8lqP0o2b4b7fZ0x5oHhL9E=' },
    },
    { step: 'auth', outcome: 'ok', code: 'auth_ok' },
  ],
};

let outDir: string | null = null;
let server: StaticServer | null = null;
let browser: Browser | null = null;
const audits: AuditEntry[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  outDir = await buildRenderer();
  server = await serveStatic(outDir);
  browser = await launchChromium();
});

afterAll(async () => {
  if (audits.length > 0) writeReport(ARTIFACTS, audits);
  await browser?.close();
  await server?.close();
  removeDir(outDir);
});

async function openPage(options: {
  scenario: FakeScenario;
  language: Language;
  scheme: Scheme;
  zoom?: boolean;
}) {
  const context = await browser!.newContext({
    colorScheme: options.scheme,
    locale: options.language === 'ru' ? 'ru-RU' : 'en-US',
    // 200% zoom of a 960x720 window: half the CSS pixels, twice the device pixels.
    viewport: options.zoom ? { width: 480, height: 360 } : { width: 960, height: 720 },
    deviceScaleFactor: options.zoom ? 2 : 1,
    // Screenshots of the settled page: no switch or disclosure caught mid-animation.
    reducedMotion: 'reduce',
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

async function show(page: Page, language: Language, view: (typeof VIEWS)[number]) {
  const name = language === 'ru' ? view[2] : view[1];
  const heading = HEADINGS[view[0]]?.[language === 'ru' ? 1 : 0] ?? name;
  await page.getByRole('navigation').getByRole('button', { name, exact: true }).click();
  await expect
    .poll(() => page.getByRole('heading', { level: 2 }).textContent(), {
      timeout: POLL_TIMEOUT_MS,
    })
    .toBe(heading);
}

/** Screenshot and audit of what the page shows now; the audit must find nothing blocking. */
async function capture(page: Page, where: Where, file: string) {
  await page.screenshot({ path: join(SHOTS, file), fullPage: true });
  const entry = await audit(page, where);
  audits.push(entry);
  expect(blocking(entry), `${file}: serious or critical axe violations`).toEqual([]);
  expect(lowContrastControls(entry), `${file}: controls under 3:1`).toEqual([]);
}

const say = (language: Language, en: string, ru: string) => (language === 'en' ? en : ru);

describe('renderer in Chromium (fake bridge, screenshots, accessibility)', () => {
  for (const language of LANGUAGES) {
    for (const scheme of SCHEMES) {
      it(`draws every view in ${language}/${scheme} with no serious axe finding, no CSP refusal`, async () => {
        const { context, page, problems } = await openPage({
          scenario: 'active',
          language,
          scheme,
        });
        const at = (name: string): Where => ({ page: name, language, scheme, zoom: 100 });
        for (const view of VIEWS) {
          await show(page, language, view);
          await capture(page, at(view[0]), `${view[0]}-${language}-${scheme}.png`);
        }
        // A log record's raw fields, opened.
        await show(page, language, VIEWS[3]);
        await page.locator('.log-toggle').first().click();
        await page.locator('.log-raw').first().waitFor();
        await capture(page, at('logs-fields'), `logs-fields-${language}-${scheme}.png`);
        // The relay editor with Advanced open and a test's answer.
        await page.evaluate(
          `window.__cloudbridgeFakeControl.respond('cloudbridge:relay.test', () => ({ ok: true, value: ${JSON.stringify(RELAY_TEST)} }))`,
        );
        await show(page, language, VIEWS[4]);
        await page.getByRole('button', { name: say(language, 'Change…', 'Изменить…') }).click();
        await page.locator('.advanced > summary').click();
        await page
          .getByRole('button', { name: say(language, 'Test connection', 'Проверить подключение') })
          .click();
        await page.getByTestId('relay-test').waitFor();
        await capture(page, at('settings-test'), `settings-test-${language}-${scheme}.png`);
        // Connecting: the state whose badge once fell under 4.5:1.
        await page.evaluate(
          `window.__cloudbridgeFakeControl.update((s) => ({ ...s, engine: { ...s.engine, state: 'authenticating' } }))`,
        );
        await show(page, language, VIEWS[0]);
        await capture(page, at('status-connecting'), `status-connecting-${language}-${scheme}.png`);
        expect(problems).toEqual([]);
        await context.close();
      });

      it(`draws the first run in ${language}/${scheme}: Status, Account and the relay editor`, async () => {
        const { context, page, problems } = await openPage({
          scenario: 'first-run',
          language,
          scheme,
        });
        const at = (name: string): Where => ({ page: name, language, scheme, zoom: 100 });
        const builtin = say(
          language,
          'Use the built-in local relay',
          'Использовать встроенный ретранслятор',
        );
        expect(await page.getByRole('button', { name: builtin }).isVisible()).toBe(true);
        await capture(page, at('status-first-run'), `status-first-run-${language}-${scheme}.png`);
        await show(page, language, VIEWS[2]);
        await page
          .getByLabel(say(language, 'Access token', 'Токен доступа'))
          .fill('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm5hIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg');
        await capture(
          page,
          at('account-signed-out'),
          `account-signed-out-${language}-${scheme}.png`,
        );
        await show(page, language, VIEWS[4]);
        await capture(
          page,
          at('settings-first-run'),
          `settings-first-run-${language}-${scheme}.png`,
        );
        expect(problems).toEqual([]);
        await context.close();
      });

      it(`stays usable at 200% zoom in ${language}/${scheme}: a narrow rail, nothing wider than the window`, async () => {
        const { context, page, problems } = await openPage({
          scenario: 'active',
          language,
          scheme,
          zoom: true,
        });
        for (const view of VIEWS) {
          await show(page, language, view);
          // Page-side expressions as strings: this file is type-checked without the DOM library.
          const overflow = await page.evaluate<number>(
            'document.documentElement.scrollWidth - document.documentElement.clientWidth',
          );
          expect(overflow, view[0]).toBeLessThanOrEqual(0);
          const rail = await page.evaluate<number>(
            "document.querySelector('.sidebar').getBoundingClientRect().width / window.innerWidth",
          );
          expect(rail, `${view[0]}: sidebar share of the width`).toBeLessThanOrEqual(
            RAIL_MAX_SHARE,
          );
          await capture(
            page,
            { page: view[0], language, scheme, zoom: 200 },
            `${view[0]}-${language}-${scheme}-zoom200.png`,
          );
        }
        expect(problems).toEqual([]);
        await context.close();
      });
    }
  }

  it('shows the reconnect countdown', async () => {
    for (const scheme of SCHEMES) {
      const reconnecting = await openPage({ scenario: 'reconnecting', language: 'en', scheme });
      await expect
        .poll(() => reconnecting.page.getByTestId('countdown').textContent(), {
          timeout: POLL_TIMEOUT_MS,
        })
        .toMatch(/Next try in \d/);
      expect(await reconnecting.page.getByTestId('attempt').textContent()).toBe(
        '(attempt 3 of 10)',
      );
      await capture(
        reconnecting.page,
        { page: 'status-reconnecting', language: 'en', scheme, zoom: 100 },
        `status-reconnecting-en-${scheme}.png`,
      );
      await reconnecting.context.close();
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
      // A preset names the tunnel for the person; emptied, the name is a required field again.
      await page.getByLabel(en ? 'Name' : 'Название', { exact: true }).fill('');
      await page.getByLabel(en ? 'Local port' : 'Локальный порт', { exact: true }).fill('2222');
      await page
        .getByLabel(en ? 'Remote host' : 'Удалённый узел', { exact: true })
        .fill('bad host!');
      await page.getByLabel(en ? 'Remote port' : 'Удалённый порт', { exact: true }).fill('70000');
      await page.getByRole('button', { name: en ? 'Save' : 'Сохранить', exact: true }).click();
      // In the form's order: the name, what to reach (host, port), then the local port.
      const errors = await page.locator('.field-error').allTextContents();
      expect(errors).toEqual(
        en
          ? [
              'Required.',
              'Enter a host name or IP address.',
              'Enter a port from 1 to 65535.',
              'Tunnel “Build server” already uses this local port.',
            ]
          : [
              'Обязательное поле.',
              'Введите имя узла или IP-адрес.',
              'Введите порт от 1 до 65535.',
              'Этот локальный порт уже занят туннелем «Build server».',
            ],
      );
      await page.screenshot({
        path: join(SHOTS, `tunnel-editor-${language}-${scheme}.png`),
        fullPage: true,
      });
      await context.close();
    }
  });

  it('audits for real: an unlabelled field and a faint control edge are both found', async () => {
    const { context, page } = await openPage({
      scenario: 'active',
      language: 'en',
      scheme: 'light',
    });
    await show(page, 'en', VIEWS[4]);
    // Planted over the DevTools protocol, like axe itself: the page's CSP stays on.
    await page.evaluate(`(() => {
      const field = document.createElement('input');
      field.className = 'input';
      field.id = 'planted';
      field.style.borderColor = '#e8e8e8';
      document.querySelector('main').append(field);
    })()`);
    const { violations } = await runAxe(page);
    expect(violations.find((v) => v.id === 'label')?.nodes.map((n) => n.target)).toEqual([
      '#planted',
    ]);
    const weak = (await measureControls(page)).filter((c) => c.target === '#planted');
    expect(weak).toHaveLength(1);
    expect(weak[0]!.ratio).toBeLessThan(CONTROL_CONTRAST_MIN);
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

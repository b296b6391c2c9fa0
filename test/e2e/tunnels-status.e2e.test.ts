// The Tunnels and Status states a person meets after the first look, drawn by the built UI in
// Chromium over the in-memory fake bridge, in English and Russian, light and dark: a minute of
// traffic on the sparkline, a tunnel's details and its menu, a taken port being changed from
// its row, the editor's presets, the hint after saving, and a connection link waiting on a
// first run. Each is saved to artifacts/screenshots/ and audited (no serious or critical
// axe finding, every control edge at 3:1 or more).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
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
import { audit, blocking, lowContrastControls, type Where } from './a11y-audit';

const POLL_TIMEOUT_MS = 15_000;
const SHOTS = fileURLToPath(new URL('../../artifacts/screenshots/', import.meta.url));
const LANGUAGES = ['en', 'ru'] as const;
const SCHEMES = ['light', 'dark'] as const;
type Language = (typeof LANGUAGES)[number];
type Scheme = (typeof SCHEMES)[number];

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

async function openPage(scenario: FakeScenario, language: Language, scheme: Scheme) {
  const context = await browser!.newContext({
    colorScheme: scheme,
    locale: language === 'ru' ? 'ru-RU' : 'en-US',
    viewport: { width: 960, height: 720 },
    reducedMotion: 'reduce',
  });
  // The page's own clock, so a minute of traffic can be drawn without waiting a minute.
  await context.clock.install();
  await exposeFakeBridge(context, scenario, language);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(server!.url);
  await page.getByRole('navigation').waitFor();
  return { context, page, problems };
}

async function capture(page: Page, where: Where, file: string) {
  await page.screenshot({ path: join(SHOTS, file), fullPage: true });
  const entry = await audit(page, where);
  expect(blocking(entry), `${file}: serious or critical axe violations`).toEqual([]);
  expect(lowContrastControls(entry), `${file}: controls under 3:1`).toEqual([]);
}

const say = (language: Language, en: string, ru: string) => (language === 'en' ? en : ru);

/**
 * The next minute of Office desktop's traffic as main would push it, one stats push a second
 * from the snapshot's time on (the same seq as the snapshot, so later snapshots still apply);
 * the page's clock is then moved on by that minute.
 */
const FEED_HISTORY = `(() => {
  const control = window.__cloudbridgeFakeControl;
  const start = Date.parse(control.current().engine.at);
  const seq = control.current().seq;
  let bytesIn = 48234112;
  for (let s = 59; s >= 0; s -= 1) {
    const rate = Math.round(600000 + 500000 * Math.sin(s / 6) + (s % 7) * 40000);
    bytesIn += rate;
    control.emit('cloudbridge:stats.changed', {
      seq,
      at: new Date(start + (60 - s) * 1000).toISOString(),
      totals: control.current().totals,
      tunnels: [{
        id: 't-rdp', bytesIn, bytesOut: 3201554 + (60 - s) * 1370, rateInBps: rate,
        rateOutBps: Math.round(rate / 15), openConnections: 2, totalConnections: 7, failedConnections: 0,
      }],
    });
  }
})()`;

describe('Tunnels and Status states in Chromium (fake bridge)', () => {
  for (const language of LANGUAGES) {
    for (const scheme of SCHEMES) {
      it(`draws the tunnel rows, details, menu, port change, presets and hint in ${language}/${scheme}`, async () => {
        const { context, page, problems } = await openPage('active', language, scheme);
        const at = (name: string): Where => ({ page: name, language, scheme, zoom: 100 });
        await page
          .getByRole('navigation')
          .getByRole('button', { name: say(language, 'Tunnels', 'Туннели'), exact: true })
          .click();
        await page.getByTestId('tunnel-t-rdp').waitFor();
        await page.evaluate(FEED_HISTORY);
        await page.clock.fastForward(61_000);
        await expect
          .poll(() => page.getByTestId('tunnel-t-rdp').getByTestId('rate').textContent(), {
            timeout: POLL_TIMEOUT_MS,
          })
          .toMatch(/^↓ /);
        const rdp = page.getByTestId('tunnel-t-rdp');
        await rdp.getByRole('heading', { name: 'Office desktop' }).getByRole('button').click();
        await rdp.getByTestId('tunnel-detail').waitFor();
        await capture(page, at('tunnels-details'), `tunnels-details-${language}-${scheme}.png`);
        // A tunnel is one compact line: about 48 px for a route that fits.
        const box = await page.getByTestId('tunnel-t-ssh').locator('.tunnel-row').boundingBox();
        const height = box?.height ?? 0;
        expect(height).toBeGreaterThanOrEqual(44);
        expect(height).toBeLessThanOrEqual(52);

        const web = page.getByTestId('tunnel-t-web');
        await web
          .getByRole('button', { name: say(language, 'More for Intranet', 'Ещё для «Intranet»') })
          .click();
        await web.getByRole('menu').waitFor();
        await capture(page, at('tunnels-menu'), `tunnels-menu-${language}-${scheme}.png`);
        await page.keyboard.press('Escape');

        // A taken port changed from its row: main finds the next free one.
        await page.evaluate(
          `window.__cloudbridgeFakeControl.respond('cloudbridge:tunnel.suggestPort', () => ({ ok: true, value: { port: 8081 } }))`,
        );
        await web
          .getByRole('button', {
            name: say(language, 'Change local port…', 'Сменить локальный порт…'),
          })
          .click();
        await expect
          .poll(
            () =>
              web.getByLabel(say(language, 'New local port', 'Новый локальный порт')).inputValue(),
            {
              timeout: POLL_TIMEOUT_MS,
            },
          )
          .toBe('8081');
        await capture(
          page,
          at('tunnels-port-change'),
          `tunnels-port-change-${language}-${scheme}.png`,
        );
        await web.getByRole('button', { name: say(language, 'Cancel', 'Отмена') }).click();

        // The editor with its presets, main's free port filled in.
        await page.evaluate(
          // As main answers: past the ports other tunnels are configured on (Office desktop's 13389).
          `window.__cloudbridgeFakeControl.respond('cloudbridge:tunnel.suggestPort', (r) => {
            const used = window.__cloudbridgeFakeControl.current().settings.tunnels.map((t) => t.localPort);
            let port = r.port;
            while (used.includes(port)) port += 1;
            return { ok: true, value: { port } };
          })`,
        );
        await page
          .getByRole('button', { name: say(language, 'Add tunnel', 'Добавить туннель') })
          .click();
        await expect
          .poll(
            () =>
              page
                .getByLabel(say(language, 'Local port', 'Локальный порт'), { exact: true })
                .inputValue(),
            {
              timeout: POLL_TIMEOUT_MS,
            },
          )
          .toBe('13390');
        await capture(
          page,
          at('tunnel-editor-presets'),
          `tunnel-editor-presets-${language}-${scheme}.png`,
        );

        // Saved: main answers and pushes the tunnel; the hint says where to connect.
        await page.evaluate(`(() => {
          const control = window.__cloudbridgeFakeControl;
          control.respond('cloudbridge:tunnel.save', (draft) => {
            const config = { ...draft, id: 't-new' };
            const shown = {
              ...config, status: 'listening', dataMode: 'stream', bytesIn: 0, bytesOut: 0,
              rateInBps: 0, rateOutBps: 0, openConnections: 0, totalConnections: 0,
              failedConnections: 0, error: null,
            };
            control.update((s) => ({
              ...s,
              settings: { ...s.settings, tunnels: [...s.settings.tunnels, config] },
              engine: { ...s.engine, tunnels: [...s.engine.tunnels, shown] },
            }));
            return { ok: true, value: config };
          });
        })()`);
        await page
          .getByRole('button', { name: say(language, 'Save', 'Сохранить'), exact: true })
          .click();
        await page.getByTestId('connect-hint').waitFor({ timeout: POLL_TIMEOUT_MS });
        await capture(page, at('tunnels-hint'), `tunnels-hint-${language}-${scheme}.png`);
        expect(problems).toEqual([]);
        await context.close();
      });

      it(`draws a connection link waiting on a first run in ${language}/${scheme}`, async () => {
        const { context, page, problems } = await openPage('first-run', language, scheme);
        await page.evaluate(`(() => {
          const now = Date.now();
          window.__cloudbridgeFakeControl.update((s) => ({
            ...s,
            invite: {
              problem: null,
              pending: {
                id: 'inv-1', host: 'relay.corp.example', port: 443, serverName: null,
                pinSha256: 'q3Wv1Q2m0c0yq0pS7m3mJ8lqP0o2b4b7fZ0x5oHhL9E=', hasCa: true,
                subject: 'ivan.petrov', tenant: 'acme',
                issuedAt: new Date(now).toISOString(), expiresAt: new Date(now + 7 * 86400000).toISOString(),
                hasToken: true, tokenExpiresAt: new Date(now + 30 * 86400000).toISOString(), replaces: null,
              },
            },
          }));
        })()`);
        await page.getByTestId('invite').waitFor({ timeout: POLL_TIMEOUT_MS });
        expect(await page.getByTestId('connect-blocked').textContent()).toBe(
          say(
            language,
            'Connect needs a relay: accept the connection link above.',
            'Для подключения нужен ретранслятор: примите ссылку для подключения выше.',
          ),
        );
        await capture(
          page,
          { page: 'status-link', language, scheme, zoom: 100 },
          `status-link-${language}-${scheme}.png`,
        );
        expect(problems).toEqual([]);
        await context.close();
      });
    }
  }
});

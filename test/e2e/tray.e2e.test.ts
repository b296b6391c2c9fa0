// The tray model in real Chromium: every state a person meets (first run, no token,
// connecting, active with tunnels in each state, reconnecting with its countdown, an error)
// drawn as a native-looking menu (test/harness/tray-page.ts) in English and Russian, light and
// dark, saved to artifacts/screenshots/tray-*.png next to the window views. Checks what the
// page shows: every entry of the model, greyed entries still readable, no English in Russian.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTrayModel } from '../../src-main/services/tray-model';
import type { TrayIconState, TrayMenuItem, TrayModel } from '../../src-main/shared/tray-types';
import { launchChromium } from '../harness/chromium';
import { renderTrayPage } from '../harness/tray-page';
import { sampleTunnels, trayStates } from '../harness/tray-states';
import { englishWords } from '../unit/i18n-english';

const SHOTS = fileURLToPath(new URL('../../artifacts/screenshots/', import.meta.url));
const ASSETS = fileURLToPath(new URL('../../assets/tray/', import.meta.url));
const NOW = Date.parse('2026-06-01T08:00:00Z');

let browser: Browser | null = null;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

function iconUrl(state: TrayIconState): string {
  return `data:image/png;base64,${readFileSync(join(ASSETS, `${state}@2x.png`)).toString('base64')}`;
}

/** The row to show open: a tunnel's submenu, found by the tunnel's name. */
function rowOf(model: TrayModel, name: string): number {
  const index = model.items.findIndex((i) => i.kind === 'submenu' && i.label.startsWith(name));
  if (index < 0) throw new Error(`no row for ${name}`);
  return index;
}

/** Each shot: a state, and the tunnel whose submenu is open in it. */
const SHOTS_OF: readonly { name: string; state: string; open?: string }[] = [
  { name: 'first-run', state: 'first-run' },
  { name: 'no-token', state: 'no-token' },
  { name: 'connecting', state: 'connecting' },
  { name: 'active', state: 'active', open: 'Intranet' },
  { name: 'active-ready', state: 'active', open: 'Office PC' },
  { name: 'reconnecting', state: 'reconnecting' },
  { name: 'error', state: 'error' },
];

const visibleItems = (items: readonly TrayMenuItem[]) =>
  items.filter((i) => i.kind !== 'separator');

/** WCAG relative luminance of a computed `rgb(...)` colour (both colours here are opaque). */
function luminance(css: string): number {
  const [r = 0, g = 0, b = 0] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Contrast of an entry's text against the menu behind it. */
async function contrastOf(page: Page, selector: string): Promise<number> {
  const color = (sel: string, property: 'color' | 'backgroundColor') =>
    page
      .locator(sel)
      .first()
      .evaluate((el, name) => {
        const scope = globalThis as unknown as {
          getComputedStyle(e: unknown): Record<string, string>;
        };
        return scope.getComputedStyle(el)[name] ?? '';
      }, property);
  const fg = luminance(await color(selector, 'color'));
  const bg = luminance(await color('.menu', 'backgroundColor'));
  return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
}

describe('the tray model in Chromium (screenshots)', () => {
  const states = new Map(trayStates(NOW));
  /** The user's own words, shown as they are. */
  const data = [...sampleTunnels(NOW).flatMap((t) => [t.name, t.remoteHost]), 'nginx'];

  for (const language of ['en', 'ru'] as const) {
    for (const scheme of ['light', 'dark'] as const) {
      it(`draws every tray state in ${language}/${scheme}`, async () => {
        const context = await browser!.newContext({
          colorScheme: scheme,
          viewport: { width: 1200, height: 900 },
        });
        try {
          const page = await context.newPage();
          for (const shot of SHOTS_OF) {
            const snapshot = states.get(shot.state);
            if (!snapshot) throw new Error(shot.state);
            const model = buildTrayModel(snapshot, { language, nowMs: NOW, platform: 'linux' });
            const openRow = shot.open === undefined ? undefined : rowOf(model, shot.open);
            await page.setContent(
              renderTrayPage(model, {
                scheme,
                language,
                iconUrl: iconUrl(model.icon),
                caption: `CloudBridge tray: ${shot.name}`,
                ...(openRow === undefined ? {} : { openRow }),
              }),
            );
            // Every entry of the model is on the page, and the open submenu's too.
            const menus = page.locator('.menu');
            await expect(menus.first().locator('li.item').count()).resolves.toBe(
              visibleItems(model.items).length,
            );
            const open = openRow === undefined ? undefined : model.items[openRow];
            if (open?.kind === 'submenu') {
              await expect(menus.nth(1).locator('li.item').count()).resolves.toBe(
                visibleItems(open.items).length,
              );
            }
            const icon = page.locator('.bar img');
            await expect(
              icon.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
            ).resolves.toBe(32);
            // Greyed lines (states, errors, reasons) must still read as text: 4.5:1.
            expect(await contrastOf(page, '.item.info'), shot.name).toBeGreaterThanOrEqual(4.5);
            expect(await contrastOf(page, '.item:not(.info):not(.disabled)')).toBeGreaterThan(10);
            if (language === 'ru') {
              const text = await page.locator('.menus, .bar, .tooltip').allInnerTexts();
              for (const line of text.join('\n').split('\n'))
                expect(englishWords(line, data), `${shot.name}: ${line}`).toEqual([]);
            }
            await page
              .locator('.stage')
              .screenshot({ path: join(SHOTS, `tray-${shot.name}-${language}-${scheme}.png`) });
          }
        } finally {
          await context.close();
        }
      });
    }
  }
});

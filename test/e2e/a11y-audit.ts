// Accessibility checks for the screenshot pass: axe-core run inside the page on what is drawn,
// and a measure axe does not take, the contrast of controls against what is behind them
// (WCAG 1.4.11: switch tracks and knobs, input, select and button edges, at least 3:1). The
// results go to artifacts/axe-report.json with a short text summary beside it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface Where {
  readonly page: string;
  readonly language: 'en' | 'ru';
  readonly scheme: 'light' | 'dark';
  readonly zoom: 100 | 200;
}

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: string; readonly summary: string }[];
}

export interface ControlContrast {
  readonly what: string;
  readonly target: string;
  readonly ratio: number;
}

export interface AuditEntry extends Where {
  readonly violations: readonly AxeViolation[];
  /** How many of axe's rules applied to this page and passed. */
  readonly passedRules: number;
  readonly controls: readonly ControlContrast[];
}

/** Impacts that fail the run (axe: minor, moderate, serious, critical). */
export const BLOCKING_IMPACTS: ReadonlySet<string> = new Set(['serious', 'critical']);
/** WCAG 1.4.11: user-interface components against adjacent colours. */
export const CONTROL_CONTRAST_MIN = 3;

/**
 * axe-core in the page. Evaluated over the DevTools protocol rather than added as a <script>:
 * the page's CSP (script-src 'self') refuses inline scripts, and must stay on for this pass.
 */
export async function runAxe(
  page: Page,
): Promise<{ violations: AxeViolation[]; passedRules: number }> {
  if (!(await page.evaluate<boolean>("typeof window.axe === 'object'")))
    await page.evaluate(AXE_SOURCE);
  return page.evaluate<{ violations: AxeViolation[]; passedRules: number }>(`
    axe.run(document).then((r) => ({
      passedRules: r.passes.length,
      violations: r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary || '' })),
      })),
    }))`);
}

/** Page-side: the contrast of each control's visible edge against what surrounds it. */
const CONTROL_CONTRAST_SCRIPT = `(() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const [r, g, b, a = '1'] = m[1].split(/[ ,/]+/).filter(Boolean);
    return [Number(r), Number(g), Number(b), Number(a)];
  };
  const over = (top, under) => top.slice(0, 3).map((v, i) => v * top[3] + under[i] * (1 - top[3])).concat(1);
  const behind = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c && c[3] > 0) layers.push(c);
      if (c && c[3] === 1) break;
    }
    let colour = [255, 255, 255, 1];
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const name = (el) => el.id ? '#' + el.id : el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : el.tagName.toLowerCase();
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
  const out = [];
  for (const el of document.querySelectorAll('.switch')) {
    if (!visible(el)) continue;
    const track = over(parse(getComputedStyle(el).backgroundColor), behind(el.parentElement));
    out.push({ what: 'switch track ' + el.getAttribute('aria-checked'), target: name(el), ratio: ratio(track, behind(el.parentElement)) });
    const thumb = el.querySelector('.switch-thumb');
    if (thumb) out.push({ what: 'switch knob ' + el.getAttribute('aria-checked'), target: name(el), ratio: ratio(parse(getComputedStyle(thumb).backgroundColor), track) });
  }
  for (const el of document.querySelectorAll('input.input, select.input, textarea.input, .button:not(.button-primary):not(.button-link)')) {
    if (!visible(el) || el.disabled) continue;
    const edge = parse(getComputedStyle(el).borderTopColor);
    if (!edge || getComputedStyle(el).borderTopWidth === '0px') continue;
    out.push({ what: el.tagName.toLowerCase() + ' edge', target: name(el), ratio: ratio(over(edge, behind(el)), behind(el.parentElement)) });
  }
  return out.map((c) => ({ ...c, ratio: Math.round(c.ratio * 100) / 100 }));
})()`;

/** Page-side: the measure above, exported so a test can show it finds a weak control. */
export function measureControls(page: Page): Promise<ControlContrast[]> {
  return page.evaluate<ControlContrast[]>(CONTROL_CONTRAST_SCRIPT);
}

export async function audit(page: Page, where: Where): Promise<AuditEntry> {
  const { violations, passedRules } = await runAxe(page);
  const controls = await page.evaluate<ControlContrast[]>(CONTROL_CONTRAST_SCRIPT);
  return { ...where, violations, passedRules, controls };
}

export const blocking = (entry: AuditEntry) =>
  entry.violations.filter((v) => v.impact !== null && BLOCKING_IMPACTS.has(v.impact));
export const lowContrastControls = (entry: AuditEntry) =>
  entry.controls.filter((c) => c.ratio < CONTROL_CONTRAST_MIN);

/** artifacts/axe-report.json (every entry) and artifacts/axe-summary.txt (a few lines). */
export function writeReport(dir: string, entries: readonly AuditEntry[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'axe-report.json'),
    `${JSON.stringify({ axe: '4.14.1', entries }, null, 2)}\n`,
  );
  const byImpact = new Map<string, number>();
  const byRule = new Map<string, { impact: string; pages: Set<string> }>();
  for (const entry of entries)
    for (const v of entry.violations) {
      const impact = v.impact ?? 'none';
      byImpact.set(impact, (byImpact.get(impact) ?? 0) + v.nodes.length);
      const rule = byRule.get(v.id) ?? { impact, pages: new Set<string>() };
      rule.pages.add(`${entry.page} ${entry.language}/${entry.scheme}/${entry.zoom}%`);
      byRule.set(v.id, rule);
    }
  const controls = entries.flatMap((e) => e.controls);
  const weakest = controls.reduce<ControlContrast | null>(
    (min, c) => (min === null || c.ratio < min.ratio ? c : min),
    null,
  );
  const lines = [
    `axe-core 4.14.1: ${entries.length} pages audited (every view, en/ru, light/dark, 100% and 200%), ${Math.min(...entries.map((e) => e.passedRules))} to ${Math.max(...entries.map((e) => e.passedRules))} rules passing on each.`,
    `Violations by impact (nodes): ${
      [...byImpact].map(([impact, n]) => `${impact} ${n}`).join(', ') || 'none'
    }.`,
    ...[...byRule].map(
      ([id, rule]) =>
        `- ${id} (${rule.impact}) on ${rule.pages.size} pages: ${[...rule.pages].slice(0, 4).join('; ')}`,
    ),
    `Control contrast (WCAG 1.4.11, need ${CONTROL_CONTRAST_MIN}:1): ${controls.length} measured, lowest ${
      weakest ? `${weakest.ratio}:1 (${weakest.what} ${weakest.target})` : 'n/a'
    }, ${controls.filter((c) => c.ratio < CONTROL_CONTRAST_MIN).length} below.`,
  ];
  writeFileSync(join(dir, 'axe-summary.txt'), `${lines.join('\n')}\n`);
}

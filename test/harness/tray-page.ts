// The tray model as an HTML page, styled like a native context menu in light or dark, so each
// state can be screenshotted in Chromium next to the window views (test/e2e/tray.e2e.test.ts).
// A pure function of the model: no Electron, no file access; the caller passes the icon.
import type { TrayMenuItem, TrayModel } from '../../src-main/shared/tray-types';

export interface TrayPageOptions {
  readonly scheme: 'light' | 'dark';
  readonly language: 'en' | 'ru';
  /** The tray icon for the model's state, as a data: URL (assets/tray/<state>@2x.png). */
  readonly iconUrl: string;
  /** A caption above the menu naming the state shown. */
  readonly caption: string;
  /** The submenu row shown open (its index among the model's items), as the pointer would. */
  readonly openRow?: number;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function itemHtml(item: TrayMenuItem, index: number, openRow: number | undefined): string {
  switch (item.kind) {
    case 'separator':
      return '<li class="separator" role="separator"></li>';
    case 'label':
      return `<li class="item info" role="menuitem" aria-disabled="true">${escapeHtml(item.label)}</li>`;
    case 'disabled':
      return `<li class="item disabled" role="menuitem" aria-disabled="true" title="${escapeHtml(item.reason)}">${escapeHtml(item.label)}</li>`;
    case 'action':
      return `<li class="item" role="menuitem" data-action="${escapeHtml(item.action.type)}">${escapeHtml(item.label)}</li>`;
    case 'submenu': {
      const open = index === openRow ? ' open' : '';
      return `<li class="item parent${open}" role="menuitem" aria-haspopup="menu" aria-expanded="${open !== ''}"><span>${escapeHtml(item.label)}</span><span class="arrow" aria-hidden="true">›</span></li>`;
    }
  }
}

function menuHtml(
  items: readonly TrayMenuItem[],
  openRow: number | undefined,
  label: string,
  top = 0,
): string {
  const rows = items.map((item, i) => itemHtml(item, i, openRow)).join('\n');
  const style = top === 0 ? '' : ` style="margin-top: ${top}px"`;
  return `<ul class="menu" role="menu" aria-label="${escapeHtml(label)}"${style}>\n${rows}\n</ul>`;
}

/** Row heights in the style below: a submenu opens level with its row, as native ones do. */
const ROW_PX = 32;
const SEPARATOR_PX = 9;

function rowOffset(items: readonly TrayMenuItem[], row: number): number {
  return items
    .slice(0, row)
    .reduce((sum, item) => sum + (item.kind === 'separator' ? SEPARATOR_PX : ROW_PX), 0);
}

/** Windows 11 and GNOME menus, roughly: 8 px corners, a soft shadow, 32 px rows. */
const STYLE = `
:root { color-scheme: light; --bg: #f9f9f9; --fg: #1b1b1b; --muted: #616161; --line: #e1e1e1;
  --hover: rgba(0, 0, 0, 0.06); --border: rgba(0, 0, 0, 0.12); --page: #dfe6ee;
  --bar: #eef1f5; --tip: #ffffff; }
.dark { color-scheme: dark; --bg: #2b2b2b; --fg: #f2f2f2; --muted: #a8a8a8; --line: #444444;
  --hover: rgba(255, 255, 255, 0.08); --border: rgba(255, 255, 255, 0.1); --page: #1b2230;
  --bar: #202020; --tip: #2b2b2b; }
* { box-sizing: border-box; }
body { margin: 0; padding: 16px; background: var(--page); color: var(--fg);
  font: 14px/20px system-ui, 'Segoe UI', Cantarell, 'DejaVu Sans', sans-serif; }
.stage { display: inline-block; padding: 4px 24px 28px 4px; }
.caption { margin: 0 0 10px; font-size: 12px; color: var(--muted); }
.bar { display: flex; align-items: center; gap: 8px; height: 32px; padding: 0 10px;
  background: var(--bar); border-radius: 6px; width: max-content; }
.bar img { width: 18px; height: 18px; }
.title { font-size: 13px; }
.tooltip { margin: 6px 0 10px 24px; padding: 5px 9px; width: max-content; max-width: 520px;
  background: var(--tip); border: 1px solid var(--border); border-radius: 4px; font-size: 12px;
  box-shadow: 0 2px 6px rgba(0, 0, 0, 0.18); }
.menus { display: flex; align-items: flex-start; }
.menu { list-style: none; margin: 0; padding: 4px; min-width: 240px;
  background: var(--bg); border: 1px solid var(--border); border-radius: 8px;
  box-shadow: 0 8px 24px rgba(0, 0, 0, 0.22); }
.menu + .menu { margin-left: -6px; }
.item { display: flex; align-items: center; justify-content: space-between; gap: 24px;
  min-height: 32px; padding: 6px 12px; border-radius: 4px; white-space: nowrap; }
.item.info, .item.disabled { color: var(--muted); }
.item.open { background: var(--hover); }
.arrow { font-size: 16px; color: var(--muted); }
.separator { height: 1px; margin: 4px 8px; background: var(--line); }
`;

/** The whole page: caption, the icon with its title, the tooltip, the menu and one open submenu. */
export function renderTrayPage(model: TrayModel, options: TrayPageOptions): string {
  const open = options.openRow === undefined ? undefined : model.items[options.openRow];
  const submenu =
    open?.kind === 'submenu' && options.openRow !== undefined
      ? menuHtml(open.items, undefined, open.label, rowOffset(model.items, options.openRow))
      : '';
  const title = model.title === '' ? '' : `<span class="title">${escapeHtml(model.title)}</span>`;
  return `<!doctype html>
<html lang="${options.language}" class="${options.scheme}">
<head><meta charset="utf-8"><title>${escapeHtml(options.caption)}</title><style>${STYLE}</style></head>
<body>
<div class="stage">
<p class="caption">${escapeHtml(options.caption)}</p>
<div class="bar"><img src="${escapeHtml(options.iconUrl)}" alt="${escapeHtml(model.icon)}">${title}</div>
<div class="tooltip" role="tooltip">${escapeHtml(model.tooltip)}</div>
<div class="menus">
${menuHtml(model.items, options.openRow, 'CloudBridge')}
${submenu}
</div>
</div>
</body>
</html>
`;
}

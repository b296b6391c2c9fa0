// Renders the tray model (services/tray-model.ts) into Electron's Tray and Menu: icon per
// state from assets/tray/<state>[Template][@2x].png, tooltip, macOS title, menu items wired to
// actions, the clipboard for "Copy address". No decisions here; what to show is the model's job.

import { Menu, Tray, clipboard, nativeImage, type MenuItemConstructorOptions } from 'electron';
import { join } from 'node:path';
import type { TrayAction, TrayIconState, TrayMenuItem, TrayModel } from '../shared/tray-types';

/**
 * macOS wants monochrome Template images for the menu bar, Windows a multi-size .ico for the
 * notification area; Linux takes the colour PNG (nativeImage finds the @2x sibling itself).
 */
export function trayIconPath(
  assetsDir: string,
  state: TrayIconState,
  platform: NodeJS.Platform,
): string {
  if (platform === 'darwin') return join(assetsDir, 'tray', `${state}Template.png`);
  if (platform === 'win32') return join(assetsDir, 'tray', `${state}.ico`);
  return join(assetsDir, 'tray', `${state}.png`);
}

/**
 * The menu template. A disabled entry carries its reason in the label: `sublabel` and
 * `toolTip` exist on macOS only (sublabel from 14.4), so the label is what every platform shows.
 */
export function buildMenuTemplate(
  items: readonly TrayMenuItem[],
  dispatch: (action: TrayAction) => void,
): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    switch (item.kind) {
      case 'label':
      case 'disabled':
        return { label: item.label, enabled: false };
      case 'separator':
        return { type: 'separator' };
      case 'action':
        return { label: item.label, click: () => dispatch(item.action) };
      case 'submenu':
        return { label: item.label, submenu: buildMenuTemplate(item.items, dispatch) };
    }
  });
}

/**
 * A menu reported open for longer than this is taken as closed: a shell that announces the
 * opening but never the closing must not freeze the menu for good. Linux trays may report
 * neither event; the menu is then rebuilt as the model changes, as before.
 */
export const MENU_OPEN_LIMIT_MS = 120_000;

export interface AppTrayOptions {
  readonly assetsDir: string;
  readonly platform: NodeJS.Platform;
  readonly dispatch: (action: TrayAction) => void;
  readonly initial: TrayModel;
  /** Electron's clipboard unless a test passes its own. */
  readonly writeClipboard?: (text: string) => Promise<void> | void;
  /** The clock for the open-menu limit. */
  readonly now?: () => number;
  /**
   * Runs the rebuild held back for an open menu once it closes, after the current event:
   * 'menu-will-close' comes before the chosen item's click.
   */
  readonly defer?: (fn: () => void) => void;
  readonly menuOpenLimitMs?: number;
}

export interface AppTray {
  update(model: TrayModel): void;
  destroy(): void;
}

/**
 * The tray icon. Icon, tooltip and title follow every model at once (they may change under an
 * open menu, so the countdown lives there); the menu is rebuilt only when its items changed,
 * and never while it is open (an open menu does not pick up `setContextMenu`): the newest
 * model waits for 'menu-will-close'.
 */
export function createAppTray(options: AppTrayOptions): AppTray {
  const now = options.now ?? Date.now;
  const defer = options.defer ?? ((fn: () => void) => void setTimeout(fn, 0));
  const openLimit = options.menuOpenLimitMs ?? MENU_OPEN_LIMIT_MS;
  const writeClipboard = options.writeClipboard ?? ((text: string) => clipboard.writeText(text));
  const handle = (action: TrayAction) => {
    // A clipboard that refuses leaves the clipboard as it was; the tray has nowhere to say so.
    if (action.type === 'copyText')
      void Promise.resolve(writeClipboard(action.text)).catch(() => undefined);
    else options.dispatch(action);
  };
  const image = (state: TrayIconState) => {
    const icon = nativeImage.createFromPath(
      trayIconPath(options.assetsDir, state, options.platform),
    );
    if (options.platform === 'darwin') icon.setTemplateImage(true);
    return icon;
  };

  const tray = new Tray(image(options.initial.icon));
  let icon = options.initial.icon;
  let tooltip: string | null = null;
  let title = '';
  let menu: Menu | null = null;
  /** The menu replaced last: kept so a click it delivers after closing still has its item. */
  let retired: Menu | null = null;
  let builtItems = '';
  let openedAt: number | null = null;
  let waiting: TrayModel | null = null;

  const isOpen = () => openedAt !== null && now() - openedAt < openLimit;

  const build = (model: TrayModel) => {
    const key = JSON.stringify(model.items);
    if (key === builtItems) return;
    const next = Menu.buildFromTemplate(buildMenuTemplate(model.items, handle));
    next.on('menu-will-show', () => {
      openedAt = now();
    });
    next.on('menu-will-close', () => {
      openedAt = null;
      defer(flush);
    });
    menu?.removeAllListeners();
    retired = menu;
    menu = next;
    builtItems = key;
    openedAt = null;
    tray.setContextMenu(next);
  };

  const flush = () => {
    if (waiting === null || isOpen()) return;
    const model = waiting;
    waiting = null;
    build(model);
  };

  const apply = (model: TrayModel) => {
    if (model.icon !== icon) {
      icon = model.icon;
      tray.setImage(image(model.icon));
    }
    if (model.tooltip !== tooltip) {
      tooltip = model.tooltip;
      tray.setToolTip(model.tooltip);
    }
    if (options.platform === 'darwin' && model.title !== title) {
      title = model.title;
      tray.setTitle(model.title);
    }
    if (isOpen()) {
      waiting = model;
      return;
    }
    waiting = null;
    build(model);
  };

  // Left click opens the window where the platform has no menu-on-click convention.
  if (options.platform !== 'darwin') tray.on('click', () => handle({ type: 'openWindow' }));
  apply(options.initial);
  return {
    update: apply,
    destroy: () => {
      for (const m of [menu, retired]) m?.removeAllListeners();
      tray.destroy();
    },
  };
}

// Renders the tray model (services/tray-model.ts) into Electron's Tray and Menu: icon per
// state from assets/tray/<state>[Template][@2x].png, tooltip, menu items wired to actions.
// No decisions here; what to show is the model's job.

import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron';
import { join } from 'node:path';
import type { TrayAction, TrayIconState, TrayModel } from '../shared/tray-types';

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

export function buildMenuTemplate(
  model: TrayModel,
  dispatch: (action: TrayAction) => void,
): MenuItemConstructorOptions[] {
  return model.items.map((item): MenuItemConstructorOptions => {
    switch (item.kind) {
      case 'label':
        return { label: item.label, enabled: false };
      case 'separator':
        return { type: 'separator' };
      case 'action':
        return { label: item.label, enabled: item.enabled, click: () => dispatch(item.action) };
      case 'checkbox':
        return {
          label: item.label,
          type: 'checkbox',
          checked: item.checked,
          enabled: item.enabled,
          click: () => dispatch(item.action),
        };
    }
  });
}

export interface AppTray {
  update(model: TrayModel): void;
  destroy(): void;
}

export function createAppTray(options: {
  readonly assetsDir: string;
  readonly platform: NodeJS.Platform;
  readonly dispatch: (action: TrayAction) => void;
  readonly initial: TrayModel;
}): AppTray {
  const image = (state: TrayIconState) => {
    const icon = nativeImage.createFromPath(
      trayIconPath(options.assetsDir, state, options.platform),
    );
    if (options.platform === 'darwin') icon.setTemplateImage(true);
    return icon;
  };
  const tray = new Tray(image(options.initial.icon));
  let icon = options.initial.icon;
  // Left click opens the window where the platform has no menu-on-click convention.
  if (options.platform !== 'darwin')
    tray.on('click', () => options.dispatch({ type: 'openWindow' }));
  const apply = (model: TrayModel) => {
    if (model.icon !== icon) {
      icon = model.icon;
      tray.setImage(image(model.icon));
    }
    tray.setToolTip(model.tooltip);
    tray.setContextMenu(Menu.buildFromTemplate(buildMenuTemplate(model, options.dispatch)));
  };
  apply(options.initial);
  return {
    update: apply,
    destroy: () => tray.destroy(),
  };
}

// The tray against the stand-in electron module: the menu template from a model (submenus,
// disabled entries that say why), icons per state, the clipboard for "Copy address", and the
// open-menu rule: icon, tooltip and title follow at once, the menu waits until it is closed.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { electronStandIn } from '../harness/electron-stand-in';
import {
  MENU_OPEN_LIMIT_MS,
  buildMenuTemplate,
  createAppTray,
  trayIconPath,
} from '../../src-main/electron/tray';
import type { TrayAction, TrayModel } from '../../src-main/shared/tray-types';

const model: TrayModel = {
  icon: 'active',
  tooltip: 'CloudBridge — Active, 1 of 1 tunnel ready',
  title: '',
  items: [
    { kind: 'label', label: 'Active, 1 of 1 tunnel ready' },
    { kind: 'separator' },
    {
      kind: 'submenu',
      label: 'SSH — ready · 127.0.0.1:2222',
      items: [
        {
          kind: 'action',
          label: 'Turn off',
          action: { type: 'toggleTunnel', tunnelId: 't1', enabled: false },
        },
        {
          kind: 'action',
          label: 'Copy address',
          action: { type: 'copyText', text: '127.0.0.1:2222' },
        },
        { kind: 'disabled', label: 'Open SSH session (the tunnel is off)', reason: 'off' },
      ],
    },
    { kind: 'action', label: 'Disconnect', action: { type: 'disconnect' } },
    { kind: 'action', label: 'Quit', action: { type: 'quit' } },
  ],
};

/** The stand-in's Menu: the template it was built from, and its events. */
class FakeMenu extends EventEmitter {
  constructor(readonly template: Electron.MenuItemConstructorOptions[]) {
    super();
  }
}

interface FakeTrayRecord {
  images: string[];
  events: string[];
  menus: FakeMenu[];
  clicks: EventEmitter | null;
}

function installStandIn(): FakeTrayRecord {
  const record: FakeTrayRecord = { images: [], events: [], menus: [], clicks: null };
  electronStandIn.nativeImage = {
    createFromPath: (p: string) => ({ path: p, setTemplateImage: () => undefined }),
  };
  electronStandIn.Menu = {
    buildFromTemplate: (t: Electron.MenuItemConstructorOptions[]) => new FakeMenu(t),
  };
  electronStandIn.Tray = class extends EventEmitter {
    constructor(image: { path: string }) {
      super();
      record.images.push(image.path);
      record.clicks = this;
    }
    setImage(image: { path: string }) {
      record.images.push(image.path);
    }
    setToolTip(t: string) {
      record.events.push(`tooltip:${t}`);
    }
    setTitle(t: string) {
      record.events.push(`title:${t}`);
    }
    setContextMenu(m: FakeMenu) {
      record.menus.push(m);
      record.events.push(`menu:${m.template.length}`);
    }
    destroy() {
      record.events.push('destroy');
    }
  };
  return record;
}

const click = (item: Electron.MenuItemConstructorOptions | undefined) =>
  (item?.click as () => void)();

describe('tray menu template', () => {
  it('builds labels, submenus and disabled entries from the model and dispatches the actions', () => {
    const dispatched: TrayAction[] = [];
    const template = buildMenuTemplate(model.items, (a) => dispatched.push(a));
    expect(template.map((t) => [t.type ?? 'normal', t.label, t.enabled])).toEqual([
      ['normal', 'Active, 1 of 1 tunnel ready', false],
      ['separator', undefined, undefined],
      ['normal', 'SSH — ready · 127.0.0.1:2222', undefined],
      ['normal', 'Disconnect', undefined],
      ['normal', 'Quit', undefined],
    ]);
    const submenu = template[2]!.submenu as Electron.MenuItemConstructorOptions[];
    expect(submenu.map((t) => [t.label, t.enabled ?? true])).toEqual([
      ['Turn off', true],
      ['Copy address', true],
      // A disabled entry says why in its label: no sublabel or tooltip on Windows and Linux.
      ['Open SSH session (the tunnel is off)', false],
    ]);
    expect(submenu[2]!.click).toBeUndefined();
    click(submenu[0]);
    click(template[3]);
    expect(dispatched).toEqual([
      { type: 'toggleTunnel', tunnelId: 't1', enabled: false },
      { type: 'disconnect' },
    ]);
  });

  it('picks state icons (Template on macOS, .ico on Windows) that exist in assets/tray', () => {
    for (const state of ['active', 'connecting', 'disconnected', 'error'] as const) {
      for (const platform of ['darwin', 'win32', 'linux'] as const)
        expect(existsSync(trayIconPath('assets', state, platform)), `${state} ${platform}`).toBe(
          true,
        );
    }
    expect(trayIconPath('/a', 'connecting', 'darwin')).toBe(
      join('/a', 'tray', 'connectingTemplate.png'),
    );
    expect(trayIconPath('/a', 'error', 'win32')).toBe(join('/a', 'tray', 'error.ico'));
    expect(trayIconPath('/a', 'error', 'linux')).toBe(join('/a', 'tray', 'error.png'));
  });
});

describe('tray icon', () => {
  let record: FakeTrayRecord;
  beforeEach(() => {
    record = installStandIn();
  });

  it('swaps the image only when the state changes and rebuilds the menu only when its items do', () => {
    const tray = createAppTray({
      assetsDir: '/a',
      platform: 'linux',
      dispatch: () => undefined,
      initial: model,
    });
    tray.update({ ...model, tooltip: 'again' });
    tray.update({ ...model, icon: 'error', tooltip: 'broken' });
    tray.update({ ...model, icon: 'error', tooltip: 'broken', items: model.items.slice(0, 4) });
    tray.destroy();
    expect(record.images).toEqual([
      join('/a', 'tray', 'active.png'),
      join('/a', 'tray', 'error.png'),
    ]);
    expect(record.events).toEqual([
      `tooltip:${model.tooltip}`,
      'menu:5',
      'tooltip:again',
      'tooltip:broken',
      'menu:4',
      'destroy',
    ]);
  });

  it('copies with the clipboard itself and opens the window on a left click off macOS', () => {
    const copied: string[] = [];
    electronStandIn.clipboard = { writeText: (text: string) => copied.push(text) };
    const dispatched: TrayAction[] = [];
    createAppTray({
      assetsDir: '/a',
      platform: 'win32',
      dispatch: (a) => dispatched.push(a),
      initial: model,
    });
    const submenu = record.menus[0]!.template[2]!.submenu as Electron.MenuItemConstructorOptions[];
    click(submenu[1]);
    expect(copied).toEqual(['127.0.0.1:2222']);
    record.clicks!.emit('click');
    expect(dispatched).toEqual([{ type: 'openWindow' }]);
  });

  it('leaves the left click to the menu on macOS and shows the title there', () => {
    const dispatched: TrayAction[] = [];
    const tray = createAppTray({
      assetsDir: '/a',
      platform: 'darwin',
      dispatch: (a) => dispatched.push(a),
      initial: model,
    });
    tray.update({ ...model, title: 'Retry in 4 s' });
    record.clicks!.emit('click');
    expect(dispatched).toEqual([]);
    expect(record.events).toContain('title:Retry in 4 s');
  });
});

describe('the open-menu rule', () => {
  let record: FakeTrayRecord;
  let now: number;
  let deferred: (() => void)[];
  beforeEach(() => {
    record = installStandIn();
    now = 1_000;
    deferred = [];
  });
  const countdown = (seconds: number): TrayModel => ({
    ...model,
    tooltip: `Reconnecting. Next try in ${seconds} s`,
    title: `Retry in ${seconds} s`,
    items: [{ kind: 'label', label: `Next try: ${seconds}` }, ...model.items.slice(1)],
  });
  const open = () =>
    createAppTray({
      assetsDir: '/a',
      platform: 'darwin',
      dispatch: () => undefined,
      initial: countdown(5),
      now: () => now,
      defer: (fn) => deferred.push(fn),
    });
  const menuLabels = () => record.menus.map((m) => m.template[0]!.label);

  it('changes tooltip and title under an open menu and rebuilds it once, with the newest model, after it closes', () => {
    const tray = open();
    record.menus[0]!.emit('menu-will-show');
    for (const seconds of [4, 3, 2]) {
      now += 1_000;
      tray.update(countdown(seconds));
    }
    expect(menuLabels()).toEqual(['Next try: 5']);
    expect(record.events.filter((e) => e.startsWith('title:'))).toEqual([
      'title:Retry in 5 s',
      'title:Retry in 4 s',
      'title:Retry in 3 s',
      'title:Retry in 2 s',
    ]);
    expect(record.events).toContain('tooltip:Reconnecting. Next try in 2 s');
    record.menus[0]!.emit('menu-will-close');
    // After the close event, not inside it: the chosen item's click comes after the close.
    expect(menuLabels()).toEqual(['Next try: 5']);
    for (const fn of deferred.splice(0)) fn();
    expect(menuLabels()).toEqual(['Next try: 5', 'Next try: 2']);
    // Closed: every change goes straight to the menu again.
    tray.update(countdown(1));
    expect(menuLabels().at(-1)).toBe('Next try: 1');
  });

  it('ignores events from a menu it has replaced', () => {
    const tray = open();
    tray.update(countdown(4));
    record.menus[0]!.emit('menu-will-show');
    tray.update(countdown(3));
    expect(menuLabels()).toEqual(['Next try: 5', 'Next try: 4', 'Next try: 3']);
  });

  it('takes a menu reported open for longer than the limit as closed', () => {
    const tray = open();
    record.menus[0]!.emit('menu-will-show');
    now += MENU_OPEN_LIMIT_MS - 1;
    tray.update(countdown(4));
    expect(menuLabels()).toEqual(['Next try: 5']);
    now += 1;
    tray.update(countdown(3));
    expect(menuLabels()).toEqual(['Next try: 5', 'Next try: 3']);
  });
});

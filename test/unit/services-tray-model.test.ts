// The tray model from app states: icon, status line, a row per tunnel that says its state in
// words with its submenu, the entry that fixes what is missing instead of a grey Connect, the
// reconnect countdown in tooltip and title, every disabled entry saying why, in English and
// Russian, the Russian tray free of English and no tray text carrying the engine's English.
import { describe, expect, it } from 'vitest';
import { trayActionRequest } from '../../src-main/services/tray-actions';
import {
  buildTrayModel,
  resolveLanguage,
  type TrayModelOptions,
} from '../../src-main/services/tray-model';
import { tunnelAddress } from '../../src-main/services/tray-rows';
import { isValidRequest } from '../../src-main/shared/ipc-guards';
import { ERROR_CODES, type ErrorInfo, type TunnelSnapshot } from '../../src-main/shared/model';
import type { AppSnapshot } from '../../src-main/shared/ipc-contract';
import type { TrayAction, TrayMenuItem, TrayModel } from '../../src-main/shared/tray-types';
import { engineError, sampleTunnels, traySnapshot, trayStates } from '../harness/tray-states';
import { englishWords } from './i18n-english';

const NOW = Date.parse('2026-06-01T08:00:00Z');
const en: TrayModelOptions = { language: 'en', nowMs: NOW, platform: 'linux' };
const ru: TrayModelOptions = { ...en, language: 'ru' };

/** Every item, submenus included, depth first. */
function flatten(items: readonly TrayMenuItem[]): TrayMenuItem[] {
  return items.flatMap((i) => (i.kind === 'submenu' ? [i, ...flatten(i.items)] : [i]));
}
const labels = (items: readonly TrayMenuItem[]) =>
  items.flatMap((i) => ('label' in i ? [i.label] : []));
const allTexts = (model: TrayModel) => [
  model.tooltip,
  model.title,
  ...labels(flatten(model.items)),
];
const rows = (model: TrayModel) => model.items.flatMap((i) => (i.kind === 'submenu' ? [i] : []));
const row = (model: TrayModel, name: string) => {
  const found = rows(model).find((r) => r.label.startsWith(`${name} —`));
  if (!found) throw new Error(`no row for ${name}`);
  return found;
};
/** The greyed lines before the first separator: a sentence may be wrapped over several. */
const leadingLines = (items: readonly TrayMenuItem[]) => {
  const end = items.findIndex((i) => i.kind !== 'label');
  return labels(items.slice(0, end < 0 ? items.length : end));
};
const actionOf = (items: readonly TrayMenuItem[], label: string): TrayAction | undefined =>
  items.flatMap((i) => (i.kind === 'action' && i.label === label ? [i.action] : []))[0];

const states = trayStates(NOW);
const stateNamed = (name: string): AppSnapshot => {
  const found = states.find(([n]) => n === name);
  if (!found) throw new Error(name);
  return found[1];
};

describe('tray model: tunnel rows', () => {
  const active = buildTrayModel(stateNamed('active'), en);

  it('says each tunnel’s state in words, its address when it is ready', () => {
    expect(rows(active).map((r) => r.label)).toEqual([
      'Office PC — ready · 127.0.0.1:13389',
      'Intranet — port 8080 in use',
      'Wiki — remote host unreachable · 127.0.0.1:8443',
      'Staging DB — starting…',
      'Build server — off',
    ]);
    // An enabled tunnel in trouble shows in the icon, not only in its row.
    expect(active.icon).toBe('error');
    expect(labels(active.items)).toContain('Turn all tunnels off');
  });

  it('waits for the relay while the session is down, and says "not connected" when nobody is trying', () => {
    expect(rows(buildTrayModel(stateNamed('reconnecting'), en)).map((r) => r.label)).toEqual([
      'Office PC — waiting for relay',
      'Intranet — waiting for relay',
      'Wiki — waiting for relay',
      'Staging DB — waiting for relay',
      'Build server — off',
    ]);
    expect(row(buildTrayModel(stateNamed('no-token'), en), 'Office PC').label).toBe(
      'Office PC — on, not connected',
    );
  });

  it('gives each row a submenu: turn on or off, copy the address, open, show in window', () => {
    const office = row(active, 'Office PC').items;
    expect(labels(office)).toEqual([
      'Turn off',
      'Copy address',
      'Open in Remote Desktop',
      'Show in window',
    ]);
    expect(actionOf(office, 'Turn off')).toEqual({
      type: 'toggleTunnel',
      tunnelId: 't-office',
      enabled: false,
    });
    expect(actionOf(office, 'Copy address')).toEqual({ type: 'copyText', text: '127.0.0.1:13389' });
    expect(actionOf(office, 'Open in Remote Desktop')).toEqual({
      type: 'openTunnel',
      tunnelId: 't-office',
    });
    expect(actionOf(office, 'Show in window')).toEqual({
      type: 'showView',
      view: 'tunnels',
      tunnelId: 't-office',
    });
    const build = row(active, 'Build server').items;
    expect(actionOf(build, 'Turn on')).toEqual({
      type: 'toggleTunnel',
      tunnelId: 't-build',
      enabled: true,
    });
    // Open exists for the kinds there is an app for; while it cannot work it says why.
    expect(build).toContainEqual({
      kind: 'disabled',
      label: 'Open SSH session (the tunnel is off)',
      reason: 'the tunnel is off',
    });
    expect(labels(row(active, 'Staging DB').items)).not.toContain('Open');
    // A web tunnel opens in the browser once it listens, even while some connections fail.
    expect(actionOf(row(active, 'Wiki').items, 'Open in browser')).toEqual({
      type: 'openTunnel',
      tunnelId: 't-wiki',
    });
    // A failed one says what stands in the way, and offers to try again.
    expect(labels(row(active, 'Intranet').items)).toContain('Open in browser (port 8080 in use)');
    expect(actionOf(row(active, 'Intranet').items, 'Try again')).toEqual({
      type: 'retryTunnel',
      tunnelId: 't-intranet',
    });
    expect(labels(office)).not.toContain('Try again');
  });

  it('puts the error, who holds the port and what to do at the top of a failed tunnel’s submenu', () => {
    const intranet = row(active, 'Intranet').items;
    // Wrapped between words: a native menu item never wraps, so a sentence would widen the menu.
    expect(leadingLines(intranet)).toEqual([
      'The local port is already in use by another program.',
      'Port 8080 is held by nginx (process 1234).',
      'Choose another local port, or close the program that',
      'uses it.',
    ]);
    expect(intranet[4]).toEqual({ kind: 'separator' });
    expect(row(buildTrayModel(stateNamed('active'), ru), 'Intranet').label).toBe(
      'Intranet — порт 8080 занят',
    );
  });

  it('copies an address a client can dial', () => {
    expect(tunnelAddress({ localHost: '0.0.0.0', localPort: 80 })).toBe('127.0.0.1:80');
    expect(tunnelAddress({ localHost: '', localPort: 80 })).toBe('127.0.0.1:80');
    expect(tunnelAddress({ localHost: '::', localPort: 80 })).toBe('127.0.0.1:80');
    expect(tunnelAddress({ localHost: '::1', localPort: 8080 })).toBe('[::1]:8080');
  });

  it('offers "Add a tunnel…" when there is none, and no "Turn all tunnels off" while all are off', () => {
    const none = buildTrayModel(traySnapshot(NOW, { state: 'active' }), en);
    expect(labels(none.items)).toEqual(expect.arrayContaining(['No tunnels yet', 'Add a tunnel…']));
    expect(actionOf(none.items, 'Add a tunnel…')).toEqual({
      type: 'showView',
      view: 'tunnels',
      tunnelId: null,
    });
    const allOff = sampleTunnels(NOW).map((t): TunnelSnapshot => ({
      ...t,
      enabled: false,
      status: 'off',
      error: null,
    }));
    const off = buildTrayModel(traySnapshot(NOW, { state: 'active', tunnels: allOff }), en);
    expect(labels(off.items)).not.toContain('Turn all tunnels off');
    expect(off.icon).toBe('active');
  });
});

describe('tray model: the session', () => {
  it('active with every tunnel ready: the active icon, plural forms, Disconnect', () => {
    const one = sampleTunnels(NOW).slice(0, 1);
    const model = buildTrayModel(traySnapshot(NOW, { state: 'active', tunnels: one }), en);
    expect(model.icon).toBe('active');
    expect(model.items[0]).toEqual({ kind: 'label', label: 'Active, 1 of 1 tunnel ready' });
    expect(labels(model.items)).toContain('Disconnect');
    expect(labels(model.items)).not.toContain('Connect');
    expect(labels(model.items).slice(-3)).toEqual(['Open CloudBridge', 'View logs', 'Quit']);
    expect(model.tooltip).toBe('CloudBridge — Active, 1 of 1 tunnel ready');
    expect(model.title).toBe('');
    expect(buildTrayModel(stateNamed('active'), en).items[0]).toEqual({
      kind: 'label',
      label: 'Active, 1 of 4 tunnels ready',
    });
  });

  it('reconnecting: the attempt and Retry now in the menu, the countdown also in tooltip and title', () => {
    const model = buildTrayModel(stateNamed('reconnecting'), en);
    expect(model.icon).toBe('connecting');
    expect(labels(model.items).slice(0, 3)).toEqual([
      'Reconnecting (attempt 3 of 10)',
      'Next try in 5 seconds',
      'Retry now',
    ]);
    expect(model.items[2]).toMatchObject({ action: { type: 'retryNow' } });
    expect(model.tooltip).toBe(
      'CloudBridge — Reconnecting (attempt 3 of 10). Next try in 5 seconds',
    );
    expect(model.title).toBe('Retry in 5 s');
    const later = buildTrayModel(stateNamed('reconnecting'), { ...en, nowMs: NOW + 3_000 });
    expect(later.title).toBe('Retry in 2 s');
    expect(buildTrayModel(stateNamed('reconnecting'), ru).title).toBe('Повтор через 5 с');
  });

  it('first run: "Not set up yet" and "Set up relay…" where Connect would be', () => {
    const model = buildTrayModel(stateNamed('first-run'), en);
    expect(model.icon).toBe('disconnected');
    expect(model.items[0]).toEqual({ kind: 'label', label: 'Not set up yet' });
    expect(actionOf(model.items, 'Set up relay…')).toEqual({
      type: 'showView',
      view: 'status',
      tunnelId: null,
    });
    expect(labels(flatten(model.items))).not.toContain('Connect');
  });

  it('no token, or an expired one: "Sign in…" opens the Account view instead of a Connect that fails', () => {
    const signedOut = buildTrayModel(stateNamed('no-token'), en);
    expect(signedOut.items[0]).toEqual({ kind: 'label', label: 'Not signed in' });
    expect(actionOf(signedOut.items, 'Sign in…')).toEqual({
      type: 'showView',
      view: 'account',
      tunnelId: null,
    });
    expect(labels(signedOut.items)).not.toContain('Connect');
    const expired = traySnapshot(NOW);
    const stale = {
      ...expired,
      account: { ...expired.account, expiresAt: new Date(NOW - 1).toISOString() },
    };
    expect(labels(buildTrayModel(stale, en).items)).toContain('Sign in…');
    expect(labels(buildTrayModel(stale, en).items)).not.toContain('Connect');
    expect(labels(buildTrayModel(traySnapshot(NOW), en).items)).toContain('Connect');
  });

  it('a refused token offers "Sign in…" next to Connect; a changed relay its confirmation', () => {
    const refused = traySnapshot(NOW, { lastError: engineError('invalid_token', NOW) });
    const model = buildTrayModel(refused, en);
    expect(labels(model.items)).toEqual(
      expect.arrayContaining([
        'Error: The relay did not accept your access token.',
        'Paste a new token on the Account page.',
        'Sign in…',
        'Connect',
      ]),
    );
    const changed = traySnapshot(NOW, { lastError: engineError('token_relay_changed', NOW) });
    expect(actionOf(buildTrayModel(changed, en).items, 'Confirm the new relay…')).toEqual({
      type: 'showView',
      view: 'account',
      tunnelId: null,
    });
  });

  it('disconnected by an error: the error icon, the error and what to do in plain words', () => {
    const model = buildTrayModel(stateNamed('error'), en);
    expect(model.icon).toBe('error');
    expect(leadingLines(model.items)).toEqual([
      'Error: The relay did not answer in time: it may be down,',
      'or a firewall may be dropping the connection.',
      'Check the relay address and port in Settings.',
    ]);
    for (const options of [en, ru])
      for (const [, snapshot] of states)
        for (const line of labels(flatten(buildTrayModel(snapshot, options).items)))
          expect(line.length, line).toBeLessThanOrEqual(60);
    expect(buildTrayModel(stateNamed('error'), ru).items[0]).toMatchObject({
      label: expect.stringMatching(/^Ошибка: /),
    });
  });

  it('while the keychain unlocks, Connect is grey and says why', () => {
    const unlocking = traySnapshot(NOW, {
      notices: [{ kind: 'keychain_unlocking', at: new Date(NOW).toISOString() }],
    });
    const model = buildTrayModel(unlocking, en);
    expect(model.items[0]).toEqual({ kind: 'label', label: 'Unlocking keychain…' });
    expect(model.items).toContainEqual({
      kind: 'disabled',
      label: 'Connect (waiting for the keychain)',
      reason: 'waiting for the keychain',
    });
  });

  it('says INSECURE in the status of a plaintext session', () => {
    const model = buildTrayModel(
      traySnapshot(NOW, { state: 'active', session: { insecure: true } }),
      en,
    );
    expect(model.items[0]).toMatchObject({ label: expect.stringContaining('INSECURE') });
  });

  it('speaks Russian with correct plural forms', () => {
    const three = sampleTunnels(NOW).slice(0, 3);
    const ready = three.map((t, i): TunnelSnapshot =>
      i < 2 ? { ...t, error: null, status: 'listening' } : t,
    );
    expect(
      buildTrayModel(traySnapshot(NOW, { state: 'active', tunnels: ready }), ru).items[0],
    ).toEqual({
      kind: 'label',
      label: 'Активно, работают 2 из 3 туннелей',
    });
    const model = buildTrayModel(
      traySnapshot(NOW, { state: 'active', tunnels: ready.slice(0, 1) }),
      ru,
    );
    expect(labels(flatten(model.items))).toEqual(
      expect.arrayContaining([
        'Активно, работает 1 из 1 туннеля',
        'Office PC — работает · 127.0.0.1:13389',
        'Выключить',
        'Копировать адрес',
        'Открыть удалённый рабочий стол',
        'Показать в окне',
        'Отключиться',
        'Открыть CloudBridge',
        'Открыть журнал',
        'Выход',
      ]),
    );
    const waiting = buildTrayModel(stateNamed('reconnecting'), { ...ru, nowMs: NOW - 16_800 });
    expect(labels(waiting.items).slice(0, 3)).toEqual([
      'Переподключение (попытка 3 из 10)',
      'Следующая попытка через 21 секунду',
      'Повторить сейчас',
    ]);
    expect(resolveLanguage('system', 'ru-RU')).toBe('ru');
    expect(resolveLanguage('system', 'de-DE')).toBe('en');
    expect(resolveLanguage('en', 'ru-RU')).toBe('en');
  });
});

describe('tray model: in every state', () => {
  const errorStates = ERROR_CODES.flatMap((code): [string, AppSnapshot][] => {
    const error = engineError(code, NOW);
    const failed = sampleTunnels(NOW).map((t) =>
      t.enabled ? { ...t, status: 'error' as const, error } : t,
    );
    return [
      [`disconnected by ${code}`, traySnapshot(NOW, { tunnels: failed, lastError: error })],
      [`a tunnel failed with ${code}`, traySnapshot(NOW, { state: 'active', tunnels: failed })],
    ];
  });
  const everyState: [string, AppSnapshot][] = [
    ...states.map(([name, s]): [string, AppSnapshot] => [name, s]),
    ['insecure', traySnapshot(NOW, { state: 'active', session: { insecure: true } })],
    [
      'unlocking the keychain',
      traySnapshot(NOW, {
        notices: [{ kind: 'keychain_unlocking', at: new Date(NOW).toISOString() }],
      }),
    ],
    ...errorStates,
  ];
  /** The user's own words shown as they are: tunnel names and hosts, the program on a port. */
  const data = [...sampleTunnels(NOW).flatMap((t) => [t.name, t.remoteHost]), 'nginx'];

  it('says every state and every error in Russian without English', () => {
    for (const [name, snapshot] of everyState) {
      for (const text of allTexts(buildTrayModel(snapshot, ru)))
        expect(englishWords(text, data), `${name}: ${text}`).toEqual([]);
    }
  });

  it('is checked by a finder that does see English (the same states in English)', () => {
    const found = everyState.flatMap(([, snapshot]) =>
      allTexts(buildTrayModel(snapshot, en)).flatMap((text) => englishWords(text, data)),
    );
    expect(found).toEqual(
      expect.arrayContaining(['Active', 'Disconnect', 'Quit', 'Error', 'ready']),
    );
  });

  it('never shows the engine’s English message or detail, only the catalogue’s words for the code', () => {
    for (const [name, snapshot] of everyState) {
      const errors: ErrorInfo[] = [
        ...(snapshot.engine.lastError ? [snapshot.engine.lastError] : []),
        ...snapshot.engine.tunnels.flatMap((t) => (t.error ? [t.error] : [])),
      ];
      for (const options of [en, ru]) {
        const texts = allTexts(buildTrayModel(snapshot, options));
        for (const error of errors) {
          for (const english of [error.message, error.detail ?? ''].filter((s) => s !== ''))
            expect(
              texts.filter((text) => text.includes(english)),
              `${name}: ${english}`,
            ).toEqual([]);
        }
      }
    }
    const intranet = row(buildTrayModel(stateNamed('active'), en), 'Intranet');
    expect(labels(intranet.items)).toContain(
      'The local port is already in use by another program.',
    );
  });

  it('keeps the tooltip within the 127 characters Windows shows', () => {
    for (const [name, snapshot] of everyState)
      for (const options of [en, ru])
        expect(buildTrayModel(snapshot, options).tooltip.length, name).toBeLessThanOrEqual(127);
  });

  it('gives every disabled entry its reason, in its label', () => {
    let disabled = 0;
    for (const [name, snapshot] of everyState) {
      for (const options of [en, ru]) {
        for (const item of flatten(buildTrayModel(snapshot, options).items)) {
          if (item.kind !== 'disabled') continue;
          disabled += 1;
          expect(item.reason, name).not.toBe('');
          expect(item.label, name).toContain(item.reason);
        }
      }
    }
    expect(disabled).toBeGreaterThan(0);
  });

  it('asks the services only for requests their guards accept', () => {
    const seen = new Set<string>();
    for (const [, snapshot] of everyState) {
      for (const item of flatten(buildTrayModel(snapshot, en).items)) {
        if (item.kind !== 'action') continue;
        const request = trayActionRequest(item.action);
        seen.add(item.action.type);
        if (request === null) continue;
        expect(isValidRequest(request.channel, request.payload), item.action.type).toBe(true);
      }
    }
    expect([...seen].sort()).toEqual(
      [
        'connect',
        'copyText',
        'disconnect',
        'openTunnel',
        'openWindow',
        'quit',
        'retryNow',
        'retryTunnel',
        'showView',
        'toggleTunnel',
        'turnAllTunnelsOff',
        'viewLogs',
      ].sort(),
    );
  });
});

describe('tray actions', () => {
  it('sends each submenu action to its request, and keeps the window, clipboard and quit local', () => {
    expect(trayActionRequest({ type: 'toggleTunnel', tunnelId: 't-1', enabled: true })).toEqual({
      channel: 'cloudbridge:tunnel.setEnabled',
      payload: { id: 't-1', enabled: true },
    });
    expect(trayActionRequest({ type: 'openTunnel', tunnelId: 't-1' })).toEqual({
      channel: 'cloudbridge:tunnel.open',
      payload: { id: 't-1' },
    });
    expect(trayActionRequest({ type: 'retryTunnel', tunnelId: 't-1' })).toEqual({
      channel: 'cloudbridge:tunnel.retry',
      payload: { id: 't-1' },
    });
    expect(trayActionRequest({ type: 'turnAllTunnelsOff' })).toEqual({
      channel: 'cloudbridge:tunnel.setAllEnabled',
      payload: { enabled: false },
    });
    expect(trayActionRequest({ type: 'retryNow' })).toEqual({
      channel: 'cloudbridge:session.retryNow',
      payload: undefined,
    });
    for (const local of [
      { type: 'copyText', text: '127.0.0.1:1' },
      { type: 'showView', view: 'tunnels', tunnelId: 't-1' },
      { type: 'openWindow' },
      { type: 'quit' },
    ] as const)
      expect(trayActionRequest(local), local.type).toBeNull();
  });
});

// The tray model from app states: icon, status line, per-tunnel checkboxes, Connect or
// Disconnect, the reconnect countdown with "Retry now", in English and Russian, the Russian
// tray in every state free of English.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src-main/services/settings-store';
import { SIGNED_OUT } from '../../src-main/services/token-service';
import { buildTrayModel, resolveLanguage } from '../../src-main/services/tray-model';
import type { AppSnapshot } from '../../src-main/shared/ipc-contract';
import type { ConnectionState, TunnelSnapshot } from '../../src-main/shared/model';
import type { TrayMenuItem } from '../../src-main/shared/tray-types';
import { idleTunnelSnapshot } from '../../src-main/shared/tunnel-snapshot';
import { ERROR_CODES, type ErrorInfo } from '../../src-main/shared/model';
import { englishWords } from './i18n-english';

const NOW = Date.parse('2026-06-01T08:00:00Z');

function tunnel(id: string, status: TunnelSnapshot['status'], enabled = true): TunnelSnapshot {
  return {
    ...idleTunnelSnapshot({
      id,
      name: `Tunnel ${id}`,
      kind: 'ssh',
      localHost: '127.0.0.1',
      localPort: 2200 + Number(id),
      remoteHost: 'host',
      remotePort: 22,
      enabled,
    }),
    status,
    dataMode: 'stream',
  };
}

function snap(
  state: ConnectionState,
  tunnels: TunnelSnapshot[],
  extra: Partial<AppSnapshot['engine']['session']> = {},
  lastError: AppSnapshot['engine']['lastError'] = null,
): AppSnapshot {
  return {
    seq: 1,
    engine: {
      state,
      session: {
        relay: 'relay:443',
        insecure: false,
        clientId: null,
        tenantId: null,
        connectedSince: null,
        reconnectAttempt: 0,
        maxReconnectAttempts: 10,
        nextRetryAt: null,
        relayVersion: null,
        relayFeatures: [],
        ...extra,
      },
      tunnels,
      lastError,
      seq: 1,
      at: new Date(NOW).toISOString(),
    },
    account: { ...SIGNED_OUT, signedIn: true },
    settings: {
      ...DEFAULT_SETTINGS,
      relay: {
        id: 'r',
        name: 'r',
        host: 'relay',
        port: 443,
        caFile: null,
        pinSha256: null,
        serverName: null,
        insecure: false,
        opener: 'auto',
        builtin: false,
      },
    },
    totals: {},
    notices: [],
    logDirectory: '/tmp/logs',
    invite: { pending: null, problem: null },
  };
}

const labels = (items: readonly TrayMenuItem[]) =>
  items.flatMap((i) => ('label' in i ? [i.label] : []));

describe('tray model', () => {
  it('active with 2 of 3 enabled tunnels ready: status, checkboxes, Disconnect', () => {
    const model = buildTrayModel(
      snap('active', [
        tunnel('1', 'listening'),
        tunnel('2', 'listening'),
        tunnel('3', 'error'),
        tunnel('4', 'off', false),
      ]),
      'en',
      NOW,
    );
    expect(model.items[0]).toEqual({ kind: 'label', label: 'Active, 2 of 3 tunnels ready' });
    expect(model.icon).toBe('error'); // an enabled tunnel failed
    const boxes = model.items.filter((i) => i.kind === 'checkbox');
    expect(boxes.map((b) => b.kind === 'checkbox' && b.checked)).toEqual([true, true, true, false]);
    expect(boxes[3]).toMatchObject({
      action: { type: 'toggleTunnel', tunnelId: '4', enabled: true },
    });
    expect(labels(model.items)).toContain('Disconnect');
    expect(labels(model.items)).not.toContain('Connect');
    expect(labels(model.items).slice(-3)).toEqual(['Open CloudBridge', 'View logs', 'Quit']);
    expect(model.tooltip).toBe('CloudBridge — Active, 2 of 3 tunnels ready');
  });

  it('all ready shows the active icon, and one tunnel is a tunnel, not "tunnels"', () => {
    const model = buildTrayModel(snap('active', [tunnel('1', 'listening')]), 'en', NOW);
    expect(model.icon).toBe('active');
    expect(model.items[0]).toEqual({ kind: 'label', label: 'Active, 1 of 1 tunnel ready' });
  });

  it('reconnecting shows the attempt, a countdown and Retry now', () => {
    const model = buildTrayModel(
      snap('reconnecting', [tunnel('1', 'pending')], {
        reconnectAttempt: 3,
        nextRetryAt: new Date(NOW + 4_200).toISOString(),
      }),
      'en',
      NOW,
    );
    expect(model.icon).toBe('connecting');
    expect(labels(model.items).slice(0, 3)).toEqual([
      'Reconnecting (attempt 3 of 10)',
      'Next try in 5 seconds',
      'Retry now',
    ]);
    expect(model.items[2]).toMatchObject({ action: { type: 'retryNow' } });
  });

  it('disconnected after an error shows the error icon, the error in plain words, and offers Connect only when signed in', () => {
    const error = {
      code: 'reconnect_exhausted' as const,
      message: 'Gave up after 10 attempts',
      at: new Date(NOW).toISOString(),
    };
    const model = buildTrayModel(snap('disconnected', [], {}, error), 'en', NOW);
    expect(model.icon).toBe('error');
    // The catalogue's words for the code, not the engine's English message.
    expect(model.items[0]).toEqual({
      kind: 'label',
      label: 'Error: Reconnecting failed after every attempt.',
    });
    expect(buildTrayModel(snap('disconnected', [], {}, error), 'ru', NOW).items[0]).toEqual({
      kind: 'label',
      label: 'Ошибка: Все попытки переподключения не удались.',
    });
    expect(model.items.find((i) => i.kind === 'action' && i.label === 'Connect')).toMatchObject({
      enabled: true,
    });
    const signedOut = { ...snap('disconnected', []), account: SIGNED_OUT };
    expect(
      buildTrayModel(signedOut, 'en', NOW).items.find(
        (i) => i.kind === 'action' && i.label === 'Connect',
      ),
    ).toMatchObject({ enabled: false });
    expect(buildTrayModel(signedOut, 'en', NOW).icon).toBe('disconnected');
  });

  it('speaks Russian with correct plural forms', () => {
    expect(
      buildTrayModel(
        snap('active', [
          tunnel('1', 'listening'),
          tunnel('2', 'listening'),
          tunnel('3', 'pending'),
        ]),
        'ru',
        NOW,
      ).items[0],
    ).toEqual({
      kind: 'label',
      label: 'Активно, работают 2 из 3 туннелей',
    });
    expect(
      labels(buildTrayModel(snap('active', [tunnel('1', 'listening')]), 'ru', NOW).items),
    ).toEqual(
      expect.arrayContaining([
        'Активно, работает 1 из 1 туннеля',
        'Отключиться',
        'Открыть CloudBridge',
        'Открыть журнал',
        'Выход',
      ]),
    );
    const waiting = snap('reconnecting', [tunnel('1', 'pending')], {
      reconnectAttempt: 2,
      nextRetryAt: new Date(NOW + 21_000).toISOString(),
    });
    expect(labels(buildTrayModel(waiting, 'ru', NOW).items).slice(0, 3)).toEqual([
      'Переподключение (попытка 2 из 10)',
      'Следующая попытка через 21 секунду',
      'Повторить сейчас',
    ]);
    expect(resolveLanguage('system', 'ru-RU')).toBe('ru');
    expect(resolveLanguage('system', 'de-DE')).toBe('en');
    expect(resolveLanguage('en', 'ru-RU')).toBe('en');
  });

  it('says INSECURE in the status of a plaintext session', () => {
    const model = buildTrayModel(
      snap('active', [tunnel('1', 'listening')], { insecure: true }),
      'en',
      NOW,
    );
    expect(model.items[0]).toMatchObject({ label: expect.stringContaining('INSECURE') });
  });
});

describe('the Russian tray', () => {
  const at = new Date(NOW).toISOString();
  const errorOf = (code: ErrorInfo['code']): ErrorInfo => ({
    code,
    message: `English engine words for ${code}`,
    detail: 'connect ECONNREFUSED 127.0.0.1:8443',
    at,
  });
  const reconnecting = { reconnectAttempt: 3, nextRetryAt: new Date(NOW + 4_200).toISOString() };
  const tunnels = [
    tunnel('1', 'listening'),
    { ...tunnel('2', 'error'), error: errorOf('port_in_use') },
    tunnel('3', 'pending'),
    tunnel('4', 'off', false),
  ];
  const signedOut = { ...snap('disconnected', []), account: SIGNED_OUT };
  const states: [string, AppSnapshot][] = [
    ['signed out, no tunnels', signedOut],
    ['disconnected', snap('disconnected', tunnels)],
    ['connecting', snap('authenticating', tunnels)],
    ['starting tunnels', snap('registered', tunnels)],
    ['active', snap('active', tunnels)],
    ['active, insecure', snap('active', tunnels, { insecure: true })],
    ['reconnecting', snap('reconnecting', tunnels, reconnecting)],
    ['reconnecting, insecure', snap('reconnecting', tunnels, { ...reconnecting, insecure: true })],
    [
      'unlocking the keychain',
      { ...snap('disconnected', tunnels), notices: [{ kind: 'keychain_unlocking', at }] },
    ],
    ...ERROR_CODES.map((code): [string, AppSnapshot] => [
      `disconnected by ${code}`,
      snap('disconnected', tunnels, {}, errorOf(code)),
    ]),
  ];
  /** What the test's tunnels bring along as the user's own words. */
  const data = tunnels.flatMap((t) => [t.name, t.remoteHost]);

  it('says every state and every error without English', () => {
    for (const [name, snapshot] of states) {
      const model = buildTrayModel(snapshot, 'ru', NOW);
      for (const text of [model.tooltip, ...labels(model.items)])
        expect(englishWords(text, data), `${name}: ${text}`).toEqual([]);
    }
  });

  it('is checked by a finder that does see English (the same states in English)', () => {
    const found = states.flatMap(([, snapshot]) => {
      const model = buildTrayModel(snapshot, 'en', NOW);
      return [model.tooltip, ...labels(model.items)].flatMap((text) => englishWords(text, data));
    });
    expect(found).toEqual(expect.arrayContaining(['Active', 'Disconnect', 'Quit', 'Error']));
  });
});

// What main says comes out in the app's language: notices carry codes and values (no English
// sentence), notifications are worded from the catalogue in the language the settings (or the
// OS, while the setting is System) resolve to, and a port holder is a key with values.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { firstStartHint } from '../../src-main/electron/app-lifecycle';
import { relayChangeText } from '../../src-main/electron/relay-change-dialog';
import { mintDevToken } from '../../src-main/relay/tokens';
import type { AppNotification } from '../../src-main/services/app-controller';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import type { NotificationMessage } from '../../src-main/services/controller-types';
import {
  INITIAL_POLICY_MEMORY,
  decideNotifications,
  notificationText,
} from '../../src-main/services/notification-policy';
import { createPortHolders } from '../../src-main/services/port-holders';
import { createMemorySecretStore } from '../../src-main/services/secret-store';
import { DEFAULT_SETTINGS } from '../../src-main/services/settings-store';
import { createTranslator } from '../../src-main/shared/i18n/translator';
import type { Language, Notice, RelayProfile } from '../../src-main/shared/ipc-contract';
import type { EngineSnapshot } from '../../src-main/shared/model';
import { emptyEngineSnapshot } from '../../src-main/shared/tunnel-snapshot';
import { englishWords } from './i18n-english';

const ru = createTranslator('ru');
const en = createTranslator('en');
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const RELAY: RelayProfile = {
  id: 'r-office',
  name: 'Office',
  host: '127.0.0.1',
  port: 9,
  caFile: null,
  pinSha256: null,
  serverName: null,
  insecure: false,
  opener: 'auto',
  builtin: false,
};

async function startApp(options: { systemLanguage?: string; settingsFileText?: string } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-i18n-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  if (options.settingsFileText !== undefined)
    writeFileSync(join(dataDir, 'settings.json'), options.settingsFileText);
  const app: AppServices = createAppServices({
    dataDir,
    secretStore: createMemorySecretStore(),
    startBuiltinRelay: null,
    launch: () => Promise.resolve(),
    ...(options.systemLanguage ? { systemLanguage: options.systemLanguage } : {}),
  });
  cleanups.push(() => app.close());
  const notes: AppNotification[] = [];
  app.onNotification((n) => notes.push(n));
  await app.start();
  return { app, notes, dataDir };
}

/** A token that expires within the hour: main warns with a notice and a notification. */
async function saveExpiringToken(app: AppServices, language: Language) {
  const set = await app.router.handle('cloudbridge:settings.update', {
    relay: RELAY,
    autoConnect: false,
    language,
  });
  expect(set.ok).toBe(true);
  const token = await mintDevToken({
    secret: 'i18n-secret-i18n-secret-i18n-secret',
    sub: 'ivan',
    ttlSec: 3600,
  });
  expect((await app.router.handle('cloudbridge:token.save', { token })).ok).toBe(true);
}

function noticeText(notice: Notice, t = ru): string {
  return `${t(`notice.${notice.kind}`)} ${t(`noticeBody.${notice.kind}`, notice.params)}`;
}

describe('notices and notifications from main', () => {
  it('words the token-expiry notification in Russian when the language is Russian', async () => {
    const { app, notes } = await startApp();
    await saveExpiringToken(app, 'ru');
    const note = notes.find((n) => n.kind === 'token_expiring');
    expect(note?.title).toBe('CloudBridge: токен скоро истечёт');
    expect(englishWords(`${note?.title} ${note?.body}`)).toEqual([]);
    expect(note?.body).toMatch(
      /^Срок действия токена истекает .+ в .+\. До этого вставьте новый токен\.$/,
    );
    // The notice is a code with values; the window words it, here in Russian.
    const notice = app.controller.snapshot().notices.find((n) => n.kind === 'token_expiring');
    expect(notice).toEqual({
      kind: 'token_expiring',
      params: { expires: expect.any(Number) as number },
      at: expect.any(String) as string,
    });
    expect(englishWords(noticeText(notice!))).toEqual([]);
  });

  it('follows the OS language while the setting is System, and English otherwise', async () => {
    const russianOs = await startApp({ systemLanguage: 'ru-RU' });
    await saveExpiringToken(russianOs.app, 'system');
    expect(russianOs.notes.map((n) => n.title)).toEqual(['CloudBridge: токен скоро истечёт']);
    const englishOs = await startApp({ systemLanguage: 'en-GB' });
    await saveExpiringToken(englishOs.app, 'system');
    expect(englishOs.notes.map((n) => n.title)).toEqual(['CloudBridge token expires soon']);
  });

  it('raises first-run and settings-reset notices as codes with values, Russian when worded', async () => {
    const first = await startApp();
    const firstRun = first.app.controller.snapshot().notices.find((n) => n.kind === 'first_run');
    expect(firstRun).toEqual({ kind: 'first_run', at: expect.any(String) as string });
    expect(englishWords(noticeText(firstRun!))).toEqual([]);

    const damaged = await startApp({ settingsFileText: '{ not json' });
    const reset = damaged.app.controller
      .snapshot()
      .notices.find((n) => n.kind === 'settings_reset');
    expect(reset?.params).toMatchObject({ reason: 'damaged' });
    const path = String(reset?.params?.['path']);
    expect(path).toContain(damaged.dataDir);
    expect(noticeText(reset!)).toContain('Файл настроек был повреждён');
    expect(englishWords(noticeText(reset!), [path])).toEqual([]);
    expect(noticeText(reset!, en)).toContain(`The original file was kept as ${path}.`);

    const refused = await startApp({
      settingsFileText: JSON.stringify({ ...DEFAULT_SETTINGS, relay: { ...RELAY, host: 'x;y' } }),
    });
    const partly = refused.app.controller
      .snapshot()
      .notices.find((n) => n.kind === 'settings_reset');
    expect(partly?.params).toMatchObject({
      reason: 'refused',
      count: 1,
      entries: '"Office" (host)',
    });
    const words = noticeText(partly!);
    expect(words).toContain('не загружена 1 запись: "Office" (host)');
    // The relay's name and the file's key are the file's own words, shown as they are.
    const data = [String(partly?.params?.['path']), String(partly?.params?.['entries'])];
    expect(englishWords(words, data)).toEqual([]);
  });

  it('words each notification main raises in Russian, the lost one by its error code', () => {
    const messages: NotificationMessage[] = [
      { kind: 'connection_lost', params: { code: 'invalid_token' } },
      { kind: 'connection_lost' },
      { kind: 'connection_restored' },
      { kind: 'token_expiring', params: { expires: Date.parse('2026-06-01T18:00:00Z') } },
      { kind: 'engine_restarted', params: { cause: 'signal', signal: 'SIGKILL' } },
      { kind: 'engine_restarted', params: { cause: 'code', code: 70 } },
      { kind: 'engine_restarted', params: { cause: 'start' } },
    ];
    for (const message of messages) {
      const n = notificationText(message, ru);
      expect(englishWords(`${n.title} ${n.body}`, ['SIGKILL']), JSON.stringify(message)).toEqual(
        [],
      );
    }
    expect(notificationText(messages[0]!, ru).body).toBe(
      'Ретранслятор не принял ваш токен доступа.',
    );
    expect(notificationText(messages[0]!, en).body).toBe(
      'The relay did not accept your access token.',
    );
    expect(notificationText(messages[4]!, en).body).toBe(
      'The engine process was stopped by SIGKILL and was started again; tunnels come back by themselves.',
    );
    const hint = firstStartHint('win32', ru);
    expect(englishWords(`${hint.title} ${hint.body}`)).toEqual([]);
    expect(firstStartHint('darwin', en).body).toMatch(/^CloudBridge lives in the menu bar\./);
  });

  it('asks about a changed relay in Russian, naming both relays', () => {
    const { message, detail } = relayChangeText(
      {
        profileName: 'Corp relay',
        from: { ...RELAY, host: 'relay.corp.example', port: 443, caFile: '/etc/corp-ca.pem' },
        to: { ...RELAY, host: 'relay.evil.example', port: 80, insecure: true },
        fields: ['host', 'port', 'insecure'],
      },
      ru,
    );
    expect(message).toBe('Отправить токен изменённому ретранслятору «Corp relay»?');
    expect(detail).toContain(
      'relay.corp.example:443 (файл ЦС /etc/corp-ca.pem, без закреплённого ключа)',
    );
    expect(detail).toContain('relay.evil.example:80 (БЕЗ ШИФРОВАНИЯ)');
    expect(englishWords(`${message} ${detail}`, ['Corp relay'])).toEqual([]);
  });

  it('decides a lost connection as a code, not the engine’s English message', () => {
    const up: EngineSnapshot = {
      ...emptyEngineSnapshot(DEFAULT_SETTINGS, 1, 'x'),
      state: 'active',
    };
    const down: EngineSnapshot = {
      ...up,
      state: 'disconnected',
      lastError: { code: 'heartbeat_timeout', message: 'no pong in 10 s', at: 'x' },
    };
    const decision = decideNotifications(INITIAL_POLICY_MEMORY, up, down, {
      now: 0,
      prefs: DEFAULT_SETTINGS.notifications,
      restoredAfterMs: 10_000,
    });
    expect(decision.notifications).toEqual([
      { kind: 'connection_lost', params: { code: 'heartbeat_timeout' } },
    ]);
    expect(notificationText(decision.notifications[0]!, ru).body).toBe(
      'Ретранслятор перестал отвечать.',
    );
  });

  it('names a port holder as a key with values, which the window words in Russian', async () => {
    let found = 0;
    const holders = createPortHolders({
      findPortOwner: (port) =>
        Promise.resolve(
          port === 8080 ? { pid: 1234, command: 'nginx' } : { pid: 99, command: null },
        ),
      onFound: () => (found += 1),
    });
    const at = '2026-06-01T08:00:00.000Z';
    const base = emptyEngineSnapshot(DEFAULT_SETTINGS, 1, at);
    const failed = (id: string, localPort: number) => ({
      id,
      name: id,
      kind: 'other' as const,
      localHost: '127.0.0.1',
      localPort,
      remoteHost: 'intranet',
      remotePort: 80,
      enabled: true,
      status: 'error' as const,
      dataMode: null,
      bytesIn: 0,
      bytesOut: 0,
      rateInBps: 0,
      rateOutBps: 0,
      openConnections: 0,
      totalConnections: 0,
      failedConnections: 0,
      error: {
        code: 'port_in_use' as const,
        message: 'EADDRINUSE',
        detail: 'listen EADDRINUSE',
        at,
      },
    });
    const snapshot: EngineSnapshot = {
      ...base,
      tunnels: [failed('web', 8080), failed('db', 5432)],
    };
    holders.lookUp(snapshot);
    await expect.poll(() => found).toBe(2);
    const [web, db] = holders.decorate(snapshot).tunnels;
    expect(web?.error).toMatchObject({
      detailKey: 'errorDetail.portHeldBy',
      params: { port: 8080, command: 'nginx', pid: 1234 },
      detail: 'listen EADDRINUSE',
    });
    expect(ru(web!.error!.detailKey!, web!.error!.params)).toBe(
      'Порт 8080 занят программой nginx (процесс 1234).',
    );
    expect(en(db!.error!.detailKey!, db!.error!.params)).toBe('Port 5432 is held by process 99.');
    holders.close();
  });
});

// Each log sentence as the Logs screen shows it, in English and in Russian: one record per event
// that has a sentence (shared/i18n/log-sentences.ts), with details as main logs them, drawn by
// the real screen over the fake bridge (no part of main logs all of these on demand).
import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { LOG_SENTENCE_EVENTS } from '../../src-main/shared/i18n/log-sentences';
import type { LogRecord } from '../../src-main/shared/model';
import { activeSnapshot } from '../harness/fake-bridge';
import { renderOnFake, text, UI_TEST_TIMEOUT_MS } from './render-app';

/** event, details as main logs them, the English sentence, the Russian one. */
const SENTENCES: readonly [string, Record<string, unknown>, string, string][] = [
  [
    'connecting',
    { relay: 'relay.corp.example:443', attempt: 0, trust: 'os_store' },
    'Connecting to relay.corp.example:443.',
    'Подключение к relay.corp.example:443.',
  ],
  [
    'insecure_connection',
    { relay: '127.0.0.1:8443', reason: 'plaintext TCP' },
    'Connecting to 127.0.0.1:8443 without encryption: the traffic and the token can be read on the network.',
    'Подключение к 127.0.0.1:8443 без шифрования: трафик и токен можно прочитать в сети.',
  ],
  [
    'authenticated',
    {
      client_id: 'c-5f2a91',
      tenant_id: 'acme',
      relay_version: '2.0',
      features: ['tcp_mux'],
      opener: 'client',
    },
    'Signed in to the relay as client c-5f2a91.',
    'Вход на ретранслятор выполнен, клиент c-5f2a91.',
  ],
  [
    'state_changed',
    { from: 'authenticating', to: 'active', event: 'registered' },
    'State: Connecting → Active.',
    'Состояние: Подключение → Активно.',
  ],
  [
    'connection_lost',
    { code: 'heartbeat_timeout', reason: 'no heartbeat answer' },
    'Disconnected from the relay. The relay stopped answering.',
    'Подключение к ретранслятору прервано. Ретранслятор перестал отвечать.',
  ],
  [
    'connect_failed',
    { code: 'connection_refused', reason: 'ECONNREFUSED', fatal: false },
    'Connecting failed. The relay refused the connection, or its address was not found.',
    'Подключиться не удалось. Ретранслятор отклонил подключение, или его адрес не найден.',
  ],
  [
    'reconnect_scheduled',
    { attempt: 1, delay_ms: 900 },
    'Reconnecting in 0.9 s (attempt 1).',
    'Повторное подключение через 0,9 с (попытка 1).',
  ],
  [
    'auth_rate_limited',
    { wait_ms: 12000 },
    'Too many sign-in attempts: waiting 12 s.',
    'Слишком много попыток входа: ожидание 12 с.',
  ],
  [
    'internal_error',
    { reason: 'TypeError' },
    'The engine hit an internal error.',
    'Внутренняя ошибка модуля подключений.',
  ],
  [
    'control_internal_error',
    { reason: 'TypeError' },
    'The connection to the relay hit an internal error and was closed.',
    'Внутренняя ошибка в подключении к ретранслятору; подключение закрыто.',
  ],
  [
    'hello_refused',
    { code: 1001, message: 'unknown' },
    'The relay refused the greeting; signing in anyway.',
    'Ретранслятор отклонил приветствие; вход всё равно выполняется.',
  ],
  [
    'hello_unanswered',
    { timeout_ms: 10000 },
    'The relay did not answer the greeting within 10 s; signing in anyway.',
    'Ретранслятор не ответил на приветствие за 10 с; вход всё равно выполняется.',
  ],
  [
    'relay_message_ignored',
    { type: 'stats', phase: 'auth' },
    'An unexpected message from the relay was ignored.',
    'Неожиданное сообщение от ретранслятора пропущено.',
  ],
  [
    'relay_message_invalid',
    { reason: 'invalid_field', field: 'status' },
    'The relay sent a message this app cannot read; it was ignored.',
    'Ретранслятор прислал непонятное сообщение; оно пропущено.',
  ],
  [
    'relay_error',
    { code: 'tenant_limit_exceeded', wire_code: 4003, message: 'limit' },
    'The relay reported an error. Your organisation has reached its tunnel limit.',
    'Ретранслятор сообщил об ошибке. Ваша организация достигла предела туннелей.',
  ],
  [
    'heartbeat_missed',
    { missed: 2 },
    'The relay has not answered 2 heartbeats.',
    'Ретранслятор не ответил на 2 проверки связи.',
  ],
  [
    'persisted_state_unreadable',
    { reason: 'EACCES' },
    'The saved session could not be read; starting afresh.',
    'Сохранённый сеанс не прочитан; начинаем заново.',
  ],
  [
    'persist_failed',
    { reason: 'ENOSPC' },
    'The session could not be saved for the next start.',
    'Не удалось сохранить сеанс для следующего запуска.',
  ],
  [
    'os_trust_store_unreadable',
    { reason: 'EACCES', roots: 146 },
    'The system certificate store could not be read; 146 certificates are trusted.',
    'Системное хранилище сертификатов не прочитано; доверенных сертификатов: 146.',
  ],
  [
    'tunnel_registered',
    { data_mode: 'stream', local_port: 13389 },
    'The relay accepted the tunnel for local port 13389.',
    'Ретранслятор принял туннель для локального порта 13389.',
  ],
  [
    'tunnel_listening',
    { address: '127.0.0.1:13389' },
    'Ready on 127.0.0.1:13389.',
    'Работает на 127.0.0.1:13389.',
  ],
  [
    'tunnel_error',
    { code: 'port_in_use', reason: 'EADDRINUSE' },
    'The tunnel stopped. The local port is already in use by another program.',
    'Туннель остановлен. Локальный порт занят другой программой.',
  ],
  [
    'tunnel_reclaimed',
    {},
    'The relay kept this tunnel through the reconnect.',
    'Ретранслятор сохранил этот туннель при переподключении.',
  ],
  [
    'tunnel_id_echo_differs',
    { echoed: 'T-RDP', kept: 't-rdp' },
    'The relay calls this tunnel T-RDP; the app keeps t-rdp.',
    'Ретранслятор называет этот туннель T-RDP; приложение оставляет t-rdp.',
  ],
  [
    'tunnel_v1_register_response',
    {},
    'The relay accepted the tunnel (older protocol).',
    'Ретранслятор принял туннель (старая версия протокола).',
  ],
  [
    'stream_failed',
    { code: 'target_unreachable', reason: 'EHOSTUNREACH' },
    'A connection through the tunnel failed. The remote host could not be reached.',
    'Соединение через туннель не удалось. Удалённый узел недоступен.',
  ],
  [
    'server_registered',
    { name: 'build', ports: [2222], handed_back: false, end_to_end: true },
    'The relay now publishes server build, encrypted end to end.',
    'Ретранслятор публикует сервер build, со сквозным шифрованием.',
  ],
  [
    'server_key_created',
    {},
    'A key for end-to-end encryption of published servers was created.',
    'Создан ключ для сквозного шифрования опубликованных серверов.',
  ],
  [
    'server_refused',
    { name: 'build', code: 'tenant_limit_exceeded', reason: 'limit', retry_after: null },
    'The relay refused to publish server build. Your organisation has reached its tunnel limit.',
    'Ретранслятор отказался публиковать сервер build. Ваша организация достигла предела туннелей.',
  ],
  [
    'serving_connected',
    { name: 'build', endpoint: 'relay.corp.example:443' },
    'Server build can be reached through the relay.',
    'Сервер build доступен через ретранслятор.',
  ],
  [
    'serving_lost',
    { name: 'build', reason: 'registration_gone' },
    'Server build lost its link to the relay.',
    'Сервер build потерял связь с ретранслятором.',
  ],
  [
    'server_unregistered',
    { name: 'build' },
    'The relay no longer publishes server build.',
    'Ретранслятор больше не публикует сервер build.',
  ],
  [
    'tunnel_server_changed',
    { server: 'build' },
    'The tunnel now leads to published server build.',
    'Туннель теперь ведёт к опубликованному серверу build.',
  ],
  [
    'tunnel_server_awaited',
    { server: 'build', retry_ms: 4000 },
    'The relay does not know published server build now; asking again in 4 s.',
    'Ретранслятор сейчас не знает опубликованный сервер build; повторный запрос через 4 с.',
  ],
  [
    'server_stream_opened',
    { sub: 'anna', tenant_id: 'acme', remote: '10.0.0.5:51000', port: 2222, end_to_end: true },
    'A connection from anna to published port 2222, encrypted end to end.',
    'Соединение от anna с опубликованным портом 2222, со сквозным шифрованием.',
  ],
  [
    'server_stream_refused',
    { port: 2222, sub: 'anna', reason: 'inner_handshake_failed' },
    'A connection to published port 2222 was refused.',
    'Соединение с опубликованным портом 2222 отклонено.',
  ],
  [
    'mux_connected',
    { connections: 1 },
    'A shared data connection to the relay is ready.',
    'Общий канал данных к ретранслятору готов.',
  ],
  [
    'mux_closed',
    { error: null },
    'A shared data connection to the relay closed.',
    'Общий канал данных к ретранслятору закрыт.',
  ],
  [
    'mux_protocol_error',
    { reason: 'bad frame', retry_ms: 2000 },
    'The relay answered a shared data connection with something unreadable; retrying in 2 s.',
    'Ретранслятор непонятно ответил на открытие общего канала данных; повтор через 2 с.',
  ],
  [
    'mux_connect_failed',
    { reason: 'ECONNRESET', retry_ms: 1500 },
    'A shared data connection to the relay failed; retrying in 1.5 s.',
    'Общий канал данных к ретранслятору не открылся; повтор через 1,5 с.',
  ],
  [
    'pool_connect_failed',
    { reason: 'ECONNRESET', retry_ms: 500 },
    'A spare data connection to the relay failed; retrying in 0.5 s.',
    'Запасной канал данных к ретранслятору не открылся; повтор через 0,5 с.',
  ],
  [
    'app_started',
    { version: '0.1.0', platform: 'linux' },
    'CloudBridge 0.1.0 started.',
    'CloudBridge 0.1.0 запущен.',
  ],
  [
    'keychain_available',
    { reason: 'unlock', signed_in: true },
    'The system keychain can be used again.',
    'Системная связка ключей снова доступна.',
  ],
  [
    'relay_setup_failed',
    { error: 'EACCES' },
    'The relay settings could not be applied.',
    'Не удалось применить настройки ретранслятора.',
  ],
  [
    'port_holder_found',
    { port: 8080, holder: { pid: 1234, command: 'nginx' } },
    'Port 8080 is held by nginx (process 1234).',
    'Порт 8080 занят программой nginx (процесс 1234).',
  ],
  [
    'engine_host_output',
    { line: 'relay listening' },
    'The engine process wrote a line (in the details).',
    'Процесс модуля подключений вывел строку (см. подробности).',
  ],
  [
    'ipc_rejected',
    { channel: 'cloudbridge:tunnel.save', reason: 'invalid payload' },
    'The app refused a malformed request from the window.',
    'Приложение отклонило неверный запрос окна.',
  ],
  [
    'builtin_relay_started',
    { relay: '127.0.0.1:47443' },
    'The built-in local relay started on 127.0.0.1:47443.',
    'Встроенный локальный ретранслятор запущен на 127.0.0.1:47443.',
  ],
  [
    'builtin_relay_failed',
    { error: 'EADDRINUSE' },
    'The built-in local relay could not start.',
    'Встроенный локальный ретранслятор не запустился.',
  ],
  [
    'reconnect_now',
    { reason: 'resume' },
    'The computer woke up: reconnecting now.',
    'Компьютер вышел из сна: подключаемся заново.',
  ],
  [
    'invite_received',
    {
      relay: 'relay.corp.example:443',
      subject: 'anna',
      tenant: null,
      with_token: true,
      expires_at: '2026-12-08T00:00:00Z',
    },
    'A connection link for relay.corp.example:443 arrived.',
    'Получена ссылка для подключения к relay.corp.example:443.',
  ],
  [
    'invite_replaced',
    { relay: 'relay.corp.example' },
    'A newer connection link replaced the one for relay.corp.example.',
    'Более новая ссылка заменила ссылку для relay.corp.example.',
  ],
  [
    'invite_refused',
    { code: 'invite_expired', reason: null },
    'A connection link was refused. This connection link has expired.',
    'Ссылка для подключения отклонена. Срок действия этой ссылки для подключения истёк.',
  ],
  [
    'invite_dismissed',
    { relay: 'relay.corp.example' },
    'The connection link for relay.corp.example was set aside.',
    'Ссылка для relay.corp.example отложена.',
  ],
  [
    'invite_accepted',
    {
      relay: 'relay.corp.example:443',
      subject: 'anna',
      tenant: null,
      with_token: true,
      replaced: null,
    },
    'The connection link was accepted: relay relay.corp.example:443.',
    'Ссылка для подключения принята: ретранслятор relay.corp.example:443.',
  ],
  [
    'token_saved',
    { subject: 'anna@acme.example', tenant: 'acme', expires_at: null },
    'Access token saved: signed in as anna@acme.example.',
    'Токен доступа сохранён: вы вошли как anna@acme.example.',
  ],
  [
    'token_relay_confirmed',
    { relay: 'relay.corp.example:443', changed: 'caFile' },
    'You confirmed the changed relay relay.corp.example:443.',
    'Вы подтвердили изменённый ретранслятор relay.corp.example:443.',
  ],
  [
    'token_removed',
    {},
    'Signed out: the access token was removed.',
    'Вы вышли: токен доступа удалён.',
  ],
  [
    'tunnel_added',
    { local_port: 2222 },
    'Tunnel added on local port 2222.',
    'Туннель добавлен на локальном порту 2222.',
  ],
  [
    'tunnel_changed',
    { local_port: 2223 },
    'Tunnel changed (local port 2223).',
    'Туннель изменён (локальный порт 2223).',
  ],
  ['tunnel_removed', {}, 'Tunnel removed.', 'Туннель удалён.'],
  [
    'tunnel_retried',
    { local_port: 8080 },
    'Trying the tunnel on local port 8080 again.',
    'Повторный запуск туннеля на локальном порту 8080.',
  ],
  [
    'tunnels_all_on',
    { count: 2 },
    'All tunnels turned on (2 changed).',
    'Все туннели включены (изменено: 2).',
  ],
  [
    'tunnels_all_off',
    { count: 3 },
    'All tunnels turned off (3 changed).',
    'Все туннели выключены (изменено: 3).',
  ],
  [
    'relay_tested',
    { relay: 'relay.corp.example:443', ok: true },
    'Connection test of relay.corp.example:443: every check passed.',
    'Проверка подключения к relay.corp.example:443: всё в порядке.',
  ],
  [
    'host_message_dropped',
    { reason: 'not an object' },
    'The engine process dropped a message it could not read.',
    'Процесс модуля подключений пропустил непонятное сообщение.',
  ],
  [
    'engine_host_ready',
    { pid: 4242 },
    'The engine process is ready (process 4242).',
    'Процесс модуля подключений готов (процесс 4242).',
  ],
  [
    'engine_host_message_dropped',
    { reason: 'not an object' },
    'A message from the engine process could not be read.',
    'Сообщение от процесса модуля подключений не прочитано.',
  ],
  [
    'engine_host_exited',
    { reason: 'code 1', uptime_ms: 5000, restart_in_ms: 2000, restarts: 1 },
    'The engine process stopped; starting it again in 2 s.',
    'Процесс модуля подключений остановился; повторный запуск через 2 с.',
  ],
  [
    'engine_host_spawn_failed',
    { error: 'ENOENT' },
    'The engine process could not be started.',
    'Не удалось запустить процесс модуля подключений.',
  ],
  [
    'engine_host_not_ready',
    { timeout_ms: 10000 },
    'The engine process was not ready within 10 s.',
    'Процесс модуля подключений не был готов за 10 с.',
  ],
  [
    'engine_host_killed',
    { timeout_ms: 5000 },
    'The engine process did not stop within 5 s and was ended.',
    'Процесс модуля подключений не остановился за 5 с и был завершён.',
  ],
  [
    'builtin_relay_port_changed',
    { relay: [47443, 47444], demo_target: [null, 47445] },
    'The built-in local relay moved to another port.',
    'Встроенный локальный ретранслятор перешёл на другой порт.',
  ],
  [
    'builtin_relay_restart_failed',
    { error: 'EADDRINUSE' },
    'The built-in local relay could not be started again.',
    'Встроенный локальный ретранслятор не удалось запустить снова.',
  ],
  [
    'uncaught_exception',
    { error: 'TypeError: x' },
    'An unexpected error occurred in the app.',
    'В приложении произошла непредвиденная ошибка.',
  ],
  [
    'unhandled_rejection',
    { error: 'Error: y' },
    'An unexpected error occurred in the app.',
    'В приложении произошла непредвиденная ошибка.',
  ],
  [
    'ipc_sender_refused',
    { channel: 'cloudbridge:app.snapshot', url: 'https://evil.example/' },
    'A request from an unknown page was refused.',
    'Запрос неизвестной страницы отклонён.',
  ],
  [
    'totals_flush_failed',
    { error: 'ENOSPC' },
    'The traffic totals could not be saved.',
    'Не удалось сохранить итоги трафика.',
  ],
  [
    'launch_at_login_failed',
    { enabled: true, error: 'denied' },
    'Launch at login could not be turned on.',
    'Не удалось включить запуск при входе в систему.',
  ],
  [
    'tray_action_failed',
    { action: 'connect', code: 'token_missing' },
    'A tray menu action failed. No access token is saved yet.',
    'Действие из меню значка не выполнено. Токен доступа ещё не сохранён.',
  ],
];

function records(now: number): LogRecord[] {
  return SENTENCES.map(([event, details], i) => ({
    timestamp: new Date(now - (SENTENCES.length - i) * 1_000).toISOString(),
    level: 'info',
    event,
    tunnel_id: null,
    details,
    seq: i + 1,
  }));
}

/** The sentence each record shows, by its event. */
function shown(): Map<string, string> {
  return new Map(
    screen
      .getAllByTestId('log-record')
      .map((li) => [li.getAttribute('data-event') ?? '', text(li.querySelector('.log-text')!)]),
  );
}

describe('log sentences on the Logs screen', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('has a sample here for every event with a sentence', () => {
    expect(SENTENCES.map(([event]) => event).sort()).toEqual([...LOG_SENTENCE_EVENTS]);
  });

  for (const [language, column] of [
    ['en', 2],
    ['ru', 3],
  ] as const) {
    it(`says every event in ${language}`, async () => {
      const now = Date.now();
      const base = activeSnapshot(now);
      await renderOnFake({
        snapshot: { ...base, settings: { ...base.settings, language } },
        logs: records(now),
        view: 'logs',
      });
      const said = shown();
      for (const row of SENTENCES) expect(said.get(row[0]), row[0]).toBe(row[column]);
    });
  }
});

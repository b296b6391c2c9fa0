// Russian sentences for log records, the same keys and arguments as log-messages-en.ts; part
// of the Russian catalogue (ru.ts). «Подключение» is the session with the relay, «соединение»
// a connection through a tunnel, «канал данных» a data connection to the relay. No logic here.
import type { logMessagesEn } from './log-messages-en';

export const logMessagesRu: { readonly [K in keyof typeof logMessagesEn]: string } = {
  'log.generic': 'Событие {event}.',
  'log.reasonInDetails': 'Причина — в подробностях.',
  'log.stateOther': 'Состояние подключения изменилось.',

  'log.connecting':
    '{retry, select, yes {Подключение к {relay} (попытка {attempt}).} other {Подключение к {relay}.}}',
  'log.insecure_connection':
    'Подключение к {relay} без шифрования: трафик и токен можно прочитать в сети.',
  'log.authenticated': 'Вход на ретранслятор выполнен, клиент {client}.',
  'log.state_changed': 'Состояние: {from} → {to}.',
  'log.connection_lost': 'Подключение к ретранслятору прервано. {reason}',
  'log.connect_failed':
    '{fatal, select, yes {Подключиться не удалось, попытки прекращены. {reason}} other {Подключиться не удалось. {reason}}}',
  'log.reconnect_scheduled': 'Повторное подключение через {seconds, number} с (попытка {attempt}).',
  'log.auth_rate_limited': 'Слишком много попыток входа: ожидание {seconds, number} с.',
  'log.internal_error': 'Внутренняя ошибка модуля подключений.',
  'log.control_internal_error':
    'Внутренняя ошибка в подключении к ретранслятору; подключение закрыто.',
  'log.hello_refused': 'Ретранслятор отклонил приветствие; вход всё равно выполняется.',
  'log.hello_unanswered':
    'Ретранслятор не ответил на приветствие за {seconds, number} с; вход всё равно выполняется.',
  'log.relay_message_ignored': 'Неожиданное сообщение от ретранслятора пропущено.',
  'log.relay_message_invalid': 'Ретранслятор прислал непонятное сообщение; оно пропущено.',
  'log.relay_error': 'Ретранслятор сообщил об ошибке. {reason}',
  'log.heartbeat_missed':
    'Ретранслятор не ответил на {missed, plural, one {# проверку связи} few {# проверки связи} many {# проверок связи} other {# проверки связи}}.',
  'log.persisted_state_unreadable': 'Сохранённый сеанс не прочитан; начинаем заново.',
  'log.persist_failed': 'Не удалось сохранить сеанс для следующего запуска.',
  'log.os_trust_store_unreadable':
    'Системное хранилище сертификатов не прочитано; доверенных сертификатов: {roots}.',

  'log.tunnel_registered': 'Ретранслятор принял туннель для локального порта {port}.',
  'log.tunnel_listening': 'Работает на {address}.',
  'log.tunnel_error': 'Туннель остановлен. {reason}',
  'log.tunnel_reclaimed': 'Ретранслятор сохранил этот туннель при переподключении.',
  'log.tunnel_id_echo_differs':
    'Ретранслятор называет этот туннель {echoed}; приложение оставляет {kept}.',
  'log.tunnel_v1_register_response': 'Ретранслятор принял туннель (старая версия протокола).',
  'log.stream_failed': 'Соединение через туннель не удалось. {reason}',
  'log.stream_failed_plain': 'Соединение через туннель не удалось.',
  'log.mux_connected': 'Общий канал данных к ретранслятору готов.',
  'log.server_registered':
    '{secure, select, yes {Ретранслятор публикует сервер {name}, со сквозным шифрованием.} other {Ретранслятор публикует сервер {name}.}}',
  'log.server_key_created': 'Создан ключ для сквозного шифрования опубликованных серверов.',
  'log.server_refused': 'Ретранслятор отказался публиковать сервер {name}. {reason}',
  'log.serving_connected': 'Сервер {name} доступен через ретранслятор.',
  'log.serving_lost': 'Сервер {name} потерял связь с ретранслятором.',
  'log.server_unregistered': 'Ретранслятор больше не публикует сервер {name}.',
  'log.tunnel_server_changed':
    '{has, select, yes {Туннель теперь ведёт к опубликованному серверу {server}.} other {Туннель больше не ведёт к опубликованному серверу.}}',
  'log.tunnel_server_awaited':
    'Ретранслятор сейчас не знает опубликованный сервер {server}; повторный запрос через {seconds, number} с.',
  'log.server_stream_opened':
    '{secure, select, yes {Соединение от {sub} с опубликованным портом {port}, со сквозным шифрованием.} other {Соединение от {sub} с опубликованным портом {port}.}}',
  'log.server_stream_refused': 'Соединение с опубликованным портом {port} отклонено.',
  'log.mux_closed': 'Общий канал данных к ретранслятору закрыт.',
  'log.mux_protocol_error':
    'Ретранслятор непонятно ответил на открытие общего канала данных; повтор через {seconds, number} с.',
  'log.mux_connect_failed':
    'Общий канал данных к ретранслятору не открылся; повтор через {seconds, number} с.',
  'log.pool_connect_failed':
    'Запасной канал данных к ретранслятору не открылся; повтор через {seconds, number} с.',

  'log.app_started': 'CloudBridge {version} запущен.',
  'log.keychain_available': 'Системная связка ключей снова доступна.',
  'log.relay_setup_failed': 'Не удалось применить настройки ретранслятора.',
  'log.engine_host_output': 'Процесс модуля подключений вывел строку (см. подробности).',
  'log.ipc_rejected': 'Приложение отклонило неверный запрос окна.',
  'log.builtin_relay_started': 'Встроенный локальный ретранслятор запущен на {relay}.',
  'log.builtin_relay_failed': 'Встроенный локальный ретранслятор не запустился.',
  'log.reconnect_now':
    '{reason, select, resume {Компьютер вышел из сна: подключаемся заново.} unlock {Экран разблокирован: подключаемся заново.} network {Сеть снова доступна: подключаемся заново.} other {Подключаемся заново.}}',
  'log.invite_received': 'Получена ссылка для подключения к {relay}.',
  'log.invite_replaced': 'Более новая ссылка заменила ссылку для {relay}.',
  'log.invite_refused': 'Ссылка для подключения отклонена. {reason}',
  'log.invite_dismissed': 'Ссылка для {relay} отложена.',
  'log.invite_accepted': 'Ссылка для подключения принята: ретранслятор {relay}.',
  'log.token_saved': 'Токен доступа сохранён: вы вошли как {subject}.',
  'log.token_saved_anonymous': 'Токен доступа сохранён.',
  'log.token_relay_confirmed': 'Вы подтвердили изменённый ретранслятор {relay}.',
  'log.token_removed': 'Вы вышли: токен доступа удалён.',
  'log.tunnel_added': 'Туннель добавлен на локальном порту {port}.',
  'log.tunnel_changed': 'Туннель изменён (локальный порт {port}).',
  'log.tunnel_removed': 'Туннель удалён.',
  'log.tunnel_retried': 'Повторный запуск туннеля на локальном порту {port}.',
  'log.tunnels_all_on': 'Все туннели включены (изменено: {count}).',
  'log.tunnels_all_off': 'Все туннели выключены (изменено: {count}).',
  'log.relay_tested':
    '{ok, select, yes {Проверка подключения к {relay}: всё в порядке.} other {Проверка подключения к {relay}: есть ошибка.}}',

  'log.host_message_dropped': 'Процесс модуля подключений пропустил непонятное сообщение.',
  'log.engine_host_ready': 'Процесс модуля подключений готов (процесс {pid}).',
  'log.engine_host_message_dropped': 'Сообщение от процесса модуля подключений не прочитано.',
  'log.engine_host_exited':
    'Процесс модуля подключений остановился; повторный запуск через {seconds, number} с.',
  'log.engine_host_spawn_failed': 'Не удалось запустить процесс модуля подключений.',
  'log.engine_host_not_ready': 'Процесс модуля подключений не был готов за {seconds, number} с.',
  'log.engine_host_killed':
    'Процесс модуля подключений не остановился за {seconds, number} с и был завершён.',
  'log.builtin_relay_port_changed': 'Встроенный локальный ретранслятор перешёл на другой порт.',
  'log.builtin_relay_restart_failed':
    'Встроенный локальный ретранслятор не удалось запустить снова.',

  'log.uncaught_error': 'В приложении произошла непредвиденная ошибка.',
  'log.ipc_sender_refused': 'Запрос неизвестной страницы отклонён.',
  'log.totals_flush_failed': 'Не удалось сохранить итоги трафика.',
  'log.launch_at_login_failed':
    '{enabled, select, yes {Не удалось включить запуск при входе в систему.} other {Не удалось выключить запуск при входе в систему.}}',
  'log.tray_action_failed': 'Действие из меню значка не выполнено. {reason}',
};

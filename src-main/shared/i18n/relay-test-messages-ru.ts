// Russian words for "Проверить подключение" in Settings, the same keys and arguments as
// relay-test-messages-en.ts. Part of ru.ts. No logic here.
import type { relayTestMessagesEn } from './relay-test-messages-en';

export const relayTestMessagesRu: { readonly [K in keyof typeof relayTestMessagesEn]: string } = {
  'relayTest.button': 'Проверить подключение',
  'relayTest.running': 'Проверка…',
  'relayTest.heading': 'Проверка подключения',
  'relayTest.passed': 'Все проверки пройдены. Ничего не сохранено.',
  'relayTest.failed': 'Проверка не пройдена. Ничего не сохранено.',
  'relayTest.outcome.ok': 'Пройдено',
  'relayTest.outcome.failed': 'Ошибка',
  'relayTest.outcome.skipped': 'Не проверялось',
  'relayTest.step.reach': 'Связь с ретранслятором',
  'relayTest.step.tls': 'Защищённое подключение',
  'relayTest.step.pin': 'Закреплённый ключ',
  'relayTest.step.auth': 'Вход',
  'relayTest.reach_ok': 'Ретранслятор {address} доступен.',
  'relayTest.reach_failed': 'Не удалось связаться с {address}. {reason}',
  'relayTest.tls_ok':
    'TLS 1.3; сертификату доверяет {trust, select, ca_file {файл ЦС} other {система}}.',
  'relayTest.tls_failed': 'Защищённое подключение не установлено. {reason}',
  'relayTest.tls_plaintext': 'Без шифрования: в этом профиле TLS выключен.',
  'relayTest.pin_ok': 'Ключ ретранслятора совпадает с закреплённым.',
  'relayTest.pin_mismatch': 'Ключ ретранслятора не совпадает с закреплённым. Его ключ: {pin}.',
  'relayTest.pin_none': 'Ключ не закреплён. Ключ ретранслятора: {pin}.',
  'relayTest.auth_ok': 'Ретранслятор принял ваш токен.',
  'relayTest.auth_failed': 'Вход не выполнен. {reason}',
  'relayTest.auth_no_token': 'Не проверялось: токен доступа ещё не сохранён.',
  'relayTest.auth_other_relay':
    'Не проверялось: токен сохранён для другого ретранслятора и будет отправлен этому только после сохранения.',
  'relayTest.not_reached': 'Не проверялось: предыдущий шаг не пройден.',
  'relayTest.usePin': 'Закрепить этот ключ',
};

// Russian messages of "Share this computer": the same keys as share-en.ts (the compiler and
// test/unit/i18n-catalogue.test.ts hold them to it). «Общий доступ» is sharing this computer,
// «общий компьютер» one someone shares. No logic here.
import type { enShare, shareErrorDetailsEn, shareValidationEn } from './share-en';

type Same<T> = { readonly [K in keyof T]: string };

export const shareValidationRu: Same<typeof shareValidationEn> = {
  'validation.serverName':
    'От 1 до 63 строчных латинских букв, цифр, - или _; в начале и в конце — буква или цифра.',
  'validation.shareServices': 'Выберите удалённый рабочий стол, SSH или оба.',
  'validation.subs':
    'Разделяйте идентификаторы запятыми; каждый — один раз и не длиннее {max} символов.',
  'validation.subCount':
    'Не больше {max, plural, one {# человека} few {# человек} many {# человек} other {# человека}}.',
};

export const shareErrorDetailsRu: Same<typeof shareErrorDetailsEn> = {
  'errorDetail.serverNameTaken':
    'Другой компьютер вашей организации уже открыт под именем «{name}». Выберите другое имя.',
  'errorDetail.serverKeyMismatch':
    'Имя «{name}» занято другим вашим компьютером со своим ключом. Закройте доступ на нём или выберите другое имя.',
  'errorDetail.serverUnknown': 'Компьютер «{server}» вам не открыт.',
  'errorDetail.serverNotAllowed': 'Компьютер «{server}» вам больше не открыт.',
  'errorDetail.serverOffline': 'Компьютер «{server}» сейчас не подключён к ретранслятору.',
  'errorDetail.portNotPublished': 'Компьютер «{server}» не открывает порт {port}.',
  'errorDetail.serverKeyChanged':
    'Компьютер «{server}» предъявляет не тот ключ, что в первый раз. Выключите и снова включите туннель, только если доверяете этой смене.',
};

export const ruShare: Same<typeof enShare> = {
  'nav.share': 'Общий доступ',

  'share.heading': 'Общий доступ к компьютеру',
  'share.intro':
    'Сотрудники вашей организации смогут подключаться к удалённому рабочему столу или SSH этого компьютера через ретранслятор, без настройки сети и без проброса портов.',
  'share.name': 'Имя',
  'share.nameHelp':
    'По этому имени компьютер найдут другие: строчные латинские буквы, цифры, - и _.',
  'share.services': 'Что открыть',
  'share.service.rdp': 'Удалённый рабочий стол',
  'share.service.rdpHint': 'Рабочий стол этого компьютера (порт 3389)',
  'share.service.ssh': 'SSH',
  'share.service.sshHint': 'Командная строка этого компьютера (порт 22)',
  'share.port': 'Порт {port}',
  'share.who': 'Кто может подключаться',
  'share.whoEveryone': 'Вся моя организация',
  'share.whoListed': 'Только эти люди',
  'share.subs': 'Идентификаторы пользователей',
  'share.subsHelp': 'Как они указаны в их токенах доступа, через запятую.',
  'share.start': 'Открыть доступ',
  'share.starting': 'Открываем…',
  'share.save': 'Сохранить изменения',
  'share.saving': 'Сохранение…',
  'share.stop': 'Закрыть доступ',
  'share.stopping': 'Закрываем…',
  'share.change': 'Изменить…',
  'share.cancel': 'Отмена',
  'share.needsRelay':
    'Для общего доступа нужен ретранслятор: сначала настройте его на странице «Состояние».',
  'share.needsToken':
    'Для общего доступа нужен ваш токен доступа: сначала войдите на странице «Учётная запись».',
  'share.status':
    '{status, select, online {Доступен} starting {Открываем…} waiting {Ждёт ретранслятор} offline {Переподключается к ретранслятору} error {Доступ не открыт} other {Выключен}}',
  'share.statusLine':
    '{status, select, online {Те, кому вы разрешили, могут подключиться к «{name}» прямо сейчас.} starting {Ретранслятор открывает доступ к «{name}».} waiting {Доступ к «{name}» откроется, когда CloudBridge подключится к ретранслятору.} offline {«{name}» снова станет доступен, когда восстановится связь с ретранслятором.} error {Не удалось открыть доступ к «{name}».} other {Доступ к этому компьютеру закрыт. Другие не могут к нему подключиться.}}',
  'share.summaryServices': 'Открыто',
  'share.summaryWho': 'Кто может подключаться',
  'share.everyone': 'Вся ваша организация',
  'share.summaryEncryption': 'Шифрование',
  'share.endToEnd': 'Сквозное, ключом этого компьютера: ретранслятор не может его прочитать.',
  'share.errorTitle': 'Не удалось открыть доступ к компьютеру',
  'share.connections': 'Сейчас подключены',
  'share.noConnections': 'Никто не подключён.',
  'share.colWho': 'Кто',
  'share.colService': 'Служба',
  'share.colFrom': 'Откуда',
  'share.colSince': 'С',
  'share.colReceived': 'Получено',
  'share.colSent': 'Отправлено',
  'share.totalConnections':
    '{count, plural, one {# соединение с начала доступа.} few {# соединения с начала доступа.} many {# соединений с начала доступа.} other {# соединения с начала доступа.}}',

  'serverPick.legend': 'Куда подключаться',
  'serverPick.host': 'Узел или IP-адрес',
  'serverPick.server': 'Общий компьютер вашей организации',
  'serverPick.computer': 'Общий компьютер',
  'serverPick.tunnelName': '{service} — {server}',
  'serverPick.choose': 'Выберите компьютер',
  'serverPick.option':
    '{name} ({online, select, yes {в сети} other {не в сети}}; {keyed, select, yes {сквозное шифрование} other {без сквозного шифрования}})',
  'serverPick.service': 'Служба',
  'serverPick.loading': 'Ищем общие компьютеры…',
  'serverPick.none': 'В вашей организации пока никто не открыл вам свой компьютер.',
  'serverPick.notConnected': 'Подключитесь к ретранслятору, чтобы увидеть открытые вам компьютеры.',
  'serverPick.failed': 'Не удалось получить список общих компьютеров.',
  'serverPick.refresh': 'Обновить',
  'serverPick.keyed':
    'Сквозное шифрование: ретранслятор не может прочитать или изменить это соединение.',
  'serverPick.keyless':
    'Без сквозного шифрования: ретранслятор может читать и изменять это соединение. Пользуйтесь им, только если доверяете тем, кто обслуживает ретранслятор.',
  'serverPick.tunnelKeyed': 'Сквозное, ключом общего компьютера',
  'serverPick.tunnelKeyless': 'Не сквозное: ретранслятор может прочитать это соединение',
  'serverPick.offline':
    'Компьютер «{name}» сейчас не подключён к ретранслятору; туннель заработает, когда он подключится.',

  'tray.share.off': 'Доступ к «{name}» — выключен',
  'tray.share.online': 'Доступ к «{name}» — открыт',
  'tray.share.onlineCount':
    'Доступ к «{name}» — открыт · {count, plural, one {# подключён} few {# подключены} many {# подключены} other {# подключены}}',
  'tray.share.starting': 'Доступ к «{name}» — открывается…',
  'tray.share.waiting': 'Доступ к «{name}» — ждёт ретранслятор',
  'tray.share.idle': 'Доступ к «{name}» — включён, нет подключения',
  'tray.share.offline': 'Доступ к «{name}» — переподключается',
  'tray.share.problem':
    'Доступ к «{name}» — {code, select, tunnel_exists {имя занято} keychain_unavailable {связка ключей недоступна} rate_limit_exceeded {лимит ретранслятора, повтор} tenant_limit_exceeded {превышен лимит} other {не открыт}}',
  'tray.share.connection': '{sub} — {service}',
  'tray.share.start': 'Открыть доступ',
  'tray.share.stop': 'Закрыть доступ',
  'tray.reason.noRelay': 'ретранслятор не настроен',
  'tray.reason.signedOut': 'вход не выполнен',
};

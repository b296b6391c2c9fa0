// The shared message catalogue: both languages have every key with the same ICU arguments
// (parsed by intl-messageformat and compared by name and type), every plural has the CLDR
// forms its language needs, every message formats with sample values, and the translator
// compiles each message once and never breaks on a gap.
import { IntlMessageFormat } from 'intl-messageformat';
import { describe, expect, it } from 'vitest';
import { NOTICE_KINDS } from '../../src-main/shared/ipc-contract';
import { ERROR_CODES, ERROR_DETAIL_KEYS } from '../../src-main/shared/model';
import { errorActionKey } from '../../src-main/shared/i18n/error-advice';
import {
  CATALOGUES,
  createTranslator,
  type CompiledMessage,
  type MessageKey,
} from '../../src-main/shared/i18n/translator';

/** Element types of @formatjs/icu-messageformat-parser's AST (its TYPE enum). */
const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'argument',
  2: 'number',
  3: 'date',
  4: 'time',
  5: 'select',
  6: 'plural',
  8: 'tag',
};

interface AstElement {
  readonly type: number;
  readonly value?: unknown;
  readonly options?: Readonly<Record<string, { readonly value: readonly AstElement[] }>>;
  readonly children?: readonly AstElement[];
}

interface Argument {
  readonly name: string;
  readonly type: string;
  /** select: its option keys; plural: its categories. */
  readonly options: readonly string[];
}

function argumentsOf(elements: readonly AstElement[], found: Argument[] = []): Argument[] {
  for (const element of elements) {
    const type = TYPE_NAMES[element.type];
    if (type !== undefined)
      found.push({
        name: String(element.value),
        type,
        options: Object.keys(element.options ?? {}).sort(),
      });
    for (const option of Object.values(element.options ?? {})) argumentsOf(option.value, found);
    if (element.children) argumentsOf(element.children, found);
  }
  return found;
}

function parse(source: string, language: string): Argument[] {
  return argumentsOf(new IntlMessageFormat(source, language).getAst());
}

/** What value an argument takes: a plural or number a number, a date or time a time. */
const KINDS: Readonly<Record<string, string>> = {
  argument: 'text',
  number: 'number',
  plural: 'number',
  date: 'time',
  time: 'time',
  select: 'select',
  tag: 'tag',
};

/**
 * Each argument's name and the kind of value it takes, once each. A plain argument in one
 * language may be a count in the other (Russian agrees a verb with it where English need not):
 * main sends a number, which a plain argument prints as it is (`{n}` beside `{n, plural, ...}`).
 */
function signature(args: readonly Argument[], other: readonly Argument[]): string[] {
  const counted = new Set(
    [...args, ...other].filter((a) => KINDS[a.type] === 'number').map((a) => a.name),
  );
  return [
    ...new Set(
      args.map((a) => {
        const kind = KINDS[a.type] ?? a.type;
        return `${a.name}:${kind === 'text' && counted.has(a.name) ? 'number' : kind}`;
      }),
    ),
  ].sort();
}

const SAMPLE_TIME = Date.parse('2026-06-01T08:00:00Z');

/** Sample values for every argument, with a select taking `choice` (or its first option). */
function sampleValues(args: readonly Argument[], choose: (a: Argument) => string) {
  const values: Record<string, string | number> = {};
  for (const a of args) {
    if (a.type === 'plural' || a.type === 'number') values[a.name] = 3;
    else if (a.type === 'date' || a.type === 'time') values[a.name] = SAMPLE_TIME;
    else if (a.type === 'select') values[a.name] = choose(a);
    else values[a.name] ??= `<${a.name}>`;
  }
  return values;
}

const KEYS = Object.keys(CATALOGUES.en) as MessageKey[];
const LANGUAGES = ['en', 'ru'] as const;

describe('catalogue', () => {
  it('has exactly the same keys in English and Russian, none of them empty', () => {
    expect(Object.keys(CATALOGUES.ru).sort()).toEqual([...KEYS].sort());
    for (const key of KEYS) {
      if (key === 'action.none') continue;
      for (const language of LANGUAGES) expect(CATALOGUES[language][key], key).not.toBe('');
    }
  });

  it('gives every message the same ICU arguments, by name and type, in both languages', () => {
    for (const key of KEYS) {
      const en = parse(CATALOGUES.en[key], 'en');
      const ru = parse(CATALOGUES.ru[key], 'ru');
      expect(signature(ru, en), key).toEqual(signature(en, ru));
      // A select's choices are values main sends: both languages answer the same ones.
      const choices = (args: Argument[]) =>
        args.filter((a) => a.type === 'select').map((a) => `${a.name}:${a.options.join('|')}`);
      expect(choices(ru), key).toEqual(choices(en));
    }
  });

  it('gives every plural the CLDR forms its language uses (Russian one, few, many, other)', () => {
    const categories = {
      en: new Intl.PluralRules('en').resolvedOptions().pluralCategories,
      ru: new Intl.PluralRules('ru').resolvedOptions().pluralCategories,
    };
    expect([...categories.ru].sort()).toEqual(['few', 'many', 'one', 'other']);
    let plurals = 0;
    for (const language of LANGUAGES) {
      for (const key of KEYS) {
        for (const arg of parse(CATALOGUES[language][key], language)) {
          if (arg.type !== 'plural') continue;
          plurals += 1;
          expect(arg.options, `${language} ${key}`).toEqual([...categories[language]].sort());
        }
      }
    }
    expect(plurals).toBeGreaterThan(10);
  });

  it('formats every message in both languages with the same sample values, every choice of a select', () => {
    for (const key of KEYS) {
      // The values main would send: one set for both languages, counts as numbers.
      const args = [...parse(CATALOGUES.en[key], 'en'), ...parse(CATALOGUES.ru[key], 'ru')];
      const byCount = [...args].sort(
        (a, b) => Number(a.type !== 'plural') - Number(b.type !== 'plural'),
      );
      const selects = args.filter((a) => a.type === 'select');
      const rounds = Math.max(1, ...selects.map((a) => a.options.length));
      for (let round = 0; round < rounds; round++) {
        const values = sampleValues(byCount, (a) => a.options[round % a.options.length] ?? 'other');
        for (const language of LANGUAGES) {
          const text = new IntlMessageFormat(CATALOGUES[language][key], language).format(values);
          expect(typeof text, `${language} ${key}`).toBe('string');
          // A brace left in the output is an argument the syntax did not see.
          expect(String(text), `${language} ${key}`).not.toMatch(/[{}]/);
        }
      }
    }
  });

  it('has a title and a text for every notice kind, and words for every error code', () => {
    for (const language of LANGUAGES) {
      const t = createTranslator(language);
      for (const kind of NOTICE_KINDS) {
        expect(CATALOGUES[language][`notice.${kind}`], kind).toBeTruthy();
        expect(CATALOGUES[language][`noticeBody.${kind}`], kind).toBeTruthy();
        expect(t(`notice.${kind}`)).not.toMatch(/[{}]/);
      }
      for (const code of ERROR_CODES) {
        expect(CATALOGUES[language][`error.${code}`], code).toBeTruthy();
        expect(typeof CATALOGUES[language][errorActionKey(code)], code).toBe('string');
      }
      for (const key of ERROR_DETAIL_KEYS) expect(CATALOGUES[language][key], key).toBeTruthy();
    }
    expect(errorActionKey('invalid_token')).toBe('action.newToken');
    expect(errorActionKey('port_in_use')).toBe('action.checkPort');
    expect(errorActionKey('connection_refused')).toBe('action.checkRelay');
  });

  it('says a refused connection and a timeout differently', () => {
    for (const language of LANGUAGES) {
      const t = createTranslator(language);
      expect(t('error.connection_refused')).not.toBe(t('error.connect_timeout'));
    }
    const ru = createTranslator('ru');
    expect(ru('error.connection_refused')).toMatch(/отклонил/);
    expect(ru('error.connect_timeout')).toMatch(/время/);
  });
});

describe('wording', () => {
  const t = { en: createTranslator('en'), ru: createTranslator('ru') };
  const values = (language: 'en' | 'ru') => Object.values(CATALOGUES[language]).join('\n');

  it('reads as a native Russian reader asked', () => {
    expect(t.ru('tunnelStatus.listening')).toBe('Работает');
    expect(t.ru('account.subject')).toBe('Вы вошли как');
    expect(t.ru('level.info')).toBe('Сведения');
    expect(t.ru('settings.saveRelay')).toBe('Сохранить');
    expect(t.ru('status.connect')).toBe('Подключиться');
    expect(t.ru('status.disconnect')).toBe('Отключиться');
    expect(t.ru('status.lastError')).toBe('Последняя ошибка');
    const all = values('ru');
    expect(all).not.toMatch(/Слушает|Субъект|Инфо\b|открыт\S* текст|Последняя проблема/);
    expect(all).not.toMatch(/Сохранить ретранслятор|«Подключить»|КиБ|МиБ/);
    expect(all).toMatch(/без шифрования/);
    // «Подключение» is the session with the relay; «соединение» one through a tunnel.
    expect(all).not.toMatch(/соединени\S* (с|к) ретранслятор/);
    expect(t.ru('error.connection_lost')).toBe('Подключение к ретранслятору потеряно.');
    expect(t.ru('tunnels.connections')).toBe('Открытые соединения');
  });

  it('uses one English vocabulary: organisation, Type, and no Registered or Listening', () => {
    const all = values('en');
    expect(all).not.toMatch(/\btenant\b|\bRegistered\b|\bListening\b|\bKind\b/i);
    expect(t.en('status.tenant')).toBe('Organisation');
    expect(t.en('account.tenant')).toBe('Organisation');
    expect(t.en('form.kind')).toBe('Type');
    expect(t.en('tunnelStatus.listening')).toBe('Ready');
  });

  it('gives the tray the window’s word for each state, in both languages', () => {
    for (const language of LANGUAGES) {
      const say = t[language];
      expect(say('tray.connecting').startsWith(say('state.authenticating'))).toBe(true);
      expect(say('tray.startingTunnels').startsWith(say('state.registered'))).toBe(true);
      expect(say('tray.active', { ready: 1, total: 2 }).startsWith(say('state.active'))).toBe(true);
      const again = say('tray.reconnecting', { attempt: 1, max: 10 });
      expect(again.startsWith(say('state.reconnecting'))).toBe(true);
    }
  });
});

describe('translator', () => {
  it('compiles each message once per translator, on first use', () => {
    const compiled: string[] = [];
    const t = createTranslator('ru', {
      compile: (source, language): CompiledMessage => {
        compiled.push(source);
        return new IntlMessageFormat(source, language);
      },
    });
    expect(compiled).toEqual([]);
    for (let i = 0; i < 3; i++) t('logs.count', { n: i });
    expect(t('logs.count', { n: 5 })).toBe('Показано 5 записей');
    t('nav.status');
    t('nav.status');
    expect(compiled).toEqual([CATALOGUES.ru['logs.count'], CATALOGUES.ru['nav.status']]);
  });

  it('shows a missing value as the message source and an unknown key as itself, never throwing', () => {
    const t = createTranslator('en');
    expect(t('status.attempt', { n: 2, max: 10 })).toBe('Attempt 2 of 10');
    expect(t('status.attempt', { n: 2 })).toBe('Attempt {n} of {max}');
    expect(t('no.such.key' as MessageKey)).toBe('no.such.key');
    expect(t('toString' as MessageKey)).toBe('toString');
  });

  it('fills ports and pids as they are, without digit grouping', () => {
    const t = createTranslator('ru');
    expect(t('errorDetail.portHeldBy', { port: 13389, command: 'nginx', pid: 12345 })).toBe(
      'Порт 13389 занят программой nginx (процесс 12345).',
    );
  });
});

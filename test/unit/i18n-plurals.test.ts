// Plural rules as people read them: CLDR one/other in English, one/few/many/other in Russian,
// for the counts that tell them apart (0, 1, 2, 5, 11, 21, 22, 25, 101, 111) and fractions.
import { describe, expect, it } from 'vitest';
import { createTranslator } from '../../src-main/shared/i18n/translator';

const COUNTS = [0, 1, 2, 5, 11, 21, 22, 25, 101, 111] as const;
const en = createTranslator('en');
const ru = createTranslator('ru');

function table(format: (n: number) => string, counts: readonly number[] = COUNTS) {
  return Object.fromEntries(counts.map((n) => [n, format(n)]));
}

describe('English plurals', () => {
  it('says "1 of 1 tunnel" and "of 2 tunnels", never "1 of 1 tunnels"', () => {
    expect(table((total) => en('status.tunnelsActive', { n: 1, total }))).toEqual({
      0: '1 of 0 tunnels ready',
      1: '1 of 1 tunnel ready',
      2: '1 of 2 tunnels ready',
      5: '1 of 5 tunnels ready',
      11: '1 of 11 tunnels ready',
      21: '1 of 21 tunnels ready',
      22: '1 of 22 tunnels ready',
      25: '1 of 25 tunnels ready',
      101: '1 of 101 tunnels ready',
      111: '1 of 111 tunnels ready',
    });
  });

  it('counts seconds, records and characters, a fraction taking the plural', () => {
    expect(table((seconds) => en('tray.nextTry', { seconds }), [0, 1, 2, 21, 1.5])).toEqual({
      0: 'Next try in 0 seconds',
      1: 'Next try in 1 second',
      2: 'Next try in 2 seconds',
      21: 'Next try in 21 seconds',
      1.5: 'Next try in 1.5 seconds',
    });
    expect(en('logs.paused', { n: 1 })).toBe('Paused: 1 new record waiting.');
    expect(en('logs.paused', { n: 3 })).toBe('Paused: 3 new records waiting.');
    expect(en('logs.omitted', { n: 1 })).toMatch(/^1 older record from .* is not shown\./);
    expect(en('logs.omitted', { n: 1001 })).toMatch(/^1,001 older records from .* are not shown\./);
    expect(en('validation.nameLength', { max: 1 })).toBe('Use at most 1 character.');
    expect(en('validation.nameLength', { max: 64 })).toBe('Use at most 64 characters.');
  });
});

describe('Russian plurals', () => {
  it('puts "из N туннелей" in the genitive: одного, двух, пяти, двадцати одного', () => {
    expect(table((total) => ru('status.tunnelsActive', { n: 2, total }))).toEqual({
      0: 'Работают 2 из 0 туннелей',
      1: 'Работают 2 из 1 туннеля',
      2: 'Работают 2 из 2 туннелей',
      5: 'Работают 2 из 5 туннелей',
      11: 'Работают 2 из 11 туннелей',
      21: 'Работают 2 из 21 туннеля',
      22: 'Работают 2 из 22 туннелей',
      25: 'Работают 2 из 25 туннелей',
      101: 'Работают 2 из 101 туннеля',
      111: 'Работают 2 из 111 туннелей',
    });
  });

  it('agrees the verb with the count: работает 1 и 21, работают 2, 5 и 11', () => {
    expect(
      table((ready) => ru('tray.active', { ready, total: 200 }), [1, 2, 5, 11, 21, 111]),
    ).toEqual({
      1: 'Активно, работает 1 из 200 туннелей',
      2: 'Активно, работают 2 из 200 туннелей',
      5: 'Активно, работают 5 из 200 туннелей',
      11: 'Активно, работают 11 из 200 туннелей',
      21: 'Активно, работает 21 из 200 туннелей',
      111: 'Активно, работают 111 из 200 туннелей',
    });
  });

  it('counts records one, few and many', () => {
    expect(table((n) => ru('logs.count', { n }))).toEqual({
      0: 'Показано 0 записей',
      1: 'Показано 1 запись',
      2: 'Показано 2 записи',
      5: 'Показано 5 записей',
      11: 'Показано 11 записей',
      21: 'Показано 21 запись',
      22: 'Показано 22 записи',
      25: 'Показано 25 записей',
      101: 'Показано 101 запись',
      111: 'Показано 111 записей',
    });
    expect(ru('logs.paused', { n: 1 })).toBe('Журнал на паузе, ждёт 1 новая запись.');
    expect(ru('logs.paused', { n: 22 })).toBe('Журнал на паузе, ждут 22 новые записи.');
    expect(ru('logs.paused', { n: 25 })).toBe('Журнал на паузе, ждут 25 новых записей.');
    // One colon: the old text read «Пауза: ожидают новых записей: 3.».
    expect(ru('logs.paused', { n: 3 }).match(/:/g)).toBeNull();
  });

  it('counts seconds in the accusative, a fraction in the genitive singular with a comma', () => {
    expect(table((seconds) => ru('tray.nextTry', { seconds }), [...COUNTS, 1.5, 0.5])).toEqual({
      0: 'Следующая попытка через 0 секунд',
      1: 'Следующая попытка через 1 секунду',
      2: 'Следующая попытка через 2 секунды',
      5: 'Следующая попытка через 5 секунд',
      11: 'Следующая попытка через 11 секунд',
      21: 'Следующая попытка через 21 секунду',
      22: 'Следующая попытка через 22 секунды',
      25: 'Следующая попытка через 25 секунд',
      101: 'Следующая попытка через 101 секунду',
      111: 'Следующая попытка через 111 секунд',
      1.5: 'Следующая попытка через 1,5 секунды',
      0.5: 'Следующая попытка через 0,5 секунды',
    });
  });

  it('names entries and characters with the number, as Russian grammar wants', () => {
    const refused = (count: number) =>
      ru('noticeBody.settings_reset', { reason: 'refused', count, entries: '"A"', path: '/p' });
    expect(refused(1)).toContain('не загружена 1 запись: "A"');
    expect(refused(3)).toContain('не загружены 3 записи');
    expect(refused(11)).toContain('не загружены 11 записей');
    expect(refused(21)).toContain('не загружена 21 запись');
    expect(ru('validation.nameLength', { max: 1 })).toBe('Не более 1 символа.');
    expect(ru('validation.nameLength', { max: 64 })).toBe('Не более 64 символов.');
    expect(ru('validation.nameLength', { max: 101 })).toBe('Не более 101 символа.');
  });
});

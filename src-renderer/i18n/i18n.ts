// Language choice and lookup: which dictionary a setting and the system language select, and
// filling `{name}` placeholders. Pure (no React, no bridge), so it is tested directly.
import type { Language } from '../../src-main/shared/ipc-contract';
import { en, type Dictionary, type MessageKey } from './en';
import { ru } from './ru';

export type Locale = 'en' | 'ru';
export type { MessageKey, Dictionary };
export type Params = Readonly<Record<string, string | number>>;
export type Translate = (key: MessageKey, params?: Params) => string;

export const DICTIONARIES: Readonly<Record<Locale, Dictionary>> = { en, ru };

/** `system` follows the OS/browser language (navigator.language); anything not Russian is English. */
export function resolveLocale(
  setting: Language | undefined,
  systemLanguage: string | undefined,
): Locale {
  if (setting === 'en' || setting === 'ru') return setting;
  return (systemLanguage ?? '').toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

export function translate(dictionary: Dictionary, key: MessageKey, params?: Params): string {
  const template = dictionary[key];
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : String(value);
  });
}

export function makeTranslate(locale: Locale): Translate {
  const dictionary = DICTIONARIES[locale];
  return (key, params) => translate(dictionary, key, params);
}

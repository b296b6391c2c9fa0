// Language choice and lookup: which dictionary a setting and the system language select, and
// filling `{name}` placeholders. Pure (no React, no bridge), so it is tested directly.
import type { ResolvedLanguage } from '../../src-main/shared/ipc-contract';
import { en, type Dictionary, type MessageKey } from './en';
import { ru } from './ru';

export type Locale = ResolvedLanguage;
export type { MessageKey, Dictionary };
export type Params = Readonly<Record<string, string | number>>;
export type Translate = (key: MessageKey, params?: Params) => string;

export const DICTIONARIES: Readonly<Record<Locale, Dictionary>> = { en, ru };

/** `system` follows navigator.language here. */
export { resolveLanguage as resolveLocale } from '../../src-main/shared/ipc-contract';

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

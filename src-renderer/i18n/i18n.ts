// The window's side of the shared message catalogue (src-main/shared/i18n): which language a
// setting and the system language select, and `t(key, params)` for the screens. Pure (no
// React, no bridge), so it is tested directly.
import type { ResolvedLanguage } from '../../src-main/shared/ipc-contract';
import {
  CATALOGUES,
  translatorFor,
  type Catalogue,
  type MessageKey,
  type MessageParams,
  type Translator,
} from '../../src-main/shared/i18n/translator';

export type Locale = ResolvedLanguage;
export type { MessageKey };
export type Dictionary = Catalogue;
export type Params = MessageParams;
export type Translate = Translator;

export const DICTIONARIES: Readonly<Record<Locale, Dictionary>> = CATALOGUES;

/** `system` follows navigator.language here. */
export { resolveLanguage as resolveLocale } from '../../src-main/shared/ipc-contract';

/** Every screen of one language shares one translator, so each message compiles once. */
export function makeTranslate(locale: Locale): Translate {
  return translatorFor(locale);
}

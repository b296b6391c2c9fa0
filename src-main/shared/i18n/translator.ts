// Turns a catalogue key and its values into text in one language: ICU MessageFormat through
// intl-messageformat, with CLDR plural rules from Intl.PluralRules. Each message is compiled
// once per translator, on first use. Runs anywhere (no node:*, no DOM).
import { IntlMessageFormat } from 'intl-messageformat';
import type { ResolvedLanguage } from '../ipc-contract';
import type { MessageParams } from '../model';
import { en, type Catalogue, type MessageKey } from './en';
import { ru } from './ru';

export type { Catalogue, MessageKey, MessageParams };
export type Translator = (key: MessageKey, params?: MessageParams) => string;

export const CATALOGUES: Readonly<Record<ResolvedLanguage, Catalogue>> = { en, ru };

/** What a compiled message must do; IntlMessageFormat by default. */
export interface CompiledMessage {
  format(values?: Record<string, string | number>): unknown;
}

export interface TranslatorOptions {
  /** Compiles one message (tests count the calls). */
  readonly compile?: (source: string, language: ResolvedLanguage) => CompiledMessage;
}

const compileIcu = (source: string, language: ResolvedLanguage): CompiledMessage =>
  new IntlMessageFormat(source, language);

/**
 * A translator for `language`. A key outside the catalogue (a kind from an older main) reads
 * as the key itself, and a message that cannot be formatted (a value missing) as its source,
 * so a gap shows as a visible slip rather than a broken window.
 */
export function createTranslator(
  language: ResolvedLanguage,
  options: TranslatorOptions = {},
): Translator {
  const catalogue = CATALOGUES[language];
  const compile = options.compile ?? compileIcu;
  const compiled = new Map<MessageKey, CompiledMessage | null>();
  return (key, params) => {
    const source: string | undefined = Object.hasOwn(catalogue, key) ? catalogue[key] : undefined;
    if (source === undefined) return key;
    let message = compiled.get(key);
    if (message === undefined) {
      try {
        message = compile(source, language);
      } catch {
        message = null;
      }
      compiled.set(key, message);
    }
    if (message === null) return source;
    try {
      return String(message.format(params));
    } catch {
      return source;
    }
  };
}

const shared: Partial<Record<ResolvedLanguage, Translator>> = {};

/**
 * The process's translator for `language`, made on first use. One per language, because the
 * compiled messages are a pure function of the catalogue: the window's screens and main's tray
 * and notifications then compile each message once per language.
 */
export function translatorFor(language: ResolvedLanguage): Translator {
  return (shared[language] ??= createTranslator(language));
}

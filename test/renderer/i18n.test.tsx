// Dictionaries are complete and alike; over main's real services the UI follows the system
// language by default and switches to Russian from Settings once main has saved the choice.
import { beforeAll, describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import { ERROR_CODES } from '../../src-main/shared/model';
import { en } from '../../src-renderer/i18n/en';
import { errorActionKey } from '../../src-renderer/i18n/error-advice';
import { DICTIONARIES, resolveLocale, translate } from '../../src-renderer/i18n/i18n';
import { ru } from '../../src-renderer/i18n/ru';
import { expectOk, mainServices, signedIn, type RelayUnderTest } from './main-services';
import { MAIN_PUSH_TIMEOUT_MS, renderApp, text, UI_TEST_TIMEOUT_MS } from './render-app';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('dictionaries', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('English and Russian have exactly the same keys', () => {
    expect(Object.keys(ru).sort()).toEqual(Object.keys(en).sort());
  });

  it('every message is filled in and uses the same placeholders in both languages', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      if (key !== 'action.none') {
        expect(en[key], key).not.toBe('');
        expect(ru[key], key).not.toBe('');
      }
      expect(placeholders(ru[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it('has a plain-words text and an action for every error code', () => {
    for (const code of ERROR_CODES) {
      for (const dictionary of Object.values(DICTIONARIES)) {
        expect(dictionary[`error.${code}`], code).toBeTruthy();
        expect(typeof dictionary[errorActionKey(code)], code).toBe('string');
      }
    }
    expect(errorActionKey('invalid_token')).toBe('action.newToken');
    expect(errorActionKey('port_in_use')).toBe('action.checkPort');
    expect(errorActionKey('connection_refused')).toBe('action.checkRelay');
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(translate(en, 'status.attempt', { n: 2, max: 10 })).toBe('Attempt 2 of 10');
    expect(translate(ru, 'status.attempt', { n: 2, max: 10 })).toBe('Попытка 2 из 10');
    expect(translate(en, 'status.attempt', { n: 2 })).toBe('Attempt 2 of {max}');
  });

  it('follows the system language unless a language is chosen', () => {
    expect(resolveLocale('system', 'ru-RU')).toBe('ru');
    expect(resolveLocale('system', 'de-DE')).toBe('en');
    expect(resolveLocale('en', 'ru-RU')).toBe('en');
    expect(resolveLocale('ru', 'en-US')).toBe('ru');
    expect(resolveLocale(undefined, undefined)).toBe('en');
  });
});

describe('language in the UI', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  let relay: RelayUnderTest;
  beforeAll(async () => {
    relay = await mainServices().startRelay();
  });

  it('follows a Russian system language when the setting is System', async () => {
    const main = await mainServices().startMain();
    await signedIn(main, relay);
    expectOk(await main.prep.settingsUpdate({ language: 'system' }), 'language System');
    await renderApp(main, { systemLanguage: 'ru-RU' });
    expect(text(screen.getByRole('status'))).toBe('Активно');
    expect(screen.getByRole('button', { name: 'Туннели' })).toBeTruthy();
  });

  it('switches to Russian from Settings and saves the choice', async () => {
    const main = await mainServices().startMain();
    await signedIn(main, relay);
    expectOk(await main.prep.settingsUpdate({ language: 'system' }), 'language System');
    const { user } = await renderApp(main, { view: 'settings' });
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('Settings');
    await user.selectOptions(screen.getByLabelText('Language'), 'Русский');
    expect(main.callsTo('cloudbridge:settings.update')).toEqual([{ language: 'ru' }]);
    // The window switches when main pushes the saved setting.
    await waitFor(
      () => expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('Настройки'),
      { timeout: MAIN_PUSH_TIMEOUT_MS },
    );
    expect((await main.settings()).language).toBe('ru');
    await user.click(screen.getByRole('button', { name: 'Состояние' }));
    expect(text(screen.getByRole('status'))).toBe('Активно');
  });
});

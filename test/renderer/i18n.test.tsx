// The window speaks the shared catalogue: over main's real services it follows the system
// language by default, switches to Russian from Settings once main has saved the choice, and
// every view in Russian, in the states main can reach, shows no English outside product and
// protocol names and the user's own data.
import { beforeAll, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import type { AppSnapshot, TunnelDraft } from '../../src-main/shared/ipc-contract';
import { WINDOW_VIEWS as VIEWS, type WindowView as View } from '../../src-main/shared/ipc-contract';
import { makeTranslate, resolveLocale } from '../../src-renderer/i18n/i18n';
import { englishWords } from '../unit/i18n-english';
import {
  expectOk,
  mainServices,
  signedIn,
  type MainUnderTest,
  type RelayUnderTest,
} from './main-services';
import { MAIN_PUSH_TIMEOUT_MS, button, renderApp, text, UI_TEST_TIMEOUT_MS } from './render-app';

describe('the window’s translator', () => {
  it('follows the system language unless a language is chosen', () => {
    expect(resolveLocale('system', 'ru-RU')).toBe('ru');
    expect(resolveLocale('system', 'de-DE')).toBe('en');
    expect(resolveLocale('en', 'ru-RU')).toBe('en');
    expect(resolveLocale('ru', 'en-US')).toBe('ru');
    expect(resolveLocale(undefined, undefined)).toBe('en');
  });

  it('formats ICU plurals from the shared catalogue, one translator per language', () => {
    const t = makeTranslate('ru');
    expect(t('status.tunnelsActive', { n: 1, total: 1 })).toBe('Работает 1 из 1 туннеля');
    expect(makeTranslate('en')('status.tunnelsActive', { n: 1, total: 1 })).toBe(
      '1 of 1 tunnel ready',
    );
    expect(makeTranslate('ru')).toBe(t);
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

/** Attributes a person hears or sees as text. */
const READ_ATTRIBUTES = ['aria-label', 'title', 'placeholder', 'alt', 'aria-description'];

/**
 * What a person reads in the window: text and read-out attributes, leaving out what is shown
 * untranslated on purpose: the engine's own words folded under "technical details"
 * (translate="no") and a log record's raw fields, as the log file has them.
 */
function readableText(root: Element): string {
  const clone = root.cloneNode(true) as Element;
  for (const raw of clone.querySelectorAll('[translate="no"], .log-event, .log-details'))
    raw.remove();
  const attributes = [...clone.querySelectorAll('*')].flatMap((element) =>
    READ_ATTRIBUTES.flatMap((name) => element.getAttribute(name) ?? []),
  );
  return [clone.textContent ?? '', ...attributes].join(' ');
}

/** The user's own words main shows as they are: names, hosts, ids, versions, paths. */
async function userData(main: MainUnderTest): Promise<string[]> {
  const s: AppSnapshot = await main.snapshot();
  const info = await main.prep.appInfo();
  const about: string[] = info.ok ? Object.values(info.value) : [];
  return [
    ...s.engine.tunnels.flatMap((t) => [t.name, t.remoteHost, t.localHost]),
    // The program holding a port, as the OS names it.
    ...s.engine.tunnels.flatMap((t) => Object.values(t.error?.params ?? {}).map(String)),
    s.engine.session.relay,
    s.engine.session.clientId ?? '',
    s.engine.session.tenantId ?? '',
    s.engine.session.relayVersion ?? '',
    s.account.subject ?? '',
    s.account.tenant ?? '',
    s.settings.relay?.name ?? '',
    s.settings.relay?.host ?? '',
    s.logDirectory,
    ...about,
  ];
}

/** Visits every view (and `extra` steps on some) and collects the English found on each. */
async function englishOnEveryView(
  main: MainUnderTest,
  systemLanguage: string,
  extra: Partial<
    Record<View, (user: Awaited<ReturnType<typeof renderApp>>['user']) => void | Promise<void>>
  > = {},
): Promise<Record<string, string[]>> {
  const { user, unmount } = await renderApp(main, { systemLanguage });
  const found: Record<string, string[]> = {};
  const data = await userData(main);
  const t = makeTranslate(resolveLocale('system', systemLanguage));
  for (const view of VIEWS) {
    const nav = screen.getByRole('navigation');
    await user.click(within(nav).getByRole('button', { name: t(`nav.${view}`) }));
    await extra[view]?.(user);
    const words = englishWords(readableText(document.body), data);
    if (words.length > 0) found[view] = words;
  }
  unmount();
  return found;
}

function draft(
  name: string,
  kind: TunnelDraft['kind'],
  localPort: number,
  enabled = true,
): TunnelDraft {
  return {
    name,
    kind,
    localHost: '127.0.0.1',
    localPort,
    remoteHost: '127.0.0.1',
    remotePort: 22,
    enabled,
  };
}

describe('every view in Russian', { timeout: UI_TEST_TIMEOUT_MS * 2 }, () => {
  let relay: RelayUnderTest;
  beforeAll(async () => {
    relay = await mainServices().startRelay();
  });

  it('on a first run, with a reset settings file: no English', async () => {
    const main = await mainServices().startMain({ settingsFileText: '{ not json' });
    const found = await englishOnEveryView(main, 'ru-RU', {
      status: () => {
        expect(screen.getByTestId('notice-settings_reset')).toBeTruthy();
        expect(screen.getByTestId('checklist')).toBeTruthy();
      },
    });
    expect(found).toEqual({});
  });

  it('signed in with a token about to expire, a tunnel ready, one whose port is taken and one off: no English', async () => {
    const main = await mainServices().startMain();
    const held = await mainServices().holdPort();
    const free = await mainServices().freePort();
    const { tunnels } = await signedIn(main, relay, {
      claims: { ttlSec: 5 * 3_600, tenant: 'acme' },
      tunnels: [
        draft('Офис', 'rdp', free),
        draft('Интранет', 'other', held),
        draft('Сборка', 'ssh', free + 1, false),
      ],
      connect: false,
    });
    expectOk(await main.prep.sessionConnect(), 'connecting');
    await main.until(
      (s) => s.engine.tunnels.find((t) => t.id === tunnels[1]!.id)?.error?.detailKey !== undefined,
      'the port holder named',
    );
    const found = await englishOnEveryView(main, 'ru-RU', {
      status: () => {
        expect(screen.getByTestId('notice-token_expiring')).toBeTruthy();
      },
      tunnels: async (user) => {
        expect(text(screen.getByTestId(`tunnel-${tunnels[1]!.id}`))).toMatch(/Порт \d+ занят/);
        await user.click(button('Добавить туннель'));
        await user.click(screen.getByRole('radio', { name: 'Другое' }));
        await user.click(
          within(screen.getByRole('form')).getByRole('button', { name: 'Сохранить' }),
        );
        const off = within(screen.getByTestId(`tunnel-${tunnels[2]!.id}`));
        await user.click(off.getByRole('button', { name: 'Сборка' }));
        await user.click(off.getByRole('button', { name: 'Ещё для «Сборка»' }));
        await user.click(off.getByRole('menuitem', { name: 'Удалить' }));
      },
      logs: async (user) => {
        await user.click(button('Пауза'));
      },
    });
    expect(found).toEqual({});
  });

  it('reconnecting, then refused by the relay, and on a plaintext relay: no English', async () => {
    const main = await mainServices().startMain();
    await signedIn(main, relay, {
      tunnels: [draft('Офис', 'rdp', await mainServices().freePort())],
    });
    await relay.stop();
    try {
      await main.until((s) => s.engine.state === 'reconnecting', 'reconnecting');
      expect(await englishOnEveryView(main, 'ru-RU')).toEqual({});
    } finally {
      await relay.start();
    }
    const refused = await mainServices().startMain();
    expectOk(await refused.prep.settingsUpdate({ relay: relay.profile() }), 'choosing the relay');
    expectOk(await refused.prep.tokenSave({ token: await relay.foreignToken() }), 'saving');
    await refused.until((s) => s.engine.lastError?.code === 'invalid_token', 'refused');
    expect(await englishOnEveryView(refused, 'ru-RU')).toEqual({});

    const plain = await mainServices().startRelay({ plaintext: true });
    const insecure = await mainServices().startMain();
    await signedIn(insecure, plain);
    expect(await englishOnEveryView(insecure, 'ru-RU')).toEqual({});
  });

  it('is checked by a finder that does see English: the same views in English', async () => {
    const main = await mainServices().startMain({ settingsFileText: '{ not json' });
    const found = await englishOnEveryView(main, 'en-US');
    expect(Object.keys(found).sort()).toEqual([...VIEWS].sort());
    expect(found['status']).toEqual(expect.arrayContaining(['Settings', 'were', 'reset']));
  });
});

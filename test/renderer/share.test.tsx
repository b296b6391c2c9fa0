// Share this computer over main's real services and a real relay: the form checks the name
// and services as typed, Start sharing brings the share online, Change… publishes the change
// and Stop sharing ends it, what sharing needs first leads there, a name another computer
// holds is said from the catalogue; and Add tunnel's picker offers the tenant's shared
// computers by name and saves a tunnel to one, end to end, in English and Russian. On the
// fake bridge, for states jsdom cannot reach without a second computer dialling in (the e2e
// run does, test/e2e/share.e2e.test.ts): who is connected (identity, service, since, bytes)
// and a tunnel to a keyless computer.
import { beforeAll, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import type { AppSnapshot } from '../../src-main/shared/ipc-contract';
import { activeSnapshot } from '../harness/fake-bridge';
import {
  expectOk,
  mainServices,
  signedIn,
  type MainUnderTest,
  type RelayUnderTest,
} from './main-services';
import {
  button,
  MAIN_PUSH_TIMEOUT_MS,
  renderApp,
  renderOnFake,
  text,
  UI_TEST_TIMEOUT_MS,
} from './render-app';

let relay: RelayUnderTest;
beforeAll(async () => {
  relay = await mainServices().startRelay();
});

function fieldError(label: string): string | null {
  const input = screen.getByLabelText(label);
  const id = input
    .getAttribute('aria-describedby')
    ?.split(' ')
    .find((x) => x.endsWith('-error'));
  return id ? text(document.getElementById(id)!) : null;
}

const shareStatus = () => text(screen.getByTestId('share-status'));

/**
 * Another computer of the tenant sharing `name` (Remote Desktop and SSH), online. The relay is
 * the file's and single-tenant: a name stays held through its grace period after a test, so
 * each test shares its own name.
 */
async function sharingComputer(name: string): Promise<MainUnderTest> {
  const other = await mainServices().startMain({ windowShown: false });
  await signedIn(other, relay, { claims: { sub: 'office' } });
  expectOk(
    await other.prep.shareStart({ name, services: ['rdp', 'ssh'], allowSubs: null }),
    `sharing ${name}`,
  );
  await other.until((s) => s.engine.publish?.status === 'online', `${name} online`);
  return other;
}

describe('Share this computer', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('shares Remote Desktop under a name, shows it online, and stops sharing', async () => {
    const main = await mainServices().startMain();
    await signedIn(main, relay, { claims: { sub: 'alice' } });
    const { user } = await renderApp(main, { view: 'share' });
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('Share this computer');
    const name = screen.getByLabelText(/^Name/);
    await user.clear(name);
    await user.type(name, 'alice-desk');
    await user.click(screen.getByRole('checkbox', { name: /^SSH/ }));
    expect(screen.getByRole('checkbox', { name: /^Remote Desktop/ })).toHaveProperty(
      'checked',
      true,
    );
    await user.click(button('Start sharing'));
    await waitFor(() => expect(shareStatus()).toBe('Online'), { timeout: MAIN_PUSH_TIMEOUT_MS });
    expect(text(screen.getByTestId('share-line'))).toBe(
      'People you allow can connect to “alice-desk” now.',
    );
    expect(main.callsTo('cloudbridge:share.start')).toEqual([
      { name: 'alice-desk', services: ['rdp'], allowSubs: null },
    ]);
    expect((await main.settings()).share).toEqual({
      name: 'alice-desk',
      services: ['rdp'],
      allowSubs: null,
      enabled: true,
    });
    expect(text(screen.getByTestId('share-nobody'))).toBe('Nobody is connected.');
    expect((await main.snapshot()).engine.publish).toMatchObject({
      name: 'alice-desk',
      ports: [3389],
      status: 'online',
    });

    await user.click(button('Stop sharing'));
    expect(await screen.findByRole('button', { name: 'Start sharing' })).toBeTruthy();
    expect(screen.queryByTestId('share-status')).toBeNull();
    expect((await main.settings()).share?.enabled).toBe(false);
    await main.until((s) => (s.engine.publish ?? null) === null, 'the share unpublished');
  });

  it('changes what is shared while sharing: another name and who may connect, published at once', async () => {
    const main = await mainServices().startMain();
    await signedIn(main, relay, { claims: { sub: 'alice' } });
    expectOk(
      await main.prep.shareStart({ name: 'alice-old', services: ['rdp'], allowSubs: null }),
      'sharing',
    );
    const { user } = await renderApp(main, { view: 'share' });
    await waitFor(() => expect(shareStatus()).toBe('Online'), { timeout: MAIN_PUSH_TIMEOUT_MS });
    await user.click(button('Change…'));
    const name = screen.getByLabelText(/^Name/);
    await user.clear(name);
    await user.type(name, 'alice-new');
    await user.click(screen.getByRole('radio', { name: 'Only these people' }));
    await user.type(screen.getByLabelText(/^User IDs/), 'bob');
    await user.click(button('Save changes'));
    await waitFor(
      () =>
        expect(text(screen.getByTestId('share-line'))).toBe(
          'People you allow can connect to “alice-new” now.',
        ),
      { timeout: MAIN_PUSH_TIMEOUT_MS },
    );
    expect(main.callsTo('cloudbridge:share.update')).toEqual([
      { name: 'alice-new', services: ['rdp'], allowSubs: ['bob'] },
    ]);
    await main.until(
      (s) =>
        s.engine.publish?.name === 'alice-new' &&
        s.engine.publish.status === 'online' &&
        s.engine.publish.allowSubs?.join() === 'bob',
      'published under the new name for bob only',
    );
    expect(screen.queryByRole('button', { name: 'Save changes' })).toBeNull();
  });

  it('says what sharing needs first and leads there: a relay, then a token', async () => {
    const main = await mainServices().startMain();
    const { user } = await renderApp(main, { view: 'share' });
    expect(screen.getByText('Sharing needs a relay: set one up on Status first.')).toBeTruthy();
    expect(button('Start sharing').disabled).toBe(true);
    await user.click(button('Set up relay…'));
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('Status');

    expectOk(await main.prep.settingsUpdate({ relay: relay.profile() }), 'choosing the relay');
    await user.click(within(screen.getByRole('navigation')).getByRole('button', { name: 'Share' }));
    await waitFor(() =>
      expect(
        screen.getByText('Sharing needs your access token: sign in on Account first.'),
      ).toBeTruthy(),
    );
    await user.click(button('Sign in…'));
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('Account');
    expect(main.callsTo('cloudbridge:share.start')).toHaveLength(0);
  });

  it('checks the name and the services as they are typed and sends nothing wrong, in Russian', async () => {
    const main = await mainServices().startMain();
    await signedIn(main, relay, { connect: false });
    const { user } = await renderApp(main, { view: 'share', systemLanguage: 'ru-RU' });
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('Общий доступ к компьютеру');
    const name = screen.getByLabelText(/^Имя/);
    await user.clear(name);
    await user.type(name, 'Office PC');
    await user.tab();
    expect(fieldError('Имя')).toBe(
      'От 1 до 63 строчных латинских букв, цифр, - или _; в начале и в конце — буква или цифра.',
    );
    await user.click(screen.getByRole('checkbox', { name: /^Удалённый рабочий стол/ }));
    await user.click(screen.getByRole('checkbox', { name: /^SSH/ }));
    expect(text(document.getElementById('share-services-error')!)).toBe(
      'Выберите удалённый рабочий стол, SSH или оба.',
    );
    await user.click(screen.getByRole('radio', { name: 'Только эти люди' }));
    await user.click(button('Открыть доступ'));
    expect(fieldError('Идентификаторы пользователей')).toBe('Обязательное поле.');
    expect(main.callsTo('cloudbridge:share.start')).toHaveLength(0);

    await user.clear(name);
    await user.type(name, 'ru-desk');
    await user.click(screen.getByRole('checkbox', { name: /^SSH/ }));
    await user.type(screen.getByLabelText(/^Идентификаторы/), 'alice, bob');
    await user.click(button('Открыть доступ'));
    await waitFor(() => expect(main.callsTo('cloudbridge:share.start')).toHaveLength(1));
    expect(main.callsTo('cloudbridge:share.start')[0]).toEqual({
      name: 'ru-desk',
      services: ['ssh'],
      allowSubs: ['alice', 'bob'],
    });
    // Sharing connects the session a saved token allows.
    await waitFor(() => expect(shareStatus()).toBe('Доступен'), {
      timeout: MAIN_PUSH_TIMEOUT_MS,
    });
  });

  it('says in Russian that another computer of the organisation holds the name', async () => {
    const other = await sharingComputer('front-desk');
    const main = await mainServices().startMain();
    await signedIn(main, relay, { claims: { sub: 'carol' } });
    const { user } = await renderApp(main, { view: 'share', systemLanguage: 'ru-RU' });
    const name = screen.getByLabelText(/^Имя/);
    await user.clear(name);
    await user.type(name, 'front-desk');
    await user.click(button('Открыть доступ'));
    const refusal = await screen.findByTestId('share-error', {}, { timeout: MAIN_PUSH_TIMEOUT_MS });
    expect(text(refusal)).toContain(
      'Другой компьютер вашей организации уже открыт под именем «front-desk». Выберите другое имя.',
    );
    expect(shareStatus()).toBe('Доступ не открыт');
    // The holder keeps its name.
    expect((await other.snapshot()).engine.publish?.status).toBe('online');
  });
});

describe('Add tunnel offers the shared computers', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('picks a shared computer by name and its service, and the tunnel to it listens', async () => {
    await sharingComputer('office-pc');
    const main = await mainServices().startMain();
    await signedIn(main, relay, { claims: { sub: 'bob' } });
    const { user } = await renderApp(main, { view: 'tunnels' });
    await user.click(button('Add tunnel'));
    await user.click(screen.getByRole('radio', { name: 'A computer shared in your organisation' }));
    const computer = await screen.findByLabelText('Shared computer');
    // Names earlier tests shared stay listed, offline, through the relay's grace period.
    const offered = within(computer)
      .getAllByRole('option')
      .map((o) => o.textContent);
    expect(offered[0]).toBe('Choose a computer');
    expect(offered).toContain('office-pc (online; end to end)');
    await user.selectOptions(computer, 'office-pc');
    // In the order the relay lists the computer's ports; Remote Desktop is chosen first.
    const service = screen.getByLabelText('Service');
    expect(
      within(service)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual(['SSH', 'Remote Desktop']);
    expect((service as HTMLSelectElement).value).toBe('3389');
    expect(text(screen.getByTestId('server-keyed'))).toBe(
      'Encrypted end to end: the relay cannot read or change this connection.',
    );
    expect(screen.getByLabelText<HTMLInputElement>(/^Name/).value).toBe(
      'Remote Desktop on office-pc',
    );
    expect(screen.queryByLabelText('Remote host')).toBeNull();
    await waitFor(() =>
      expect(screen.getByLabelText<HTMLInputElement>(/^Local port/).value).not.toBe(''),
    );
    await user.click(button('Save'));
    await waitFor(() => expect(main.callsTo('cloudbridge:tunnel.save')).toHaveLength(1));
    expect(main.callsTo('cloudbridge:tunnel.save')[0]).toMatchObject({
      name: 'Remote Desktop on office-pc',
      kind: 'rdp',
      remoteHost: 'office-pc',
      remotePort: 3389,
      server: 'office-pc',
    });
    const listening = await main.until(
      (s) => s.engine.tunnels.some((t) => t.server === 'office-pc' && t.status === 'listening'),
      'the tunnel to office-pc listening',
    );
    expect(listening.settings.tunnels.map((t) => t.server)).toEqual(['office-pc']);
    // Its details say the streams are end to end.
    const id = listening.settings.tunnels[0]!.id;
    const heading = document.getElementById(`tunnel-${id}-name`)!;
    await user.click(within(heading).getByRole('button', { expanded: false }));
    await waitFor(() =>
      expect(text(screen.getByTestId('tunnel-encryption'))).toBe(
        'End to end, with the shared computer’s own key',
      ),
    );
  });

  it('says when it cannot list yet, lists after connecting, and saves an SSH tunnel, in Russian', async () => {
    await sharingComputer('build-box');
    const main = await mainServices().startMain();
    await signedIn(main, relay, { claims: { sub: 'bob' }, connect: false });
    const { user } = await renderApp(main, { view: 'tunnels', systemLanguage: 'ru-RU' });
    await user.click(button('Добавить туннель'));
    await user.click(screen.getByRole('radio', { name: 'Общий компьютер вашей организации' }));
    await waitFor(() =>
      expect(text(screen.getByTestId('server-pick-note'))).toBe(
        'Подключитесь к ретранслятору, чтобы увидеть открытые вам компьютеры.Обновить',
      ),
    );
    // Saving with no computer chosen names the missing field and sends nothing.
    await user.click(button('Сохранить'));
    expect(main.callsTo('cloudbridge:tunnel.save')).toHaveLength(0);

    expectOk(await main.prep.sessionConnect(), 'connecting');
    await main.until((s) => s.engine.state === 'active', 'Active');
    await user.click(button('Обновить'));
    const computer = await screen.findByLabelText('Общий компьютер');
    await user.selectOptions(computer, 'build-box');
    await user.selectOptions(screen.getByLabelText('Служба'), '22');
    expect(screen.getByLabelText<HTMLInputElement>(/^Название/).value).toBe('SSH — build-box');
    await waitFor(() =>
      expect(screen.getByLabelText<HTMLInputElement>(/^Локальный порт/).value).not.toBe(''),
    );
    await user.click(button('Сохранить'));
    await waitFor(() => expect(main.callsTo('cloudbridge:tunnel.save')).toHaveLength(1));
    expect(main.callsTo('cloudbridge:tunnel.save')[0]).toMatchObject({
      kind: 'ssh',
      remotePort: 22,
      server: 'build-box',
    });
    await main.until(
      (s) => s.engine.tunnels.some((t) => t.server === 'build-box' && t.status === 'listening'),
      'the SSH tunnel to build-box listening',
    );
  });
});

/** Signed in and sharing "office-pc", two people connected. */
function sharingSnapshot(now: number): AppSnapshot {
  const base = activeSnapshot(now);
  return {
    ...base,
    settings: {
      ...base.settings,
      share: { name: 'office-pc', services: ['rdp', 'ssh'], allowSubs: null, enabled: true },
    },
    engine: {
      ...base.engine,
      publish: {
        name: 'office-pc',
        ports: [3389, 22],
        allowSubs: null,
        publicKey: 'MCowBQYDK2VwAyEA',
        status: 'online',
        tunnelId: 'srv-1',
        bytesIn: 3_145_728,
        bytesOut: 1024,
        totalConnections: 3,
        connections: [
          {
            id: 1,
            sub: 'alice',
            tenantId: 'acme',
            remote: '198.51.100.7:50122',
            port: 3389,
            since: new Date(now - 5 * 60_000).toISOString(),
            bytesIn: 3_145_728,
            bytesOut: 0,
          },
          {
            id: 2,
            sub: 'bob',
            tenantId: 'acme',
            remote: '203.0.113.9:40000',
            port: 22,
            since: new Date(now - 2 * 3_600_000).toISOString(),
            bytesIn: 0,
            bytesOut: 1024,
          },
        ],
        error: null,
      },
    },
  };
}

describe('a tunnel to a keyless shared computer', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  for (const [language, expected] of [
    ['en-US', 'Not end to end: the relay can read this connection'],
    ['ru-RU', 'Не сквозное: ретранслятор может прочитать это соединение'],
  ] as const)
    it(`says in its details that it is not end to end (${language})`, async () => {
      const base = activeSnapshot(Date.now());
      const [first, ...rest] = base.engine.tunnels;
      const keyless = { ...first!, server: 'lab-box', remoteHost: 'lab-box', endToEnd: false };
      const { user } = await renderOnFake({
        snapshot: { ...base, engine: { ...base.engine, tunnels: [keyless, ...rest] } },
        view: 'tunnels',
        systemLanguage: language,
      });
      const heading = document.getElementById(`tunnel-${keyless.id}-name`)!;
      await user.click(within(heading).getByRole('button', { expanded: false }));
      expect(text(screen.getByTestId('tunnel-encryption'))).toBe(expected);
    });
});

describe('who is connected to the shared computer', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  for (const [language, expected] of [
    [
      'en-US',
      {
        status: 'Online',
        rows: [
          'alice | Remote Desktop | 198.51.100.7:50122 | 5 minutes ago | 3.1 MB | 0 B',
          'bob | SSH | 203.0.113.9:40000 | 2 hours ago | 0 B | 1 KB',
        ],
        total: '3 connections since sharing started.',
      },
    ],
    [
      'ru-RU',
      {
        status: 'Доступен',
        rows: [
          'alice | Удалённый рабочий стол | 198.51.100.7:50122 | 5 минут назад | 3,1 МБ | 0 Б',
          'bob | SSH | 203.0.113.9:40000 | 2 часа назад | 0 Б | 1 КБ',
        ],
        total: '3 соединения с начала доступа.',
      },
    ],
  ] as const)
    it(`lists each connection's identity, service, address, since and bytes (${language})`, async () => {
      await renderOnFake({
        snapshot: sharingSnapshot(Date.now()),
        view: 'share',
        systemLanguage: language,
      });
      expect(shareStatus()).toBe(expected.status);
      const table = screen.getByTestId('share-connections');
      const rows = within(table)
        .getAllByRole('row')
        .slice(1)
        .map((row) => Array.from(row.children, text).join(' | '));
      expect(rows).toEqual(expected.rows);
      expect(text(screen.getByText(expected.total))).toBe(expected.total);
    });
});

// The redesigned Tunnels view as a person uses it, over main's real services and a real relay:
// a preset fills the form and main's free port, a taken port typed by hand is offered the next
// free one, the hint after saving says where to connect with Copy and Open, a port error is
// fixed from its own row, the route is copied through main. On the fake bridge: totals that
// move with every stats push, zeros instead of dashes, no rates on an off tunnel, last activity.
import { describe, expect, it } from 'vitest';
import { act, screen, waitFor, within } from '@testing-library/react';
import type { UserEvent } from '@testing-library/user-event';
import { activeSnapshot, statsUpdate } from '../harness/fake-bridge';
import { expectOk, mainServices, signedIn } from './main-services';
import {
  button,
  MAIN_PUSH_TIMEOUT_MS,
  renderApp,
  renderOnFake,
  text,
  UI_TEST_TIMEOUT_MS,
} from './render-app';

const row = (id: string) => screen.getByTestId(`tunnel-${id}`);
const input = (label: string) => screen.getByLabelText<HTMLInputElement>(label);

async function expand(user: UserEvent, id: string) {
  const heading = document.getElementById(`tunnel-${id}-name`)!;
  await user.click(within(heading).getByRole('button', { expanded: false }));
  return within(row(id)).getByTestId('tunnel-detail');
}

describe('Tunnels: presets, free ports and fixes', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('adds a Remote Desktop tunnel on the free port main suggests and says how to connect to it', async () => {
    const relay = await mainServices().startRelay();
    const main = await mainServices().startMain();
    await signedIn(main, relay);
    const suggested = expectOk(
      await main.prep.tunnelSuggestPort({ port: 13_389, localHost: '127.0.0.1' }),
      'asking for a port',
    ).port;
    const { user } = await renderApp(main, { view: 'tunnels' });
    await user.click(button('Add tunnel'));
    // Remote Desktop is the first preset: everything is filled, the local port by main.
    expect(screen.getByRole('radio', { name: /^Remote Desktop/ })).toHaveProperty('checked', true);
    expect(input('Name').value).toBe('Remote Desktop');
    expect(input('Remote host').value).toBe('localhost');
    expect(text(screen.getByText(/is the computer the relay runs on/))).toBe(
      '“localhost” is the computer the relay runs on.',
    );
    expect(input('Remote port').value).toBe('3389');
    await waitFor(() => expect(input('Local port').value).toBe(String(suggested)));
    await user.click(button('Save'));

    const hint = await screen.findByTestId('connect-hint');
    expect(text(hint)).toContain(`Connect Remote Desktop to 127.0.0.1:${suggested}`);
    const [saved] = (await main.settings()).tunnels;
    expect(saved).toMatchObject({ kind: 'rdp', localPort: suggested, remoteHost: 'localhost' });
    await user.click(within(hint).getByRole('button', { name: 'Copy' }));
    await waitFor(async () =>
      expect((await main.outside()).copied).toEqual([`127.0.0.1:${suggested}`]),
    );
    const open = within(hint).getByRole('button', { name: 'Open' });
    await waitFor(() => expect(open).toHaveProperty('disabled', false), {
      timeout: MAIN_PUSH_TIMEOUT_MS,
    });
    await user.click(open);
    const { launched } = await main.outside();
    expect(launched.at(-1)?.args.join(' ')).toContain(String(suggested));
  });

  it('switching presets keeps what was typed and fills the rest', async () => {
    const main = await mainServices().startMain();
    const { user } = await renderApp(main, { view: 'tunnels' });
    await user.click(button('Add tunnel'));
    await user.click(screen.getByRole('radio', { name: /^Web/ }));
    expect(input('Name').value).toBe('Web');
    expect(input('Remote port').value).toBe('80');
    await waitFor(() => expect(Number(input('Local port').value)).toBeGreaterThanOrEqual(8080));
    await user.clear(input('Name'));
    await user.type(input('Name'), 'Wiki');
    await user.clear(input('Remote host'));
    await user.type(input('Remote host'), 'wiki.corp.example');
    await user.click(screen.getByRole('radio', { name: /^SSH/ }));
    expect(input('Name').value).toBe('Wiki');
    expect(input('Remote host').value).toBe('wiki.corp.example');
    expect(input('Remote port').value).toBe('22');
    await waitFor(() => expect(Number(input('Local port').value)).toBeGreaterThanOrEqual(2222));
  });

  it('offers the next free port when the one typed is held by another program', async () => {
    const main = await mainServices().startMain();
    const held = await mainServices().holdPort();
    const { user } = await renderApp(main, { view: 'tunnels' });
    await user.click(button('Add tunnel'));
    await user.click(screen.getByRole('radio', { name: /^Other/ }));
    await user.type(input('Local port'), String(held));
    const note = await screen.findByTestId('port-taken', undefined, {
      timeout: MAIN_PUSH_TIMEOUT_MS,
    });
    expect(text(note)).toMatch(new RegExp(`^Port ${held} is in use on this computer\\. Use \\d+$`));
    await user.click(within(note).getByRole('button', { name: /^Use \d+$/ }));
    const next = Number(input('Local port').value);
    expect(next).toBeGreaterThan(held);
    expect(screen.queryByTestId('port-taken')).toBeNull();
  });

  it('fixes a taken local port from the tunnel’s own row', async () => {
    const relay = await mainServices().startRelay();
    const main = await mainServices().startMain();
    const held = await mainServices().holdPort();
    const {
      tunnels: [web],
    } = await signedIn(main, relay, {
      tunnels: [
        {
          name: 'Intranet',
          kind: 'web',
          localHost: '127.0.0.1',
          localPort: held,
          remoteHost: '127.0.0.1',
          remotePort: 80,
          enabled: true,
        },
      ],
      connect: false,
    });
    expectOk(await main.prep.sessionConnect(), 'connecting');
    const { user } = await renderApp(main, { view: 'tunnels' });
    const error = await within(row(web!.id)).findByTestId('tunnel-error', undefined, {
      timeout: MAIN_PUSH_TIMEOUT_MS,
    });
    expect(text(error)).toContain('The local port is already in use by another program.');
    expect(text(within(row(web!.id)).getByTestId('tunnel-status'))).toBe('Error');
    const failedAt = (await main.snapshot()).engine.tunnels[0]?.error?.at;
    await user.click(within(row(web!.id)).getByRole('button', { name: 'Try again' }));
    expect(main.callsTo('cloudbridge:tunnel.retry')).toEqual([{ id: web!.id }]);
    // The port is still held: it fails again, afresh.
    await main.until((s) => {
      const error = s.engine.tunnels[0]?.error;
      return error?.code === 'port_in_use' && error.at !== failedAt;
    }, 'the tunnel failing again after Try again');
    await waitFor(() => expect(within(row(web!.id)).getByTestId('tunnel-error')).toBeTruthy());

    await user.click(within(row(web!.id)).getByRole('button', { name: 'Change local port…' }));
    const field = within(row(web!.id)).getByLabelText<HTMLInputElement>('New local port');
    await waitFor(() => expect(Number(field.value)).toBeGreaterThan(held));
    const free = Number(field.value);
    expect(text(within(row(web!.id)).getByText(/is free\.$/))).toBe(`Port ${free} is free.`);
    await user.click(within(row(web!.id)).getByRole('button', { name: 'Save port' }));
    await waitFor(
      () => expect(text(within(row(web!.id)).getByTestId('tunnel-status'))).toBe('Ready'),
      {
        timeout: MAIN_PUSH_TIMEOUT_MS,
      },
    );
    expect(within(row(web!.id)).queryByTestId('tunnel-error')).toBeNull();
    expect((await main.settings()).tunnels[0]?.localPort).toBe(free);
    expect(text(within(row(web!.id)).getByTestId('tunnel-route'))).toBe(
      `127.0.0.1:${free} → 127.0.0.1:80`,
    );
  });

  it('copies the address from the route through main', async () => {
    const main = await mainServices().startMain();
    const port = await mainServices().freePort();
    const saved = expectOk(
      await main.prep.tunnelSave({
        name: 'Build server',
        kind: 'ssh',
        localHost: '0.0.0.0',
        localPort: port,
        remoteHost: '10.0.4.17',
        remotePort: 22,
        enabled: false,
      }),
      'adding',
    );
    const { user } = await renderApp(main, { view: 'tunnels' });
    await user.click(
      within(row(saved.id)).getByRole('button', { name: `Copy the address 127.0.0.1:${port}` }),
    );
    expect(main.callsTo('cloudbridge:tunnel.copyAddress')).toEqual([{ id: saved.id }]);
    await waitFor(async () => expect((await main.outside()).copied).toEqual([`127.0.0.1:${port}`]));
  });
});

describe('Tunnels: counters as main pushes them', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('shows session, today and all-time totals moving with each stats push, and every connection count', async () => {
    const now = Date.now();
    const { fake, user } = await renderOnFake({ snapshot: activeSnapshot(now), view: 'tunnels' });
    const detail = await expand(user, 't-rdp');
    expect(text(within(detail).getByTestId('today-in'))).toBe('48 MB');
    expect(text(within(detail).getByTestId('all-time-in'))).toBe('9.8 GB');
    expect(text(within(detail).getByTestId('connections'))).toBe('2');
    expect(text(within(detail).getByTestId('connections-failed'))).toBe('0');
    expect(text(within(detail).getByTestId('connections-total'))).toBe('7');
    const totals = fake.current().totals;
    act(() => {
      fake.emit(
        'cloudbridge:stats.changed',
        statsUpdate(fake.current().seq + 1, [{ id: 't-rdp', bytesIn: 60_000_000 }], now, {
          ...totals,
          't-rdp': { ...totals['t-rdp']!, todayIn: 59_765_888, allTimeIn: 9_835_000_000 },
        }),
      );
    });
    expect(text(within(detail).getByTestId('bytes-in'))).toBe('60 MB');
    expect(text(within(detail).getByTestId('today-in'))).toBe('60 MB');
    expect(text(within(detail).getByTestId('all-time-in'))).toBe('9.8 GB');

    // A tunnel with no totals yet shows zeros, not dashes.
    const none = await expand(user, 't-web');
    expect(text(within(none).getByTestId('today-in'))).toBe('0 B');
    expect(text(within(none).getByTestId('all-time-out'))).toBe('0 B');
    expect(text(none)).not.toContain('—');
  });

  it('shows the rate with a sparkline and the last activity on a ready tunnel, nothing on an off one', async () => {
    const now = Date.now();
    const { fake } = await renderOnFake({
      snapshot: activeSnapshot(now - 20_000),
      view: 'tunnels',
    });
    expect(within(row('t-ssh')).queryByTestId('rate')).toBeNull();
    expect(within(row('t-ssh')).queryByTestId('sparkline')).toBeNull();
    expect(text(within(row('t-rdp')).getByTestId('rate'))).toBe('↓ 1.2 MB/s · ↑ 82 KB/s');
    expect(
      within(row('t-rdp')).getByRole('img', { name: /^Traffic in the last minute: / }),
    ).toBeTruthy();
    act(() => {
      fake.emit(
        'cloudbridge:stats.changed',
        statsUpdate(
          fake.current().seq + 1,
          [{ id: 't-rdp', bytesIn: 48_300_000, bytesOut: 3_201_554, rateInBps: 0 }],
          now - 12_000,
        ),
      );
    });
    await waitFor(() =>
      expect(text(within(row('t-rdp')).getByTestId('tunnel-activity'))).toMatch(
        /^Last activity 1[2-4] s ago$/,
      ),
    );
    expect(text(within(row('t-rdp')).getByTestId('rate'))).toBe('↓ 0 B/s · ↑ 0 B/s');
  });

  it('speaks Russian on the row and in its menu', async () => {
    const { user } = await renderOnFake({
      snapshot: activeSnapshot(Date.now()),
      view: 'tunnels',
      systemLanguage: 'ru-RU',
    });
    expect(text(within(row('t-rdp')).getByTestId('tunnel-status'))).toBe('Работает');
    expect(text(within(row('t-ssh')).getByTestId('tunnel-status'))).toBe('Выключен');
    await user.click(within(row('t-web')).getByRole('button', { name: 'Ещё для «Intranet»' }));
    const menu = within(row('t-web')).getByRole('menu');
    expect(within(menu).getAllByRole('menuitem').map(text)).toEqual([
      'Копировать',
      'Изменить',
      'Сменить локальный порт…',
      'Повторить',
      'Удалить',
    ]);
  });
});

// Tunnels screen over main's real services and a real relay: the switch calls main and the row
// shows the tunnel listening, a port held by another program shows who holds it, Open for
// ready RDP, SSH and Web tunnels, the editor checks each field as typed, edit and remove from
// the row's menu. On the fake bridge: counters from crafted stats pushes (a late older one
// included), and field problems from main that the editor's own checks, the same rules,
// never let through.
import { beforeAll, describe, expect, it } from 'vitest';
import { act, screen, waitFor, within } from '@testing-library/react';
import type { UserEvent } from '@testing-library/user-event';
import type { TunnelDraft } from '../../src-main/shared/ipc-contract';
import { activeSnapshot, MAIN_REPLIES, statsUpdate } from '../harness/fake-bridge';
import { expectOk, mainServices, signedIn, type RelayUnderTest } from './main-services';
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

function row(id: string): HTMLElement {
  return screen.getByTestId(`tunnel-${id}`);
}

function fieldError(label: string): string | null {
  const input = screen.getByLabelText(label);
  const id = input
    .getAttribute('aria-describedby')
    ?.split(' ')
    .find((x) => x.endsWith('-error'));
  return id ? text(document.getElementById(id)!) : null;
}

async function draft(name: string, kind: TunnelDraft['kind'], enabled: boolean, port?: number) {
  return {
    name,
    kind,
    localHost: '127.0.0.1',
    localPort: port ?? (await mainServices().freePort()),
    remoteHost: '127.0.0.1',
    remotePort: kind === 'rdp' ? 3389 : kind === 'ssh' ? 22 : 80,
    enabled,
  } satisfies TunnelDraft;
}

const statusOf = (id: string) => text(within(row(id)).getByTestId('tunnel-status'));

/** Opens a row's "..." menu and picks an item. */
async function fromMenu(user: UserEvent, id: string, item: string) {
  await user.click(within(row(id)).getByRole('button', { name: /^More for / }));
  await user.click(within(row(id)).getByRole('menuitem', { name: item }));
}

/** Shows a row's details (its name is the disclosure button). */
async function expand(user: UserEvent, id: string) {
  const heading = document.getElementById(`tunnel-${id}-name`)!;
  await user.click(within(heading).getByRole('button', { expanded: false }));
  return within(row(id)).getByTestId('tunnel-detail');
}

describe('Tunnels screen', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('turns a tunnel on through the bridge and shows it listening', async () => {
    const main = await mainServices().startMain();
    const {
      tunnels: [ssh],
    } = await signedIn(main, relay, { tunnels: [await draft('Build server', 'ssh', false)] });
    const { user } = await renderApp(main, { view: 'tunnels' });
    const id = ssh!.id;
    expect(statusOf(id)).toBe('Off');
    const toggle = within(row(id)).getByRole('switch', {
      name: 'Turn tunnel Build server on or off',
    });
    expect(toggle.getAttribute('aria-checked')).toBe('false');
    await user.click(toggle);
    expect(main.callsTo('cloudbridge:tunnel.setEnabled')).toEqual([{ id, enabled: true }]);
    await waitFor(() => expect(statusOf(id)).toBe('Ready'), { timeout: MAIN_PUSH_TIMEOUT_MS });
    expect(toggle.getAttribute('aria-checked')).toBe('true');
  });

  it('shows a port-in-use error with the detail of who holds the port', async () => {
    const main = await mainServices().startMain();
    const held = await mainServices().holdPort();
    const {
      tunnels: [web],
    } = await signedIn(main, relay, {
      tunnels: [await draft('Intranet', 'other', true, held)],
      connect: false,
    });
    expectOk(await main.prep.sessionConnect(), 'connecting');
    await renderApp(main, { view: 'tunnels' });
    const error = await within(row(web!.id)).findByTestId(
      'tunnel-error',
      {},
      { timeout: MAIN_PUSH_TIMEOUT_MS },
    );
    expect(text(error)).toContain('The local port is already in use by another program.');
    expect(text(error)).toContain('Choose another local port');
    // Main looks the holder up (here the process holding the port for this test).
    await waitFor(
      () =>
        expect(text(error)).toMatch(new RegExp(`Port ${held} is held by .+ \\(process \\d+\\)\\.`)),
      {
        timeout: MAIN_PUSH_TIMEOUT_MS,
      },
    );
  });

  it('offers Open for ready RDP and Web tunnels: main launches the client or the browser', async () => {
    const main = await mainServices().startMain();
    const { tunnels } = await signedIn(main, relay, {
      tunnels: [
        await draft('Office desktop', 'rdp', true),
        await draft('Build server', 'ssh', false),
        await draft('Database', 'other', true),
        { ...(await draft('Intranet', 'web', true)), remotePort: 80 },
      ],
    });
    const [rdp, ssh, other, web] = tunnels.map((t) => t.id);
    const { user } = await renderApp(main, { view: 'tunnels' });
    const open = (id: string) => within(row(id)).queryByRole('button', { name: 'Open' });
    for (const id of [rdp!, ssh!, other!, web!]) await expand(user, id);
    expect(open(rdp!)).not.toBeNull();
    expect(open(web!)).not.toBeNull();
    // Off, or nothing to open it with: no Open.
    expect(open(ssh!)).toBeNull();
    expect(open(other!)).toBeNull();
    await user.click(open(rdp!)!);
    await user.click(open(web!)!);
    expect(main.callsTo('cloudbridge:tunnel.open')).toEqual([{ id: rdp }, { id: web }]);
    const { launched, openedUrls } = await main.outside();
    expect(launched).toHaveLength(1);
    expect(launched[0]?.args.join(' ')).toContain(String(tunnels[0]?.localPort));
    expect(openedUrls).toEqual([`http://127.0.0.1:${tunnels[3]?.localPort}/`]);
  });

  it('checks fields as they are typed: port range, host syntax, duplicate local port', async () => {
    const main = await mainServices().startMain();
    const taken = await mainServices().freePort();
    const free = await mainServices().freePort();
    expectOk(
      await main.prep.tunnelSave(await draft('Build server', 'ssh', false, taken)),
      'adding',
    );
    const { user } = await renderApp(main, { view: 'tunnels' });
    await user.click(button('Add tunnel'));
    await user.click(screen.getByRole('radio', { name: /^Other/ }));
    await user.type(screen.getByLabelText('Local port'), '70000');
    expect(fieldError('Local port')).toBe('Enter a port from 1 to 65535.');
    await user.clear(screen.getByLabelText('Local port'));
    await user.type(screen.getByLabelText('Local port'), String(taken));
    expect(fieldError('Local port')).toBe('Tunnel “Build server” already uses this local port.');
    await user.clear(screen.getByLabelText('Local port'));
    await user.type(screen.getByLabelText('Local port'), String(free));
    expect(fieldError('Local port')).toBeNull();
    await user.type(screen.getByLabelText('Remote host'), 'bad host!');
    expect(fieldError('Remote host')).toBe('Enter a host name or IP address.');
    await user.clear(screen.getByLabelText('Remote host'));
    await user.type(screen.getByLabelText('Remote host'), 'db.corp.example');
    expect(fieldError('Remote host')).toBeNull();

    // Submitting with the name still empty marks it and sends nothing.
    await user.click(button('Save'));
    expect(fieldError('Name')).toBe('Required.');
    expect(main.callsTo('cloudbridge:tunnel.save')).toHaveLength(0);

    await user.type(screen.getByLabelText('Name'), 'Database');
    await user.type(screen.getByLabelText('Remote port'), '5432');
    await user.click(button('Save'));
    const sent = {
      name: 'Database',
      kind: 'other',
      localHost: '127.0.0.1',
      localPort: free,
      remoteHost: 'db.corp.example',
      remotePort: 5432,
      enabled: true,
    };
    expect(main.callsTo('cloudbridge:tunnel.save')).toEqual([sent]);
    expect(await screen.findByRole('heading', { name: 'Database' })).toBeTruthy();
    expect(screen.queryByRole('form')).toBeNull();
    expect((await main.settings()).tunnels.map((t) => t.name)).toEqual([
      'Build server',
      'Database',
    ]);
  });

  it('edits and removes a tunnel after confirmation', async () => {
    const main = await mainServices().startMain();
    const saved = expectOk(
      await main.prep.tunnelSave(await draft('Build server', 'ssh', false)),
      'adding',
    );
    const { user } = await renderApp(main, { view: 'tunnels' });
    await fromMenu(user, saved.id, 'Edit');
    expect(screen.getByRole('radio', { name: /^SSH/ })).toHaveProperty('checked', true);
    const port = screen.getByLabelText<HTMLInputElement>('Remote port');
    expect(port.value).toBe('22');
    await user.clear(port);
    await user.type(port, '2200');
    await user.click(button('Save'));
    expect(main.callsTo('cloudbridge:tunnel.save')[0]).toMatchObject({
      id: saved.id,
      remotePort: 2200,
    });
    await waitFor(() => expect(screen.queryByRole('form')).toBeNull());
    expect((await main.settings()).tunnels[0]?.remotePort).toBe(2200);

    await fromMenu(user, saved.id, 'Remove');
    const confirm = screen.getByRole('alertdialog');
    await user.click(within(confirm).getByRole('button', { name: 'Remove' }));
    expect(main.callsTo('cloudbridge:tunnel.remove')).toEqual([{ id: saved.id }]);
    await waitFor(() => expect(screen.queryByTestId(`tunnel-${saved.id}`)).toBeNull());
    expect((await main.settings()).tunnels).toEqual([]);
  });
});

describe(
  'Tunnels screen, pushes and answers crafted on the fake bridge',
  { timeout: UI_TEST_TIMEOUT_MS },
  () => {
    it('updates bytes, rates and connections from stats pushes, never rolling back', async () => {
      const { fake, user } = await renderOnFake({
        snapshot: activeSnapshot(Date.now()),
        view: 'tunnels',
      });
      const rdp = row('t-rdp');
      await expand(user, 't-rdp');
      expect(text(within(rdp).getByTestId('bytes-in'))).toBe('48 MB');
      const seq = fake.current().seq;
      act(() => {
        fake.emit(
          'cloudbridge:stats.changed',
          statsUpdate(seq + 1, [
            {
              id: 't-rdp',
              bytesIn: 60 * 1024 * 1024,
              bytesOut: 1536,
              rateInBps: 2048,
              openConnections: 5,
            },
          ]),
        );
      });
      expect(text(within(rdp).getByTestId('bytes-in'))).toBe('63 MB');
      expect(text(within(rdp).getByTestId('bytes-out'))).toBe('1.5 KB');
      expect(text(within(rdp).getByTestId('rate'))).toBe('↓ 2 KB/s · ↑ 0 B/s');
      expect(text(within(rdp).getByTestId('connections'))).toBe('5');
      // A late batch from before the one shown must not roll the counters back.
      act(() => {
        fake.emit('cloudbridge:stats.changed', statsUpdate(seq, [{ id: 't-rdp', bytesIn: 1 }]));
      });
      expect(text(within(rdp).getByTestId('bytes-in'))).toBe('63 MB');
    });

    it('shows field errors returned by main on the fields themselves', async () => {
      const { fake, user } = await renderOnFake({
        snapshot: activeSnapshot(Date.now()),
        view: 'tunnels',
      });
      // Main's answer for a remote host its rules refuse (held to main in services-fake-bridge).
      fake.respond('cloudbridge:tunnel.save', () => MAIN_REPLIES.invalidRemoteHost);
      await user.click(button('Add tunnel'));
      await user.click(screen.getByRole('radio', { name: /^Other/ }));
      await user.type(screen.getByLabelText('Name'), 'Mail');
      await user.type(screen.getByLabelText('Local port'), '1143');
      await user.type(screen.getByLabelText('Remote host'), 'mail.corp.example');
      await user.type(screen.getByLabelText('Remote port'), '143');
      await user.click(button('Save'));
      expect(fieldError('Remote host')).toBe('Enter a host name or IP address.');
      expect(screen.getByText('The relay rejected this tunnel’s settings.')).toBeTruthy();
      // Editing the field clears main's message for it.
      await user.type(screen.getByLabelText('Remote host'), 'x');
      expect(fieldError('Remote host')).toBeNull();
    });
  },
);

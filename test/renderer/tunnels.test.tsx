// Tunnels screen: the switch calls main, live counters update the row, the editor checks each
// field as typed and shows main's field errors, port-in-use shows its detail, Open for RDP/SSH.
import { describe, expect, it } from 'vitest';
import { act, screen, within } from '@testing-library/react';
import { activeSnapshot } from '../harness/fake-bridge';
import { button, renderApp, text, UI_TEST_TIMEOUT_MS } from './render-app';

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

describe('Tunnels screen', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('turns a tunnel on through the bridge and shows it listening', async () => {
    const { fake, user } = await renderApp({
      snapshot: activeSnapshot(Date.now()),
      view: 'tunnels',
    });
    const ssh = row('t-ssh');
    expect(text(within(ssh).getByTestId('tunnel-status'))).toBe('Off');
    const toggle = within(ssh).getByRole('switch', { name: 'Turn tunnel Build server on or off' });
    expect(toggle.getAttribute('aria-checked')).toBe('false');
    await user.click(toggle);
    expect(fake.callsTo('cloudbridge:tunnel.setEnabled')).toEqual([{ id: 't-ssh', enabled: true }]);
    expect(toggle.getAttribute('aria-checked')).toBe('true');
    expect(text(within(ssh).getByTestId('tunnel-status'))).toBe('Listening');
  });

  it('updates bytes, rates and connections from stats pushes', async () => {
    const { fake } = await renderApp({ snapshot: activeSnapshot(Date.now()), view: 'tunnels' });
    const rdp = row('t-rdp');
    expect(text(within(rdp).getByTestId('bytes-in'))).toBe('46 MiB');
    act(() => {
      fake.emit('cloudbridge:stats.changed', {
        seq: 100,
        at: new Date().toISOString(),
        tunnels: [
          {
            id: 't-rdp',
            bytesIn: 60 * 1024 * 1024,
            bytesOut: 1536,
            rateInBps: 2048,
            rateOutBps: 0,
            openConnections: 5,
          },
        ],
      });
    });
    expect(text(within(rdp).getByTestId('bytes-in'))).toBe('60 MiB');
    expect(text(within(rdp).getByTestId('bytes-out'))).toBe('1.5 KiB');
    expect(text(within(rdp).getByTestId('rate'))).toBe('↓ 2 KiB/s · ↑ 0 B/s');
    expect(text(within(rdp).getByTestId('connections'))).toBe('5');
    // A late, older batch must not roll the counters back.
    act(() => {
      fake.emit('cloudbridge:stats.changed', {
        seq: 99,
        at: new Date().toISOString(),
        tunnels: [
          { id: 't-rdp', bytesIn: 1, bytesOut: 1, rateInBps: 0, rateOutBps: 0, openConnections: 0 },
        ],
      });
    });
    expect(text(within(rdp).getByTestId('bytes-in'))).toBe('60 MiB');
  });

  it('shows a port-in-use error with the detail of who holds the port', async () => {
    await renderApp({ snapshot: activeSnapshot(Date.now()), view: 'tunnels' });
    const web = row('t-web');
    const error = within(web).getByTestId('tunnel-error');
    expect(text(error)).toContain('The local port is already in use by another program.');
    expect(text(error)).toContain('127.0.0.1:8080 is held by nginx (pid 1234)');
    expect(text(error)).toContain('Choose another local port');
  });

  it('offers Open only for active RDP and SSH tunnels', async () => {
    const { fake, user } = await renderApp({
      snapshot: activeSnapshot(Date.now()),
      view: 'tunnels',
    });
    expect(within(row('t-rdp')).queryByRole('button', { name: 'Open' })).not.toBeNull();
    expect(within(row('t-ssh')).queryByRole('button', { name: 'Open' })).toBeNull();
    expect(within(row('t-web')).queryByRole('button', { name: 'Open' })).toBeNull();
    await user.click(within(row('t-rdp')).getByRole('button', { name: 'Open' }));
    expect(fake.callsTo('cloudbridge:tunnel.open')).toEqual([{ id: 't-rdp' }]);
  });

  it('checks fields as they are typed: port range, host syntax, duplicate local port', async () => {
    const { fake, user } = await renderApp({
      snapshot: activeSnapshot(Date.now()),
      view: 'tunnels',
    });
    await user.click(button('Add tunnel'));
    await user.type(screen.getByLabelText('Local port'), '70000');
    expect(fieldError('Local port')).toBe('Enter a port from 1 to 65535.');
    await user.clear(screen.getByLabelText('Local port'));
    await user.type(screen.getByLabelText('Local port'), '2222');
    expect(fieldError('Local port')).toBe('Tunnel “Build server” already uses this local port.');
    await user.clear(screen.getByLabelText('Local port'));
    await user.type(screen.getByLabelText('Local port'), '15000');
    expect(fieldError('Local port')).toBeNull();
    await user.type(screen.getByLabelText('Remote host'), 'bad host!');
    expect(fieldError('Remote host')).toBe('Enter a host name or IP address.');
    await user.clear(screen.getByLabelText('Remote host'));
    await user.type(screen.getByLabelText('Remote host'), 'db.corp.example');
    expect(fieldError('Remote host')).toBeNull();

    // Submitting with the name still empty marks it and sends nothing.
    await user.click(button('Save'));
    expect(fieldError('Name')).toBe('Required.');
    expect(fake.callsTo('cloudbridge:tunnel.save')).toHaveLength(0);

    await user.type(screen.getByLabelText('Name'), 'Database');
    await user.type(screen.getByLabelText('Remote port'), '5432');
    await user.click(button('Save'));
    expect(fake.callsTo('cloudbridge:tunnel.save')).toEqual([
      {
        name: 'Database',
        kind: 'other',
        localHost: '127.0.0.1',
        localPort: 15000,
        remoteHost: 'db.corp.example',
        remotePort: 5432,
        enabled: true,
      },
    ]);
    expect(screen.queryByRole('form')).toBeNull();
    expect(screen.getByRole('heading', { name: 'Database' })).toBeTruthy();
  });

  it('shows field errors returned by main on the fields themselves', async () => {
    const { fake, user } = await renderApp({
      snapshot: activeSnapshot(Date.now()),
      view: 'tunnels',
    });
    fake.respond('cloudbridge:tunnel.save', () => ({
      ok: false,
      error: { code: 'invalid_tunnel_info', message: 'rejected', at: new Date().toISOString() },
      // Main sends message keys, never sentences: the window says it in its own words.
      fields: { remoteHost: { key: 'validation.host' } },
    }));
    await user.click(button('Add tunnel'));
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

  it('edits and removes a tunnel after confirmation', async () => {
    const { fake, user } = await renderApp({
      snapshot: activeSnapshot(Date.now()),
      view: 'tunnels',
    });
    await user.click(within(row('t-ssh')).getByRole('button', { name: 'Edit' }));
    const port = screen.getByLabelText<HTMLInputElement>('Remote port');
    expect(port.value).toBe('22');
    await user.clear(port);
    await user.type(port, '2200');
    await user.click(button('Save'));
    expect(fake.callsTo('cloudbridge:tunnel.save')[0]).toMatchObject({
      id: 't-ssh',
      remotePort: 2200,
    });

    await user.click(within(row('t-ssh')).getByRole('button', { name: 'Remove' }));
    const confirm = screen.getByRole('alertdialog');
    await user.click(within(confirm).getByRole('button', { name: 'Remove' }));
    expect(fake.callsTo('cloudbridge:tunnel.remove')).toEqual([{ id: 't-ssh' }]);
    expect(screen.queryByTestId('tunnel-t-ssh')).toBeNull();
  });
});

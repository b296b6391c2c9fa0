// Settings screen: the relay profile is checked on the fields and saved whole, "Saved." stays
// after main's answer re-creates the form, switches save at once, main's field errors show,
// and what it shows comes from main's pushes only, never from a reply.
import { act, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { activeSnapshot, firstRunSnapshot } from '../harness/fake-bridge';
import { button, renderApp, UI_TEST_TIMEOUT_MS } from './render-app';

describe('Settings screen', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('saves a relay profile and says so', async () => {
    const { fake, user } = await renderApp({
      snapshot: firstRunSnapshot(Date.now()),
      view: 'settings',
    });
    await user.type(screen.getByLabelText('Host'), 'relay.example.org');
    await user.clear(screen.getByLabelText('Port'));
    await user.type(screen.getByLabelText('Port'), '8443');
    await user.type(screen.getByLabelText('CA file (PEM)'), '/etc/cloudbridge/ca.pem');
    await user.type(screen.getByLabelText('Server name (SNI)'), 'relay.internal');
    await user.click(button('Save relay'));
    expect(fake.callsTo('cloudbridge:settings.update')).toEqual([
      {
        relay: {
          id: 'default',
          name: 'relay.example.org',
          host: 'relay.example.org',
          port: 8443,
          caFile: '/etc/cloudbridge/ca.pem',
          pinSha256: null,
          serverName: 'relay.internal',
          insecure: false,
          opener: 'auto',
          builtin: false,
        },
      },
    ]);
    expect(screen.getByText('Saved.')).toBeTruthy();
    expect(screen.getByLabelText<HTMLInputElement>('Host').value).toBe('relay.example.org');
  });

  it('refuses a bad port or pin on the field and sends nothing', async () => {
    const { fake, user } = await renderApp({
      snapshot: firstRunSnapshot(Date.now()),
      view: 'settings',
    });
    await user.type(screen.getByLabelText('Host'), 'relay.example.org');
    await user.clear(screen.getByLabelText('Port'));
    await user.type(screen.getByLabelText('Port'), '0');
    await user.type(screen.getByLabelText('Key pin (SHA-256, base64)'), 'short');
    await user.click(button('Save relay'));
    expect(screen.getByText('Enter a port from 1 to 65535.')).toBeTruthy();
    expect(screen.getByText('Enter 44 base64 characters (a SHA-256 digest).')).toBeTruthy();
    expect(fake.callsTo('cloudbridge:settings.update')).toHaveLength(0);
  });

  it('warns while the insecure switch is on', async () => {
    const { user } = await renderApp({ snapshot: activeSnapshot(Date.now()), view: 'settings' });
    expect(screen.queryByRole('alert', { name: 'Insecure relay connection' })).toBeNull();
    await user.click(
      screen.getByRole('switch', { name: 'Insecure plaintext connection (development only)' }),
    );
    expect(screen.getByRole('alert', { name: 'Insecure relay connection' })).toBeTruthy();
  });

  it('saves switches at once', async () => {
    const { fake, user } = await renderApp({
      snapshot: activeSnapshot(Date.now()),
      view: 'settings',
    });
    await user.click(screen.getByRole('switch', { name: 'Launch at login' }));
    await user.click(screen.getByRole('switch', { name: 'When the connection is lost' }));
    expect(fake.callsTo('cloudbridge:settings.update')).toEqual([
      { launchAtLogin: true },
      { notifications: { connectionLost: false, connectionRestored: true, tokenExpiry: true } },
    ]);
    expect(
      screen.getByRole('switch', { name: 'Launch at login' }).getAttribute('aria-checked'),
    ).toBe('true');
    // The words next to a switch flip it as well.
    await user.click(screen.getByText('Connect when the app starts'));
    expect(fake.callsTo('cloudbridge:settings.update').at(-1)).toEqual({ autoConnect: false });
  });

  it('shows a setting as main pushes it, and a reply carrying settings changes nothing', async () => {
    const { fake, user } = await renderApp({
      snapshot: activeSnapshot(Date.now()),
      view: 'settings',
    });
    // Main always pushes app.changed; this answer carries the settings but nothing is pushed.
    fake.respond('cloudbridge:settings.update', (patch) => ({
      ok: true,
      value: { ...fake.current().settings, ...patch },
    }));
    const loginSwitch = () => screen.getByRole('switch', { name: 'Launch at login' });
    await user.click(loginSwitch());
    expect(fake.callsTo('cloudbridge:settings.update')).toEqual([{ launchAtLogin: true }]);
    expect(loginSwitch().getAttribute('aria-checked')).toBe('false');
    // The push alone moves it.
    act(() => {
      fake.update((s) => ({ ...s, settings: { ...s.settings, launchAtLogin: true } }));
    });
    expect(loginSwitch().getAttribute('aria-checked')).toBe('true');
  });

  it("shows main's refusal of the relay on its fields, in the window's words", async () => {
    const { fake, user } = await renderApp({
      snapshot: firstRunSnapshot(Date.now()),
      view: 'settings',
    });
    fake.respond('cloudbridge:settings.update', () => ({
      ok: false,
      error: {
        code: 'tls_error',
        message: 'Cannot read the CA file.',
        at: new Date().toISOString(),
      },
      fields: { host: { key: 'validation.host' }, caFile: { key: 'validation.required' } },
    }));
    await user.type(screen.getByLabelText('Host'), 'relay.example.org');
    await user.click(button('Save relay'));
    expect(screen.getByText('Enter a host name or IP address.')).toBeTruthy();
    expect(screen.getByText('Required.')).toBeTruthy();
    expect(screen.queryByText('Saved.')).toBeNull();
  });
});

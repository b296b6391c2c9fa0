// Settings screen over main's real services: the relay profile is checked on the fields and
// saved whole, "Saved." stays after main's answer re-creates the form, switches save at once,
// a CA file main cannot read is said plainly. On the fake bridge, the two answers main's rules
// make unreachable from this form: field problems from main, and a reply with no push.
import { act, screen, waitFor } from '@testing-library/react';
import { beforeAll, describe, expect, it } from 'vitest';
import { activeSnapshot, firstRunSnapshot, MAIN_REPLIES } from '../harness/fake-bridge';
import { mainServices, signedIn, type RelayUnderTest } from './main-services';
import { button, renderApp, renderOnFake, text, UI_TEST_TIMEOUT_MS } from './render-app';

let relay: RelayUnderTest;
beforeAll(async () => {
  relay = await mainServices().startRelay();
});

describe('Settings screen', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('saves a relay profile and says so', async () => {
    const main = await mainServices().startMain();
    const { user } = await renderApp(main, { view: 'settings' });
    const caFile = relay.profile().caFile ?? '';
    await user.type(screen.getByLabelText('Host'), '127.0.0.1');
    await user.clear(screen.getByLabelText('Port'));
    await user.type(screen.getByLabelText('Port'), String(relay.port));
    await user.type(screen.getByLabelText('CA file (PEM)'), caFile);
    await user.type(screen.getByLabelText('Server name (SNI)'), 'localhost');
    await user.click(button('Save relay'));
    const profile = {
      id: 'default',
      name: '127.0.0.1',
      host: '127.0.0.1',
      port: relay.port,
      caFile,
      pinSha256: null,
      serverName: 'localhost',
      insecure: false,
      opener: 'auto',
      builtin: false,
    };
    expect(main.callsTo('cloudbridge:settings.update')).toEqual([{ relay: profile }]);
    expect(await screen.findByText('Saved.')).toBeTruthy();
    expect(screen.getByLabelText<HTMLInputElement>('Host').value).toBe('127.0.0.1');
    expect((await main.settings()).relay).toEqual(profile);
  });

  it('refuses a bad port or pin on the field and sends nothing', async () => {
    const main = await mainServices().startMain();
    const { user } = await renderApp(main, { view: 'settings' });
    await user.type(screen.getByLabelText('Host'), 'relay.example.org');
    await user.clear(screen.getByLabelText('Port'));
    await user.type(screen.getByLabelText('Port'), '0');
    await user.type(screen.getByLabelText('Key pin (SHA-256, base64)'), 'short');
    await user.click(button('Save relay'));
    expect(screen.getByText('Enter a port from 1 to 65535.')).toBeTruthy();
    expect(screen.getByText('Enter 44 base64 characters (a SHA-256 digest).')).toBeTruthy();
    expect(main.callsTo('cloudbridge:settings.update')).toHaveLength(0);
    expect((await main.settings()).relay).toBeNull();
  });

  it('says plainly when main cannot read the CA file, and does not say Saved.', async () => {
    const main = await mainServices().startMain();
    const { user } = await renderApp(main, { view: 'settings' });
    await user.type(screen.getByLabelText('Host'), '127.0.0.1');
    await user.type(screen.getByLabelText('CA file (PEM)'), '/nonexistent/cloudbridge-ca.pem');
    await user.click(button('Save relay'));
    const panel = text(await screen.findByRole('alert'));
    expect(panel).toContain('A secure connection to the relay could not be made.');
    expect(panel).toContain("no such file or directory, open '/nonexistent/cloudbridge-ca.pem'");
    expect(panel).toContain('Check the CA file, pin and server name in Settings.');
    expect(screen.queryByText('Saved.')).toBeNull();
  });

  it('warns while the insecure switch is on', async () => {
    const main = await mainServices().startMain();
    await signedIn(main, relay, { connect: false });
    const { user } = await renderApp(main, { view: 'settings' });
    expect(screen.queryByRole('alert', { name: 'Insecure relay connection' })).toBeNull();
    await user.click(
      screen.getByRole('switch', { name: 'Insecure plaintext connection (development only)' }),
    );
    expect(screen.getByRole('alert', { name: 'Insecure relay connection' })).toBeTruthy();
  });

  it('saves switches at once', async () => {
    const main = await mainServices().startMain();
    const { user } = await renderApp(main, { view: 'settings' });
    const before = await main.settings();
    await user.click(screen.getByRole('switch', { name: 'Launch at login' }));
    await user.click(screen.getByRole('switch', { name: 'When the connection is lost' }));
    expect(main.callsTo('cloudbridge:settings.update')).toEqual([
      { launchAtLogin: !before.launchAtLogin },
      { notifications: { ...before.notifications, connectionLost: false } },
    ]);
    // The switch shows what main saved once main pushes it.
    await waitFor(() =>
      expect(
        screen.getByRole('switch', { name: 'Launch at login' }).getAttribute('aria-checked'),
      ).toBe(String(!before.launchAtLogin)),
    );
    // The words next to a switch flip it as well.
    await user.click(screen.getByText('Connect when the app starts'));
    expect(main.callsTo('cloudbridge:settings.update').at(-1)).toEqual({
      autoConnect: !before.autoConnect,
    });
    expect(await main.settings()).toMatchObject({
      launchAtLogin: !before.launchAtLogin,
      autoConnect: !before.autoConnect,
      notifications: { connectionLost: false },
    });
  });
});

describe(
  'Settings screen, answers main does not give this form',
  { timeout: UI_TEST_TIMEOUT_MS },
  () => {
    it('shows a setting as main pushes it, and a reply carrying settings changes nothing', async () => {
      const { fake, user } = await renderOnFake({
        snapshot: activeSnapshot(Date.now()),
        view: 'settings',
      });
      // Main always pushes app.changed before this answer; here nothing is pushed.
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
      const { fake, user } = await renderOnFake({
        snapshot: firstRunSnapshot(Date.now()),
        view: 'settings',
      });
      // What main answers for a relay its rules refuse (held to main in services-fake-bridge).
      fake.respond('cloudbridge:settings.update', () => MAIN_REPLIES.invalidRelay);
      await user.type(screen.getByLabelText('Host'), 'relay.example.org');
      await user.click(button('Save relay'));
      expect(screen.getByText('Enter a host name or IP address.')).toBeTruthy();
      expect(screen.getByText('Enter a port from 1 to 65535.')).toBeTruthy();
      expect(screen.queryByText('Saved.')).toBeNull();
    });
  },
);

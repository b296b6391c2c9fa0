// Settings screen over main's real services: the relay is edited and saved as one profile
// (TLS fields under Advanced, the CA file from main's own dialog), "Saved." stays after main's
// answer re-creates it, Test connection dials a real relay and reports each step without saving
// (its key can be pinned from there), switches apply at once and say so the same way, a CA file
// main cannot read is said plainly. On the fake bridge, the two answers main's rules make
// unreachable from this form: field problems from main, and a reply with no push.
import { act, screen, waitFor, within } from '@testing-library/react';
import { beforeAll, describe, expect, it } from 'vitest';
import { activeSnapshot, firstRunSnapshot, MAIN_REPLIES } from '../harness/fake-bridge';
import { mainServices, signedIn, type RelayUnderTest } from './main-services';
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

type User = Awaited<ReturnType<typeof renderApp>>['user'];

const ADVANCED = 'Advanced: certificate, pin, server name';

const advanced = () => screen.getByText(ADVANCED).closest('details');

/** Opens Advanced (it opens by itself when the saved profile uses any of its fields). */
async function openAdvanced(user: User) {
  if (advanced()?.open !== true) await user.click(screen.getByText(ADVANCED));
  expect(advanced()?.open).toBe(true);
}

/** Each step of the test's answer: its outcome, name and words, as a screen reader reads them. */
function steps(): string[] {
  return ['reach', 'tls', 'pin', 'auth'].map((step) =>
    [...screen.getByTestId(`relay-test-${step}`).children].map((part) => text(part)).join(' '),
  );
}

const says = (testId: string, words: string) =>
  waitFor(() => expect(text(screen.getByTestId(testId))).toBe(words), {
    timeout: MAIN_PUSH_TIMEOUT_MS,
  });

describe('Settings screen', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('saves a relay profile, with its CA file from main’s dialog, and says so', async () => {
    const caFile = relay.profile().caFile ?? '';
    const main = await mainServices().startMain({ caFileChoice: caFile });
    const { user } = await renderApp(main, { view: 'settings' });
    await user.type(screen.getByLabelText('Host'), '127.0.0.1');
    await user.clear(screen.getByLabelText('Port'));
    await user.type(screen.getByLabelText('Port'), String(relay.port));
    await openAdvanced(user);
    await user.click(button('Choose…'));
    expect(main.callsTo('cloudbridge:relay.chooseCaFile')).toHaveLength(1);
    await waitFor(() =>
      expect(screen.getByLabelText<HTMLInputElement>('CA file (PEM)').value).toBe(caFile),
    );
    await user.type(screen.getByLabelText('Server name (SNI)'), 'localhost');
    await user.click(button('Save'));
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
    await says('relay-saved', 'Saved.');
    // The saved profile in one glance, as main pushed it.
    expect(text(screen.getByTestId('relay-address'))).toBe(`127.0.0.1:${relay.port}`);
    expect(text(screen.getByTestId('relay-summary'))).toContain(caFile);
    expect((await main.settings()).relay).toEqual(profile);
  });

  it('refuses a bad port or pin on the field, opening Advanced for the pin, and sends nothing', async () => {
    const main = await mainServices().startMain();
    const { user } = await renderApp(main, { view: 'settings' });
    await user.type(screen.getByLabelText('Host'), 'relay.example.org');
    await user.clear(screen.getByLabelText('Port'));
    await user.type(screen.getByLabelText('Port'), '0');
    await openAdvanced(user);
    await user.type(screen.getByLabelText('Key pin (SHA-256, base64)'), 'short');
    // Closed again: a problem inside must open it.
    await user.click(screen.getByText(ADVANCED));
    expect(advanced()?.open).toBe(false);
    await user.click(button('Save'));
    expect(screen.getByText('Enter a port from 1 to 65535.')).toBeTruthy();
    expect(screen.getByText('Enter 44 base64 characters (a SHA-256 digest).')).toBeTruthy();
    expect(advanced()?.open).toBe(true);
    expect(main.callsTo('cloudbridge:settings.update')).toHaveLength(0);
    expect((await main.settings()).relay).toBeNull();
  });

  it('says plainly when main cannot read the CA file, and does not say Saved.', async () => {
    const main = await mainServices().startMain();
    const { user } = await renderApp(main, { view: 'settings' });
    await user.type(screen.getByLabelText('Host'), '127.0.0.1');
    await openAdvanced(user);
    await user.type(screen.getByLabelText('CA file (PEM)'), '/nonexistent/cloudbridge-ca.pem');
    await user.click(button('Save'));
    const panel = text(await screen.findByRole('alert'));
    expect(panel).toContain('A secure connection to the relay could not be made.');
    expect(panel).toContain("no such file or directory, open '/nonexistent/cloudbridge-ca.pem'");
    expect(panel).toContain('Check the CA file, pin and server name in Settings.');
    expect(screen.queryByText('Saved.')).toBeNull();
  });

  it('tests the saved relay step by step, saves nothing, and pins the key it saw', async () => {
    const main = await mainServices().startMain();
    await signedIn(main, relay, { connect: false });
    const { user } = await renderApp(main, { view: 'settings' });
    const before = await main.settings();
    await user.click(button('Test connection'));
    await screen.findByTestId('relay-test', {}, { timeout: MAIN_PUSH_TIMEOUT_MS });
    expect(main.callsTo('cloudbridge:relay.test')).toEqual([before.relay]);
    const [reach, tls, pin, auth] = steps();
    expect(reach).toBe(`Passed: Reach the relay Reached 127.0.0.1:${relay.port}.`);
    expect(tls).toBe(
      'Passed: Secure connection TLS 1.3; the certificate is trusted through the CA file.',
    );
    expect(pin).toMatch(
      /^Not checked: Key pin No key is pinned\. The relay’s key is [A-Za-z0-9+/=]{44}\. Pin this key$/,
    );
    expect(auth).toBe('Passed: Sign in The relay accepted your token.');
    expect(text(screen.getByTestId('relay-test'))).toContain(
      'Every check passed. Nothing was saved.',
    );
    expect(main.callsTo('cloudbridge:settings.update')).toHaveLength(0);
    expect(await main.settings()).toEqual(before);
    // The key the relay showed, pinned from the answer and saved with Save.
    const key = /key is ([A-Za-z0-9+/=]{44})\./.exec(pin ?? '')?.[1];
    await user.click(button('Pin this key'));
    expect(screen.getByLabelText<HTMLInputElement>('Key pin (SHA-256, base64)').value).toBe(key);
    await user.click(button('Save'));
    await waitFor(async () => expect((await main.settings()).relay?.pinSha256).toBe(key), {
      timeout: MAIN_PUSH_TIMEOUT_MS,
    });
  });

  it('tests what is typed without saving it, and keeps the token from a relay it is not bound to', async () => {
    const main = await mainServices().startMain();
    await signedIn(main, relay, { connect: false });
    const { user } = await renderApp(main, { view: 'settings' });
    await user.click(button('Change…'));
    await user.clear(screen.getByLabelText('Host'));
    await user.type(screen.getByLabelText('Host'), 'localhost');
    await user.click(button('Test connection'));
    await screen.findByTestId('relay-test', {}, { timeout: MAIN_PUSH_TIMEOUT_MS });
    expect(main.callsTo('cloudbridge:relay.test')[0]).toMatchObject({ host: 'localhost' });
    expect(steps()[3]).toBe(
      'Not checked: Sign in Not tried: your token is saved for another relay and goes to this one only after you save it.',
    );
    expect((await main.settings()).relay?.host).toBe('127.0.0.1');
    // Cancel puts the saved profile back.
    await user.click(button('Cancel'));
    expect(text(screen.getByTestId('relay-address'))).toBe(`127.0.0.1:${relay.port}`);
  });

  it('reports a relay that cannot be reached at the first step', async () => {
    const main = await mainServices().startMain();
    const port = await mainServices().freePort();
    const { user } = await renderApp(main, { view: 'settings' });
    await user.type(screen.getByLabelText('Host'), '127.0.0.1');
    await user.clear(screen.getByLabelText('Port'));
    await user.type(screen.getByLabelText('Port'), String(port));
    await user.click(button('Test connection'));
    await screen.findByTestId('relay-test', {}, { timeout: MAIN_PUSH_TIMEOUT_MS });
    const [reach, ...rest] = steps();
    expect(reach).toContain(
      `Failed: Reach the relay 127.0.0.1:${port} could not be reached. The relay refused the connection, or its address was not found.`,
    );
    // Main's own words, folded away for a support request.
    expect(reach).toMatch(/Technical details\s?connection_refused ECONNREFUSED/);
    expect(rest).toEqual([
      'Not checked: Secure connection Not checked: an earlier step failed.',
      'Not checked: Key pin Not checked: an earlier step failed.',
      'Not checked: Sign in Not checked: an earlier step failed.',
    ]);
    expect(text(screen.getByTestId('relay-test'))).toContain('A check failed. Nothing was saved.');
  });

  it('warns while the insecure switch is on', async () => {
    const main = await mainServices().startMain();
    await signedIn(main, relay, { connect: false });
    const { user } = await renderApp(main, { view: 'settings' });
    await user.click(button('Change…'));
    await openAdvanced(user);
    expect(screen.queryByRole('alert', { name: 'Insecure relay connection' })).toBeNull();
    await user.click(
      screen.getByRole('switch', { name: 'Insecure plaintext connection (development only)' }),
    );
    expect(screen.getByRole('alert', { name: 'Insecure relay connection' })).toBeTruthy();
  });

  it('applies switches at once and says Saved. where they are', async () => {
    const main = await mainServices().startMain();
    const { user } = await renderApp(main, { view: 'settings' });
    const before = await main.settings();
    await user.click(screen.getByRole('switch', { name: 'Launch at login' }));
    await says('general-status', 'Saved.');
    await user.click(screen.getByRole('switch', { name: 'When the connection is lost' }));
    await says('notifications-status', 'Saved.');
    expect(screen.queryByTestId('general-status')).toBeNull();
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
    // Main answers the request after writing the settings file; the window is told at once.
    await waitFor(
      async () =>
        expect(await main.settings()).toMatchObject({
          launchAtLogin: !before.launchAtLogin,
          autoConnect: !before.autoConnect,
          notifications: { connectionLost: false },
        }),
      { timeout: MAIN_PUSH_TIMEOUT_MS },
    );
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
      await user.click(button('Save'));
      expect(screen.getByText('Enter a host name or IP address.')).toBeTruthy();
      expect(screen.getByText('Enter a port from 1 to 65535.')).toBeTruthy();
      expect(screen.queryByText('Saved.')).toBeNull();
      expect(within(screen.getByRole('form')).getByRole('button', { name: 'Save' })).toBeTruthy();
    });
  },
);

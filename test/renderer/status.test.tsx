// Status screen as a person sees it, over main's real services and a real relay: the state
// badge with the session's details, Reconnecting and back when the relay goes away and comes
// back, the last error in plain words with what to do, the plaintext warning, a locked keychain
// that is retried, first run and the built-in relay, notices. On the fake bridge: the countdown
// on a frozen clock, a reply that carries state without a push, and no bridge at all.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import { App } from '../../src-renderer/app';
import { AppProvider } from '../../src-renderer/app-context';
import { connectStore, createAppStore } from '../../src-renderer/store/app-store';
import { firstRunSnapshot, MAIN_REPLIES, reconnectingSnapshot } from '../harness/fake-bridge';
import { expectOk, mainServices, signedIn, type RelayUnderTest } from './main-services';
import {
  button,
  MAIN_PUSH_TIMEOUT_MS,
  renderApp,
  renderOnFake,
  text,
  UI_TEST_TIMEOUT_MS,
} from './render-app';

const NOW = Date.parse('2026-11-22T10:00:00.000Z');

let relay: RelayUnderTest;
beforeAll(async () => {
  relay = await mainServices().startRelay();
});

afterEach(() => {
  vi.useRealTimers();
});

const stateShows = (state: string) =>
  waitFor(() => expect(text(screen.getByRole('status'))).toMatch(state), {
    timeout: MAIN_PUSH_TIMEOUT_MS,
  });

describe('Status screen', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('shows the Active badge with the relay, client id and tenant', async () => {
    const main = await mainServices().startMain();
    await signedIn(main, relay, { claims: { sub: 'ivan' } });
    await renderApp(main);
    expect(text(screen.getByRole('status'))).toMatch('Active');
    expect(text(screen.getByTestId('relay'))).toMatch(`127.0.0.1:${relay.port}`);
    // As the relay answered the auth: the subject is the client id, its one tenant `default`.
    expect(text(screen.getByTestId('client-id'))).toMatch('ivan');
    expect(text(screen.getByTestId('tenant'))).toMatch('default');
    expect(text(screen.getByTestId('connected-since'))).toMatch(/now|second/);
    expect(screen.queryByTestId('reconnect')).toBeNull();
  });

  it('follows the connection: Active, Reconnecting while the relay is gone, Active again', async () => {
    const own = await mainServices().startRelay();
    const main = await mainServices().startMain();
    await signedIn(main, own);
    await renderApp(main);
    expect(text(screen.getByRole('status'))).toMatch('Active');
    await own.stop();
    await stateShows('Reconnecting');
    expect(text(await screen.findByTestId('attempt'))).toMatch(/^\(attempt \d+ of 10\)$/);
    // Healing itself: amber, with the reason and while it has been down.
    expect(screen.getByTestId('status-header').className).toContain('status-tone-warning');
    expect(screen.getByTestId('last-error')).toBeTruthy();
    await own.start();
    await stateShows('Active');
    expect(screen.queryByTestId('reconnect')).toBeNull();
    expect(screen.queryByTestId('last-error')).toBeNull();
    expect(text(screen.getByTestId('status-line'))).toBe(`Connected to 127.0.0.1:${own.port}.`);
  });

  it('counts down to the next reconnect attempt every second and offers Retry now', async () => {
    // Load on real timers (Testing Library's waiting needs them), then freeze time and open
    // Status, so its countdown runs on the fake clock from its first tick.
    const { fake, user } = await renderOnFake({
      snapshot: reconnectingSnapshot(NOW, 3, 4_000),
      view: 'about',
    });
    fake.respond('cloudbridge:session.retryNow', () => MAIN_REPLIES.done);
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    vi.setSystemTime(NOW);
    const tick = async (ms: number) => {
      await act(async () => {
        await vi.advanceTimersByTimeAsync(ms);
      });
    };
    act(() => {
      button('Status').click();
    });
    await tick(10);
    expect(text(screen.getByTestId('attempt'))).toBe('(attempt 3 of 10)');
    expect(text(screen.getByTestId('give-up'))).toBe(
      'After 10 attempts CloudBridge stops trying; Connect starts again.',
    );
    // The reason in plain words, and how long ago it happened, moving with the clock.
    const reason = screen.getByTestId('last-error');
    expect(text(reason)).toMatch(/^The connection to the relay was lost\. 3 s ago/);
    expect(text(screen.getByTestId('status-header'))).toContain('Check your network connection');
    expect(screen.getByTestId('status-header').className).toContain('status-tone-warning');
    // Down: "Disconnected since" the loss, tunnels waiting rather than "0 of 2 ready".
    expect(screen.queryByTestId('connected-since')).toBeNull();
    expect(screen.getByTestId('disconnected-since')).toBeTruthy();
    expect(screen.getByText('Disconnected since')).toBeTruthy();
    expect(text(screen.getByTestId('tunnels-summary'))).toBe('2 tunnels waiting for the relay');
    const countdown = screen.getByTestId('countdown');
    expect(text(countdown)).toBe('Next try in 4 s');
    await tick(1_000);
    expect(text(countdown)).toBe('Next try in 3 s');
    await tick(2_000);
    expect(text(countdown)).toBe('Next try in 1 s');
    await tick(1_000);
    expect(text(countdown)).toBe('Trying now…');
    expect(text(screen.getByTestId('error-age'))).toBe('7 s ago');

    vi.useRealTimers();
    await user.click(button('Retry now'));
    expect(fake.callsTo('cloudbridge:session.retryNow')).toHaveLength(1);
  });

  it('explains the last error in plain words and says what to do about it', async () => {
    const main = await mainServices().startMain();
    expectOk(await main.prep.settingsUpdate({ relay: relay.profile() }), 'choosing the relay');
    // Saved, the token goes to the relay at once (autoConnect), which refuses it.
    expectOk(await main.prep.tokenSave({ token: await relay.foreignToken() }), 'saving');
    await renderApp(main);
    const panel = await screen.findByTestId('last-error', {}, { timeout: MAIN_PUSH_TIMEOUT_MS });
    expect(text(panel)).toMatch('The relay did not accept your access token.');
    expect(text(panel)).toMatch('Paste a new token on the Account page.');
    await stateShows('Disconnected');
  });

  it('warns loudly when the relay connection is plaintext', async () => {
    const plain = await mainServices().startRelay({ plaintext: true });
    const main = await mainServices().startMain();
    await signedIn(main, plain);
    await renderApp(main);
    const warning = screen.getByTestId('insecure-warning');
    expect(warning.getAttribute('role')).toBe('alert');
    expect(text(warning)).toMatch('Insecure relay connection');
    expect(text(screen.getByRole('status'))).toMatch('Active');
  });

  it('says a locked keychain is retried, and does not ask for a new token', async () => {
    const main = await mainServices().startMain();
    await signedIn(main, relay);
    const { user } = await renderApp(main);
    await user.click(button('Disconnect'));
    await stateShows('Disconnected');
    await main.lockKeychain(true);
    await user.click(button('Connect'));
    const panel = await screen.findByTestId('last-error', {}, { timeout: MAIN_PUSH_TIMEOUT_MS });
    expect(text(panel)).toMatch('The system keychain cannot be used.');
    expect(text(panel)).toMatch('the app tries again by itself');
    expect(text(panel)).not.toMatch(/paste/i);
    expect((await main.snapshot()).engine.lastError?.code).toBe('keychain_unavailable');
  });

  it('shows the built-in relay once main pushes it, not from the reply', async () => {
    const { fake, user } = await renderOnFake({ snapshot: firstRunSnapshot(Date.now()) });
    const builtin = {
      id: 'builtin',
      name: 'Built-in local relay',
      host: '127.0.0.1',
      port: 8443,
      caFile: null,
      pinSha256: null,
      serverName: null,
      insecure: false,
      opener: 'auto' as const,
      builtin: true,
    };
    fake.respond('cloudbridge:relay.useBuiltin', () => ({
      ok: true,
      value: { ...fake.current().settings, relay: builtin },
    }));
    const relayStep = screen.getByTestId('step-relay');
    await user.click(
      within(relayStep).getByRole('button', { name: 'Use the built-in local relay' }),
    );
    expect(fake.callsTo('cloudbridge:relay.useBuiltin')).toHaveLength(1);
    expect(relayStep.className).toContain('checklist-step-current');
    expect(text(screen.getByTestId('relay'))).toMatch('No relay configured');
    act(() => {
      fake.update((s) => ({ ...s, settings: { ...s.settings, relay: builtin } }));
    });
    expect(screen.getByTestId('step-relay').className).toContain('checklist-step-done');
    expect(text(screen.getByTestId('step-relay'))).toContain('Using 127.0.0.1:8443');
    expect(text(screen.getByTestId('relay'))).toMatch('127.0.0.1:8443');
  });

  it('offers the built-in local relay on first run and hides the offer once chosen', async () => {
    const main = await mainServices().startMain({ builtinRelay: true });
    const { user } = await renderApp(main);
    const panel = screen.getByTestId('checklist');
    expect(text(within(panel).getByRole('heading', { level: 3 }))).toBe('Get started');
    // Connect cannot be pressed yet, and says why.
    const connect = button('Connect');
    expect(connect.disabled).toBe(true);
    expect(
      document.getElementById(connect.getAttribute('aria-describedby') ?? '')?.textContent,
    ).toMatch(/^Connect needs a relay: set one up first\./);
    await user.click(within(panel).getByRole('button', { name: 'Use the built-in local relay' }));
    expect(main.callsTo('cloudbridge:relay.useBuiltin')).toHaveLength(1);
    // Relay, sign-in (the built-in relay's own token) and its demo tunnel: the list is done.
    await waitFor(() => expect(screen.queryByTestId('checklist')).toBeNull(), {
      timeout: MAIN_PUSH_TIMEOUT_MS,
    });
    const { settings } = await main.snapshot();
    expect(settings.relay?.builtin).toBe(true);
    expect(text(screen.getByTestId('relay'))).toMatch(`127.0.0.1:${settings.relay?.port}`);
    // Main connects to it by itself; the window follows.
    await stateShows('Active');
  });

  it('says plainly when the window has no bridge to the service', () => {
    const store = createAppStore();
    connectStore(store, null);
    render(
      <AppProvider store={store} bridge={null} systemLanguage="en-US">
        <App />
      </AppProvider>,
    );
    expect(text(screen.getByRole('alert'))).toBe(
      'This window is not connected to the CloudBridge service. Restart the app.',
    );
    expect(screen.getByRole('navigation')).toBeTruthy();
  });

  it('shows notices from main, such as settings that were reset', async () => {
    const main = await mainServices().startMain({ settingsFileText: '{ not json' });
    await renderApp(main);
    const notice = screen.getByTestId('notice-settings_reset');
    expect(text(within(notice).getByRole('heading'))).toBe('Settings were reset');
    const { notices } = await main.snapshot();
    // Main sends the notice as a code with values; the window words it.
    const path = String(notices.find((n) => n.kind === 'settings_reset')?.params?.['path']);
    expect(text(notice)).toContain(
      `The settings file was damaged and has been reset. The original file was kept as ${path}.`,
    );
    expect(notice.getAttribute('role')).toBe('alert');
  });

  it('hides a notice once it is dismissed, and tells main', async () => {
    const main = await mainServices().startMain({ settingsFileText: '{ not json' });
    const { user } = await renderApp(main);
    const notice = screen.getByTestId('notice-settings_reset');
    await user.click(within(notice).getByRole('button', { name: 'Dismiss' }));
    expect(main.callsTo('cloudbridge:notice.dismiss')).toEqual([{ kind: 'settings_reset' }]);
    await waitFor(() => expect(screen.queryByTestId('notice-settings_reset')).toBeNull());
    expect((await main.snapshot()).notices.map((n) => n.kind)).not.toContain('settings_reset');
  });

  it("says when the token expires in the reader's words, not as a raw timestamp", async () => {
    const main = await mainServices().startMain();
    await signedIn(main, relay, { claims: { ttlSec: 5 * 3_600 }, connect: false });
    await renderApp(main);
    const notice = await screen.findByTestId('notice-token_expiring');
    const { account } = await main.snapshot();
    expect(text(within(notice).getByRole('heading'))).toBe('Your access token expires soon');
    expect(text(notice)).toContain('Paste a new one on the Account page');
    expect(account.expiresAt).not.toBeNull();
    expect(text(notice)).not.toContain(account.expiresAt ?? 'none');
  });
});

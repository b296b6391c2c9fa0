// Status screen as a person sees it: the state badge, the reconnect countdown ticking down,
// Retry now, the last error in plain words with what to do, the insecure warning, first run.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, render, screen, within } from '@testing-library/react';
import { App } from '../../src-renderer/app';
import { AppProvider } from '../../src-renderer/app-context';
import { connectStore, createAppStore } from '../../src-renderer/store/app-store';
import {
  activeSnapshot,
  errorInfo,
  firstRunSnapshot,
  reconnectingSnapshot,
} from '../harness/fake-bridge';
import { button, renderApp, text, UI_TEST_TIMEOUT_MS } from './render-app';

const NOW = Date.parse('2026-11-22T10:00:00.000Z');

afterEach(() => {
  vi.useRealTimers();
});

describe('Status screen', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('shows the Active badge with the relay, client id and tenant', async () => {
    await renderApp({ snapshot: activeSnapshot(Date.now()) });
    expect(text(screen.getByRole('status'))).toMatch('Active');
    expect(text(screen.getByTestId('relay'))).toMatch('relay.corp.example:443');
    expect(text(screen.getByTestId('client-id'))).toMatch('c-5f2a91');
    expect(text(screen.getByTestId('tenant'))).toMatch('acme');
    expect(text(screen.getByTestId('connected-since'))).toMatch(/2 hours ago/);
    expect(screen.queryByTestId('reconnect')).toBeNull();
  });

  it('follows pushed state changes: Active, then Reconnecting, then Active again', async () => {
    const { fake } = await renderApp({ snapshot: activeSnapshot(Date.now()) });
    act(() => {
      fake.update(() => reconnectingSnapshot(Date.now(), 1, 1_000));
    });
    expect(text(screen.getByRole('status'))).toMatch('Reconnecting');
    expect(screen.getByText('Attempt 1 of 10')).toBeTruthy();
    act(() => {
      fake.update(() => activeSnapshot(Date.now()));
    });
    expect(text(screen.getByRole('status'))).toMatch('Active');
    expect(screen.queryByText(/Attempt/)).toBeNull();
  });

  it('counts down to the next reconnect attempt every second and offers Retry now', async () => {
    // Load on real timers (Testing Library's waiting needs them), then freeze time and open
    // Status, so its countdown runs on the fake clock from its first tick.
    const { fake, user } = await renderApp({
      snapshot: reconnectingSnapshot(NOW, 3, 4_000),
      view: 'about',
    });
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
    expect(screen.getByText('Attempt 3 of 10')).toBeTruthy();
    const countdown = screen.getByTestId('countdown');
    expect(text(countdown)).toBe('Next try in 4 s');
    await tick(1_000);
    expect(text(countdown)).toBe('Next try in 3 s');
    await tick(2_000);
    expect(text(countdown)).toBe('Next try in 1 s');
    await tick(1_000);
    expect(text(countdown)).toBe('Trying now…');

    vi.useRealTimers();
    await user.click(button('Retry now'));
    expect(fake.callsTo('cloudbridge:session.retryNow')).toHaveLength(1);
  });

  it('explains the last error in plain words and says what to do about it', async () => {
    const snapshot = activeSnapshot(Date.now());
    await renderApp({
      snapshot: {
        ...snapshot,
        engine: {
          ...snapshot.engine,
          state: 'disconnected',
          lastError: errorInfo('invalid_token', 'auth failed', Date.now()),
        },
      },
    });
    const panel = screen.getByTestId('last-error');
    expect(text(panel)).toMatch('The relay did not accept your access token.');
    expect(text(panel)).toMatch('Paste a new token on the Account page.');
    expect(text(screen.getByRole('status'))).toMatch('Disconnected');
  });

  it('warns loudly when the relay connection is plaintext', async () => {
    const snapshot = activeSnapshot(Date.now());
    await renderApp({
      snapshot: {
        ...snapshot,
        engine: { ...snapshot.engine, session: { ...snapshot.engine.session, insecure: true } },
      },
    });
    const warning = screen.getByTestId('insecure-warning');
    expect(warning.getAttribute('role')).toBe('alert');
    expect(text(warning)).toMatch('Insecure relay connection');
  });

  it('says a locked keychain is retried, and does not ask for a new token', async () => {
    const snapshot = activeSnapshot(Date.now());
    await renderApp({
      snapshot: {
        ...snapshot,
        engine: {
          ...snapshot.engine,
          state: 'reconnecting',
          lastError: errorInfo('keychain_unavailable', 'The keychain did not answer.', Date.now()),
        },
      },
    });
    const panel = text(screen.getByTestId('last-error'));
    expect(panel).toMatch('The system keychain cannot be used.');
    expect(panel).toMatch('the app tries again by itself');
    expect(panel).not.toMatch(/paste/i);
  });

  it('shows the built-in relay once main pushes it, not from the reply', async () => {
    const { fake, user } = await renderApp({ snapshot: firstRunSnapshot(Date.now()) });
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
    await user.click(button('Use the built-in local relay'));
    expect(fake.callsTo('cloudbridge:relay.useBuiltin')).toHaveLength(1);
    expect(screen.getByTestId('first-run')).toBeTruthy();
    expect(text(screen.getByTestId('relay'))).toMatch('No relay configured');
    act(() => {
      fake.update((s) => ({ ...s, settings: { ...s.settings, relay: builtin } }));
    });
    expect(screen.queryByTestId('first-run')).toBeNull();
    expect(text(screen.getByTestId('relay'))).toMatch('127.0.0.1:8443');
  });

  it('offers the built-in local relay on first run and hides the offer once chosen', async () => {
    const { fake, user } = await renderApp({ snapshot: firstRunSnapshot(Date.now()) });
    const panel = screen.getByTestId('first-run');
    expect(text(within(panel).getByRole('heading'))).toMatch('Welcome to CloudBridge');
    expect(button('Connect').disabled).toBe(true);
    await user.click(within(panel).getByRole('button', { name: 'Use the built-in local relay' }));
    expect(fake.callsTo('cloudbridge:relay.useBuiltin')).toHaveLength(1);
    expect(screen.queryByTestId('first-run')).toBeNull();
    expect(text(screen.getByTestId('relay'))).toMatch('127.0.0.1:8443');
    await user.click(screen.getByRole('button', { name: 'Connect' }));
    expect(fake.callsTo('cloudbridge:session.connect')).toHaveLength(1);
    expect(text(screen.getByRole('status'))).toMatch('Active');
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
    const snapshot = activeSnapshot(Date.now());
    const at = new Date().toISOString();
    await renderApp({
      snapshot: {
        ...snapshot,
        notices: [
          {
            kind: 'settings_reset',
            message: 'settings.json could not be read; defaults are in use.',
            at,
          },
        ],
      },
    });
    const notice = screen.getByTestId('notice-settings_reset');
    expect(text(within(notice).getByRole('heading'))).toBe('Settings were reset');
    expect(text(notice)).toContain('settings.json could not be read; defaults are in use.');
    expect(notice.getAttribute('role')).toBe('alert');
  });

  it('hides a notice once it is dismissed, and tells main', async () => {
    const snapshot = activeSnapshot(Date.now());
    const at = new Date().toISOString();
    const { fake, user } = await renderApp({
      snapshot: {
        ...snapshot,
        notices: [{ kind: 'settings_reset', message: 'Defaults are in use.', at }],
      },
    });
    const notice = screen.getByTestId('notice-settings_reset');
    await user.click(within(notice).getByRole('button', { name: 'Dismiss' }));
    expect(fake.callsTo('cloudbridge:notice.dismiss')).toEqual([{ kind: 'settings_reset' }]);
    expect(screen.queryByTestId('notice-settings_reset')).toBeNull();
  });

  it("says when the token expires in the reader's words, not as a raw timestamp", async () => {
    const snapshot = activeSnapshot(Date.now());
    const expiresAt = '2026-11-23T09:30:00.000Z';
    await renderApp({
      snapshot: {
        ...snapshot,
        account: { ...snapshot.account, expiresAt, expiresSoon: true },
        notices: [{ kind: 'token_expiring', message: `expires at ${expiresAt}`, at: expiresAt }],
      },
    });
    const notice = screen.getByTestId('notice-token_expiring');
    expect(text(within(notice).getByRole('heading'))).toBe('Your access token expires soon');
    expect(text(notice)).toContain('Paste a new one on the Account page');
    expect(text(notice)).not.toContain(expiresAt);
  });
});

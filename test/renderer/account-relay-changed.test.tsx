// The relay of the current profile changed since the token was saved: the Account page says so
// in plain words and offers the confirmation, which main answers with a dialog of its own.
import { describe, expect, it } from 'vitest';
import { screen } from '@testing-library/react';
import { activeSnapshot, errorInfo } from '../harness/fake-bridge';
import { button, renderApp, text, UI_TEST_TIMEOUT_MS } from './render-app';

describe('Account screen after a relay change', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('says the relay changed, offers to confirm, and asks main when pressed', async () => {
    const snapshot = activeSnapshot(Date.now());
    const { fake, user } = await renderApp({
      view: 'account',
      snapshot: {
        ...snapshot,
        engine: {
          ...snapshot.engine,
          state: 'disconnected',
          lastError: errorInfo(
            'token_relay_changed',
            'The relay changed: paste your token again or confirm.',
            Date.now(),
            'host',
          ),
        },
      },
    });
    const banner = screen.getByTestId('relay-changed');
    expect(banner.getAttribute('role')).toBe('alert');
    expect(text(banner)).toContain('The relay changed: paste your token again or confirm.');
    await user.click(button('Confirm the new relay'));
    expect(fake.callsTo('cloudbridge:token.confirmRelay')).toHaveLength(1);
    expect(screen.queryByTestId('relay-changed')).toBeNull();
  });

  it('offers nothing to confirm while the relay is the one the token was saved for', async () => {
    await renderApp({ view: 'account', snapshot: activeSnapshot(Date.now()) });
    expect(screen.queryByTestId('relay-changed')).toBeNull();
  });
});

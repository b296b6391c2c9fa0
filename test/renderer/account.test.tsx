// Account screen over main's real services: pasting a token shows its claims and its expiry in
// words and as a date, Paste hands main's clipboard to main without the window holding the
// token, the field shows only the token's ends, Connect now after saving, an expiring token
// warns, a bad token is refused as main refuses it, sign out, a locked keychain is stated with
// what to do, no relay yet leads to Settings, and a changed relay is confirmed through main's
// own dialog.
import { beforeAll, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import { expectOk, mainServices, signedIn, type RelayUnderTest } from './main-services';
import { button, MAIN_PUSH_TIMEOUT_MS, renderApp, text, UI_TEST_TIMEOUT_MS } from './render-app';

let relay: RelayUnderTest;
beforeAll(async () => {
  relay = await mainServices().startRelay();
});

/** Main with the test relay chosen and no token yet. */
async function mainWithRelay() {
  const main = await mainServices().startMain();
  expectOk(await main.prep.settingsUpdate({ relay: relay.profile() }), 'choosing the relay');
  return main;
}

async function pasteToken(user: Awaited<ReturnType<typeof renderApp>>['user'], token: string) {
  await user.click(screen.getByLabelText('Access token'));
  await user.paste(token);
  await user.click(button('Save token'));
}

describe('Account screen', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('saves a pasted token and shows subject, tenant and expiry, then forgets the text', async () => {
    const main = await mainWithRelay();
    const { user } = await renderApp(main, { view: 'account' });
    expect(screen.getByText('You are not signed in.')).toBeTruthy();
    const token = await relay.token({
      sub: 'anna@acme.example',
      tenant: 'acme',
      ttlSec: 10 * 86_400 + 60,
    });
    await pasteToken(user, token);
    expect(main.callsTo('cloudbridge:token.save')).toEqual([{ token }]);
    expect(text(await screen.findByTestId('subject'))).toBe('anna@acme.example');
    expect(text(screen.getByTestId('account-tenant'))).toBe('acme');
    const expiry = text(screen.getByTestId('expires'));
    // Relative and absolute: "in 10 days (Dec 11, 2026, 2:05 PM)".
    expect(expiry).toMatch(/^in 10 days \([A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d\s?[AP]M\)$/);
    expect(screen.getByTestId('expires').querySelector('time')?.getAttribute('datetime')).toBe(
      (await main.snapshot()).account.expiresAt,
    );
    expect(screen.queryByLabelText('Access token')).toBeNull();
    expect(screen.queryByTestId('token-expiring')).toBeNull();
    expect((await main.snapshot()).account).toMatchObject({
      signedIn: true,
      subject: 'anna@acme.example',
    });
  });

  it('warns when the token expires within 24 hours', async () => {
    const main = await mainWithRelay();
    const { user } = await renderApp(main, { view: 'account' });
    await pasteToken(user, await relay.token({ sub: 'anna', ttlSec: 5 * 3_600 - 60 }));
    expect(text(await screen.findByTestId('token-expiring'))).toBe(
      'Your token expires in 5 hours. Ask for a new one soon.',
    );
  });

  it('says plainly when main refuses a malformed token, as main answers it (no field problem)', async () => {
    const main = await mainWithRelay();
    const { user } = await renderApp(main, { view: 'account' });
    await user.type(screen.getByLabelText('Access token'), 'not-a-token');
    await user.click(button('Save token'));
    const panel = text(await screen.findByTestId('account-action-error'));
    expect(panel).toContain('That does not look like an access token.');
    expect(panel).toContain('token_malformed');
    expect(panel).toContain('Paste a new token on the Account page.');
    expect((await main.snapshot()).account.signedIn).toBe(false);
    expect(screen.getByLabelText('Access token')).toBeTruthy();
  });

  it('signs out', async () => {
    const main = await mainServices().startMain();
    await signedIn(main, relay, { claims: { sub: 'ivan.petrov@acme.example' } });
    const { user } = await renderApp(main, { view: 'account' });
    expect(text(screen.getByTestId('subject'))).toBe('ivan.petrov@acme.example');
    await user.click(button('Sign out'));
    expect(main.callsTo('cloudbridge:token.signOut')).toHaveLength(1);
    expect(await screen.findByText('You are not signed in.')).toBeTruthy();
    expect((await main.snapshot()).account.signedIn).toBe(false);
  });

  it('states a keychain problem clearly, with what to do', async () => {
    const main = await mainServices().startMain();
    await main.lockKeychain(true);
    // Choosing a relay reads its token from the keychain, which is locked.
    expectOk(await main.prep.settingsUpdate({ relay: relay.profile() }), 'choosing the relay');
    await renderApp(main, { view: 'account' });
    const panel = await screen.findByTestId('keychain-error');
    expect(panel.getAttribute('role')).toBe('alert');
    expect(text(panel)).toContain('Keychain problem');
    expect(text(panel)).toContain('The system keychain cannot be used.');
    expect(text(panel)).toContain('The login keyring is locked');
    expect(text(panel)).toContain('Unlock or set up the system keychain');
  });
});

describe('Account screen, signing in', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('pastes from main’s clipboard: main saves the token and the window never has it', async () => {
    const token = await relay.token({ sub: 'anna@acme.example', tenant: 'acme' });
    const main = await mainServices().startMain({ clipboardText: `${token}\n` });
    expectOk(await main.prep.settingsUpdate({ relay: relay.profile() }), 'choosing the relay');
    const { user } = await renderApp(main, { view: 'account' });
    await user.click(button('Paste from clipboard'));
    expect(text(await screen.findByTestId('subject'))).toBe('anna@acme.example');
    expect(main.callsTo('cloudbridge:token.paste')).toEqual([undefined]);
    expect(main.callsTo('cloudbridge:token.save')).toEqual([]);
    expect(document.body.textContent).not.toContain(token);
  });

  it('shows only the ends of a token typed in, never the whole of it', async () => {
    const main = await mainWithRelay();
    const { user } = await renderApp(main, { view: 'account' });
    const token = await relay.token({ sub: 'anna' });
    const field = screen.getByLabelText<HTMLInputElement>('Access token');
    expect(field.type).toBe('password');
    await user.click(field);
    await user.paste(token);
    expect(text(screen.getByTestId('token-preview'))).toBe(
      `${token.slice(0, 6)}…${token.slice(-4)} Shown: the first and last characters of ${token.length} characters; the rest is hidden.`,
    );
    expect(document.body.textContent).not.toContain(token);
    expect(document.body.textContent).not.toContain(token.slice(0, 12));
  });

  it('offers Connect now after saving while the session is down, and connects', async () => {
    const main = await mainWithRelay();
    expectOk(await main.prep.settingsUpdate({ autoConnect: false }), 'no connecting at start');
    const { user } = await renderApp(main, { view: 'account' });
    await pasteToken(user, await relay.token({ sub: 'anna' }));
    const saved = await screen.findByTestId('token-saved');
    expect(text(saved)).toContain('Token saved');
    await user.click(within(saved).getByRole('button', { name: 'Connect now' }));
    expect(main.callsTo('cloudbridge:session.connect')).toHaveLength(1);
    await main.until((s) => s.engine.state === 'active', 'connected');
    await waitFor(
      () => expect(within(screen.getByTestId('token-saved')).queryByRole('button')).toBeNull(),
      { timeout: MAIN_PUSH_TIMEOUT_MS },
    );
  });

  it('says a relay comes first when there is none, and leads to Settings', async () => {
    const main = await mainServices().startMain();
    const { user } = await renderApp(main, { view: 'account' });
    const banner = screen.getByTestId('account-no-relay');
    expect(text(banner)).toContain('Set up a relay in Settings before adding a token.');
    await user.click(within(banner).getByRole('button', { name: 'Open Settings' }));
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('Settings');
  });
});

describe('Account screen after a relay change', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('says the relay changed, offers to confirm, and asks main, which asks the user', async () => {
    const main = await mainServices().startMain();
    await signedIn(main, relay);
    // The same relay, its CA now read from another file: not the identity the token was saved for.
    expectOk(
      await main.prep.settingsUpdate({ relay: relay.profile({ caFile: relay.movedCaFile }) }),
      'changing the relay',
    );
    await main.until(
      (s) => s.engine.lastError?.code === 'token_relay_changed',
      'the token held back from the changed relay',
    );
    const { user } = await renderApp(main, { view: 'account' });
    const banner = screen.getByTestId('relay-changed');
    expect(banner.getAttribute('role')).toBe('alert');
    expect(text(banner)).toContain('The relay changed: paste your token again or confirm.');
    await user.click(button('Confirm the new relay'));
    expect(main.callsTo('cloudbridge:token.confirmRelay')).toHaveLength(1);
    expect((await main.outside()).relayChangesConfirmed).toBe(1);
    await main.until((s) => s.engine.state === 'active', 'connected to the confirmed relay');
    await waitFor(() => expect(screen.queryByTestId('relay-changed')).toBeNull(), {
      timeout: MAIN_PUSH_TIMEOUT_MS,
    });
  });

  it('offers nothing to confirm while the relay is the one the token was saved for', async () => {
    const main = await mainServices().startMain();
    await signedIn(main, relay);
    await renderApp(main, { view: 'account' });
    expect(text(screen.getByTestId('subject'))).toBe('test-user');
    expect(screen.queryByTestId('relay-changed')).toBeNull();
  });
});

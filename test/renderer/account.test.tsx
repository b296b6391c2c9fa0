// Account screen over main's real services: pasting a token shows its claims, an expiring token
// warns, a bad token is refused as main refuses it, sign out, a locked keychain is stated with
// what to do, and a changed relay is confirmed through main's own dialog.
import { beforeAll, describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
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
    expect(text(screen.getByTestId('expires'))).toContain('in 10 days');
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

// Account screen: pasting a token shows its claims, an expiring token warns, a bad token is
// refused on the field, sign out, and a keychain problem is stated with what to do.
import { describe, expect, it } from 'vitest';
import { screen } from '@testing-library/react';
import { activeSnapshot, errorInfo, firstRunSnapshot } from '../harness/fake-bridge';
import { button, renderApp, text, UI_TEST_TIMEOUT_MS } from './render-app';

function jwt(claims: Record<string, unknown>): string {
  const encode = (value: unknown) =>
    btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}.c2lnbmF0dXJl`;
}

describe('Account screen', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('saves a pasted token and shows subject, tenant and expiry, then forgets the text', async () => {
    const { fake, user } = await renderApp({
      snapshot: firstRunSnapshot(Date.now()),
      view: 'account',
    });
    expect(screen.getByText('You are not signed in.')).toBeTruthy();
    const token = jwt({
      sub: 'anna@acme.example',
      tenant_id: 'acme',
      exp: Math.floor(Date.now() / 1000) + 10 * 86_400,
    });
    await user.click(screen.getByLabelText('Access token'));
    await user.paste(token);
    await user.click(button('Save token'));
    expect(fake.callsTo('cloudbridge:token.save')).toEqual([{ token }]);
    expect(text(screen.getByTestId('subject'))).toBe('anna@acme.example');
    expect(text(screen.getByTestId('account-tenant'))).toBe('acme');
    expect(text(screen.getByTestId('expires'))).toContain('in 10 days');
    expect(screen.queryByLabelText('Access token')).toBeNull();
    expect(screen.queryByTestId('token-expiring')).toBeNull();
  });

  it('warns when the token expires within 24 hours', async () => {
    const { user } = await renderApp({ snapshot: firstRunSnapshot(Date.now()), view: 'account' });
    await user.click(screen.getByLabelText('Access token'));
    await user.paste(jwt({ sub: 'anna', exp: Math.floor(Date.now() / 1000) + 5 * 3_600 }));
    await user.click(button('Save token'));
    expect(text(screen.getByTestId('token-expiring'))).toBe(
      'Your token expires in 5 hours. Ask for a new one soon.',
    );
  });

  it('says plainly when main refuses a malformed token, as main answers it (no field problem)', async () => {
    const { user } = await renderApp({ snapshot: firstRunSnapshot(Date.now()), view: 'account' });
    await user.type(screen.getByLabelText('Access token'), 'not-a-token');
    await user.click(button('Save token'));
    const panel = text(screen.getByTestId('account-action-error'));
    expect(panel).toContain('That does not look like an access token.');
    expect(panel).toContain('This does not look like a CloudBridge token (a JWT).');
    expect(panel).toContain('Paste a new token on the Account page.');
  });

  it('signs out', async () => {
    const { fake, user } = await renderApp({
      snapshot: activeSnapshot(Date.now()),
      view: 'account',
    });
    expect(text(screen.getByTestId('subject'))).toBe('ivan.petrov@acme.example');
    await user.click(button('Sign out'));
    expect(fake.callsTo('cloudbridge:token.signOut')).toHaveLength(1);
    expect(screen.getByText('You are not signed in.')).toBeTruthy();
  });

  it('states a keychain problem clearly, with what to do', async () => {
    const snapshot = firstRunSnapshot(Date.now());
    await renderApp({
      view: 'account',
      snapshot: {
        ...snapshot,
        account: {
          ...snapshot.account,
          keychainError: errorInfo(
            'keychain_unavailable',
            'locked',
            Date.now(),
            'The login keyring is locked',
          ),
        },
      },
    });
    const panel = screen.getByTestId('keychain-error');
    expect(panel.getAttribute('role')).toBe('alert');
    expect(text(panel)).toContain('Keychain problem');
    expect(text(panel)).toContain('The system keychain cannot be used.');
    expect(text(panel)).toContain('The login keyring is locked');
    expect(text(panel)).toContain('Unlock or set up the system keychain');
  });
});

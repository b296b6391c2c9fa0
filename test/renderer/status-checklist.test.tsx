// The first run on Status, over main's real services and a real relay: the checklist Relay ->
// Sign in -> First tunnel, each step one click from its fix, steps that must wait saying what
// for; Connect that cannot be pressed yet saying why with the fix one click away; the tunnel
// added from the checklist on a free port, the hint saying where to connect, the list gone
// once the tunnel works; the tunnels listed with their rates; Russian. The checklist's and
// Connect's rules on their own too (format/checklist.ts).
import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import type { UserEvent } from '@testing-library/user-event';
import { activeSnapshot, firstRunSnapshot, reconnectingSnapshot } from '../harness/fake-bridge';
import { checklistOf, connectBlocker } from '../../src-renderer/format/checklist';
import { expectOk, mainServices } from './main-services';
import {
  button,
  MAIN_PUSH_TIMEOUT_MS,
  renderApp,
  renderOnFake,
  text,
  UI_TEST_TIMEOUT_MS,
} from './render-app';

const step = (id: string) => screen.getByTestId(`step-${id}`);
const describedBy = (element: HTMLElement) =>
  document.getElementById(element.getAttribute('aria-describedby') ?? '')?.textContent ?? null;

async function goTo(user: UserEvent, view: string) {
  await user.click(within(screen.getByRole('navigation')).getByRole('button', { name: view }));
  await screen.findByRole('heading', { level: 2, name: view });
}

describe('first run on Status', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('walks Relay, Sign in and First tunnel, each one click from its fix, until the tunnel works', async () => {
    const relay = await mainServices().startRelay();
    const main = await mainServices().startMain();
    const { user } = await renderApp(main);

    // Nothing set up: the relay is the step to take; the others say what they wait for.
    expect(step('relay').getAttribute('aria-current')).toBe('step');
    const signIn = within(step('signIn')).getByRole('button', { name: 'Sign in…' });
    expect(signIn).toHaveProperty('disabled', true);
    expect(describedBy(signIn)).toBe('Set up the relay first.');
    expect(within(step('tunnel')).queryByRole('button', { name: 'Add tunnel' })).toBeNull();
    expect(text(within(step('tunnel')).getByTestId('step-tunnel-blocked'))).toBe(
      'Set up the relay first.',
    );
    expect(describedBy(button('Connect'))).toMatch(/^Connect needs a relay/);
    await user.click(within(step('relay')).getByRole('button', { name: 'Set up relay…' }));
    await screen.findByRole('heading', { level: 2, name: 'Settings' });

    // A relay, no token: Sign in is next, and Connect says so with the fix one click away.
    expectOk(await main.prep.settingsUpdate({ relay: relay.profile() }), 'choosing the relay');
    await goTo(user, 'Status');
    expect(step('relay').className).toContain('checklist-step-done');
    expect(text(step('relay'))).toContain(`Using 127.0.0.1:${relay.port}`);
    expect(step('signIn').getAttribute('aria-current')).toBe('step');
    const connect = button('Connect');
    expect(connect).toHaveProperty('disabled', true);
    expect(describedBy(connect)).toBe('Connect needs your access token: sign in first. Sign in…');
    await user.click(within(screen.getByTestId('connect-blocked')).getByRole('button'));
    await screen.findByRole('heading', { level: 2, name: 'Account' });

    // Signed in (the token connects at once): the first tunnel, one click.
    expectOk(await main.prep.tokenSave({ token: await relay.token({ sub: 'olga' }) }), 'token');
    await goTo(user, 'Status');
    await waitFor(() => expect(text(step('signIn'))).toContain('Signed in as olga'), {
      timeout: MAIN_PUSH_TIMEOUT_MS,
    });
    expect(step('tunnel').getAttribute('aria-current')).toBe('step');
    const computer = within(step('tunnel')).getByLabelText<HTMLInputElement>('Computer');
    expect(computer.value).toBe('localhost');
    await user.click(within(step('tunnel')).getByRole('button', { name: 'Add tunnel' }));

    const hint = await screen.findByTestId('connect-hint', undefined, {
      timeout: MAIN_PUSH_TIMEOUT_MS,
    });
    const [tunnel] = (await main.settings()).tunnels;
    expect(tunnel).toMatchObject({ name: 'Remote Desktop', kind: 'rdp', remoteHost: 'localhost' });
    expect(tunnel!.localPort).toBeGreaterThanOrEqual(13_389);
    expect(text(hint)).toContain(`Connect Remote Desktop to 127.0.0.1:${tunnel!.localPort}`);
    // Once it works the checklist is done and goes; the tunnel is listed, Ready.
    await waitFor(() => expect(screen.queryByTestId('checklist')).toBeNull(), {
      timeout: MAIN_PUSH_TIMEOUT_MS,
    });
    const list = screen.getByTestId('status-tunnels');
    expect(text(list)).toContain('Remote Desktop');
    expect(text(list)).toContain(`127.0.0.1:${tunnel!.localPort}`);
    expect(text(list)).toContain('Ready');
    expect(text(screen.getByTestId('tunnels-summary'))).toBe('1 of 1 tunnel ready');
    await user.click(within(list).getByRole('button', { name: 'Remote Desktop' }));
    await screen.findByRole('heading', { level: 2, name: 'Tunnels' });
    expect(
      screen.getByTestId(`tunnel-${tunnel!.id}`).querySelector('[data-testid="tunnel-detail"]'),
    ).not.toBeNull();
  });

  it('sends Other from the checklist on to the full editor', async () => {
    const relay = await mainServices().startRelay();
    const main = await mainServices().startMain();
    expectOk(await main.prep.settingsUpdate({ relay: relay.profile() }), 'choosing the relay');
    const { user } = await renderApp(main);
    await user.click(within(step('tunnel')).getByRole('radio', { name: 'Other' }));
    await user.click(
      within(step('tunnel')).getByRole('button', { name: 'Another type of tunnel…' }),
    );
    await screen.findByRole('heading', { level: 2, name: 'Tunnels' });
    expect(screen.getByRole('radio', { name: 'Other' })).toHaveProperty('checked', true);
    expect(screen.getByLabelText<HTMLInputElement>('Name').value).toBe('');
  });

  it('speaks Russian', async () => {
    await renderOnFake({ snapshot: firstRunSnapshot(Date.now()), systemLanguage: 'ru-RU' });
    const list = screen.getByTestId('checklist');
    expect(text(within(list).getByRole('heading', { level: 3 }))).toBe('С чего начать');
    expect(text(within(list).getByTestId('step-relay'))).toContain('Настроить ретранслятор…');
    expect(describedBy(screen.getByRole('button', { name: 'Подключиться' }))).toMatch(
      /^Для подключения нужен ретранслятор/,
    );
  });
});

describe('Status on crafted snapshots', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('lists the tunnels with their rates, none on an off one', async () => {
    await renderOnFake({ snapshot: activeSnapshot(Date.now()) });
    expect(screen.queryByTestId('checklist')).toBeNull();
    const items = within(screen.getByTestId('status-tunnels')).getAllByRole('listitem').map(text);
    expect(items).toEqual([
      'Office desktop 127.0.0.1:13389 Ready ↓ 1.2 MB/s · ↑ 82 KB/s',
      'Build server 127.0.0.1:2222 Off',
      'Intranet 127.0.0.1:8080 Error',
    ]);
    expect(text(screen.getByTestId('tunnels-summary'))).toBe('1 of 2 tunnels ready');
    expect(screen.getByTestId('status-header').className).toContain('status-tone-ok');
  });

  it('is red once CloudBridge has stopped trying', async () => {
    const reconnecting = reconnectingSnapshot(Date.now());
    const stopped = {
      ...reconnecting,
      engine: {
        ...reconnecting.engine,
        state: 'disconnected' as const,
        session: { ...reconnecting.engine.session, reconnectAttempt: 0, nextRetryAt: null },
        lastError: { ...reconnecting.engine.lastError!, code: 'reconnect_exhausted' as const },
      },
    };
    await renderOnFake({ snapshot: stopped });
    expect(screen.getByTestId('status-header').className).toContain('status-tone-danger');
    expect(text(screen.getByTestId('last-error'))).toMatch(
      /^Reconnecting failed after every attempt\./,
    );
    expect(screen.queryByTestId('countdown')).toBeNull();
    expect(button('Connect')).toHaveProperty('disabled', false);
  });
});

describe('checklist rules', () => {
  const now = Date.parse('2026-11-22T10:00:00.000Z');

  it('is done once a tunnel is ready or has ever carried bytes', () => {
    const active = activeSnapshot(now);
    expect(checklistOf(active).isComplete).toBe(true);
    const down = reconnectingSnapshot(now);
    // No tunnel is ready, but Office desktop and Build server have carried bytes before.
    expect(checklistOf(down).isComplete).toBe(true);
    const fresh = { ...down, totals: {} };
    const list = checklistOf({
      ...fresh,
      engine: {
        ...fresh.engine,
        tunnels: fresh.engine.tunnels.map((t) => ({ ...t, bytesIn: 0, bytesOut: 0 })),
      },
    });
    expect(list.isComplete).toBe(false);
    expect(list.steps.map((s) => s.state)).toEqual(['done', 'done', 'current']);
    expect(list.firstTunnel?.id).toBe('t-rdp');
  });

  it('asks for a relay first, then a token; a keychain that fails is not a missing token', () => {
    const first = firstRunSnapshot(now);
    expect(checklistOf(first).steps.map((s) => s.state)).toEqual(['current', 'blocked', 'blocked']);
    expect(connectBlocker(first)).toBe('relay');
    const active = activeSnapshot(now);
    const signedOut = { ...active, account: { ...active.account, signedIn: false } };
    expect(connectBlocker(signedOut)).toBe('signIn');
    expect(checklistOf({ ...signedOut, totals: {} }).steps[1]?.state).toBe('current');
    const locked = {
      ...signedOut,
      account: {
        ...signedOut.account,
        keychainError: { code: 'keychain_unavailable' as const, message: 'locked', at: '' },
      },
    };
    expect(connectBlocker(locked)).toBeNull();
    expect(connectBlocker(active)).toBeNull();
  });
});

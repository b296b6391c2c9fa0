// A connection link on Status, as a person sees it, over main's real services and a real relay
// (docs/protocol.md#connection-links): the panel says what the link sets (relay, key, who you
// sign in as, until when, that a token comes with it), Accept connects and the panel goes;
// Not now drops it; a refused link says why until closed; the panel speaks Russian.
import { describe, expect, it, beforeAll } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import { mainServices, type RelayUnderTest } from './main-services';
import { MAIN_PUSH_TIMEOUT_MS, renderApp, text, UI_TEST_TIMEOUT_MS } from './render-app';

let relay: RelayUnderTest;
beforeAll(async () => {
  relay = await mainServices().startRelay();
});

describe('a connection link on Status', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('shows what the link sets, and Accept connects to the relay it names', async () => {
    const main = await mainServices().startMain();
    await main.handOver(await relay.invite({ sub: 'ivan' }));
    const { user } = await renderApp(main);
    const panel = await screen.findByTestId('invite');
    expect(within(panel).getByRole('heading').textContent).toBe('Connection link');
    expect(text(within(panel).getByTestId('invite-relay'))).toBe(`127.0.0.1:${relay.port}`);
    expect(text(within(panel).getByTestId('invite-identity'))).toBe('ivan');
    expect(text(within(panel).getByTestId('invite-key'))).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(text(within(panel).getByTestId('invite-token'))).toMatch(
      /^Comes with the link, valid until /,
    );
    expect(within(panel).queryByTestId('invite-replaces')).toBeNull();

    await user.click(within(panel).getByRole('button', { name: 'Accept and connect' }));
    await waitFor(() => expect(text(screen.getByRole('status'))).toMatch('Active'), {
      timeout: MAIN_PUSH_TIMEOUT_MS,
    });
    expect(screen.queryByTestId('invite')).toBeNull();
    expect(text(screen.getByTestId('relay'))).toMatch(`127.0.0.1:${relay.port}`);
    const [accepted, ...more] = main.callsTo('cloudbridge:invite.accept');
    expect(more).toEqual([]);
    // Only the id main gave the invite goes back, never the link.
    expect(Object.keys(accepted!)).toEqual(['id']);
  });

  it('drops the link on Not now, and says why a refused one cannot be used', async () => {
    const main = await mainServices().startMain();
    await main.handOver(await relay.invite({ sub: 'olga', withToken: false }));
    const { user } = await renderApp(main);
    const panel = await screen.findByTestId('invite');
    expect(text(within(panel).getByTestId('invite-token'))).toMatch(/^Not included/);
    await user.click(within(panel).getByRole('button', { name: 'Not now' }));
    await waitFor(() => expect(screen.queryByTestId('invite')).toBeNull(), {
      timeout: MAIN_PUSH_TIMEOUT_MS,
    });
    expect((await main.settings()).relay).toBeNull();

    await main.handOver(`${await relay.invite({ sub: 'olga' })}x`);
    const problem = await screen.findByTestId('invite-problem', undefined, {
      timeout: MAIN_PUSH_TIMEOUT_MS,
    });
    expect(text(problem)).toMatch('This connection link cannot be used');
    expect(text(problem)).toMatch('Ask your relay administrator for a new connection link.');
    await user.click(screen.getByRole('button', { name: 'Dismiss' }));
    await waitFor(() => expect(screen.queryByTestId('invite-problem')).toBeNull(), {
      timeout: MAIN_PUSH_TIMEOUT_MS,
    });
  });

  it('speaks Russian', async () => {
    const main = await mainServices().startMain();
    await main.handOver(await relay.invite({ sub: 'ivan' }));
    await renderApp(main, { systemLanguage: 'ru-RU' });
    const panel = await screen.findByTestId('invite');
    expect(within(panel).getByRole('heading').textContent).toBe('Ссылка для подключения');
    expect(within(panel).getByRole('button', { name: 'Принять и подключиться' })).toBeTruthy();
    expect(within(panel).getByRole('button', { name: 'Не сейчас' })).toBeTruthy();
    expect(text(within(panel).getByTestId('invite-token'))).toMatch(/^Передан в ссылке/);
  });
});

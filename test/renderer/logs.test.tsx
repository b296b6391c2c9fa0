// Logs screen over main's real services: the live tail from main's log batches, the catch-up on
// show of what was logged while the window was hidden, filters by level, tunnel and text,
// pause, and export through main.
import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import type { LogLevel } from '../../src-main/shared/model';
import { expectOk, mainServices, type MainUnderTest } from './main-services';
import { button, MAIN_PUSH_TIMEOUT_MS, renderApp, text, UI_TEST_TIMEOUT_MS } from './render-app';

function events(): string[] {
  return screen.queryAllByTestId('log-record').map((li) => text(li.querySelector('.log-event')!));
}

/** Main logs these in this order (oldest first), as its parts do during a session. */
async function logSession(main: MainUnderTest, rdp: string, web: string) {
  const records: [LogLevel, string, Record<string, unknown>, string | null][] = [
    ['info', 'session.connecting', { relay: 'relay.corp.example:443' }, null],
    ['debug', 'tls.handshake', { protocol: 'TLSv1.3' }, null],
    ['info', 'tunnel.registered', { local_port: 13389 }, rdp],
    ['error', 'tunnel.listen_failed', { code: 'port_in_use', port: 8080 }, web],
    ['info', 'stream.opened', { remote: 'desk-42.corp.example:3389' }, rdp],
    ['warn', 'session.heartbeat_late', { waited_ms: 10_000 }, null],
  ];
  for (const [level, event, details, tunnel] of records)
    await main.log(level, event, details, tunnel);
}

async function addTunnel(main: MainUnderTest, name: string, localPort: number) {
  const saved = await main.prep.tunnelSave({
    name,
    kind: 'other',
    localHost: '127.0.0.1',
    localPort,
    remoteHost: '127.0.0.1',
    remotePort: 9,
    enabled: false,
  });
  return expectOk(saved, `adding ${name}`).id;
}

/**
 * Main started in the tray, its window hidden: what it logs now reaches the window by the
 * first query and the catch-up on show (a record logged within one batch interval of the
 * window's first query would otherwise come a second time in the next live batch).
 */
async function mainInTray(options: { catchUpLogRecords?: number } = {}) {
  return mainServices().startMain({ ...options, windowShown: false });
}

/** The window opens: it loads, then main is told it is shown and catches it up. */
async function openWindow(main: MainUnderTest) {
  const rendered = await renderApp(main, { view: 'logs' });
  await main.setWindowVisible(true);
  return rendered;
}

const shows = (event: string) =>
  waitFor(() => expect(events()).toContain(event), { timeout: MAIN_PUSH_TIMEOUT_MS });

describe('Logs screen', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('tails new records, newest first', async () => {
    const main = await mainInTray();
    await logSession(main, 't-rdp', 't-web');
    await openWindow(main);
    expect(events()[0]).toBe('session.heartbeat_late');
    const before = events().length;
    await main.log('warn', 'session.reconnecting');
    await shows('session.reconnecting');
    expect(events()[0]).toBe('session.reconnecting');
    expect(events()).toHaveLength(before + 1);
  });

  it('adds on show what was logged while the window was hidden, and says how many were left out', async () => {
    const main = await mainInTray({ catchUpLogRecords: 2 });
    await main.log('info', 'before-hide');
    await openWindow(main);
    expect(events()[0]).toBe('before-hide');
    expect(screen.queryByTestId('logs-omitted')).toBeNull();
    await main.setWindowVisible(false);
    for (let i = 1; i <= 5; i += 1) await main.log('warn', `while-hidden-${i}`);
    expect(events()).not.toContain('while-hidden-5');
    await main.setWindowVisible(true);
    await shows('while-hidden-5');
    // The newest two; the three before them are counted, not shown.
    expect(events().slice(0, 3)).toEqual(['while-hidden-5', 'while-hidden-4', 'before-hide']);
    expect(text(screen.getByTestId('logs-omitted'))).toBe(
      '3 older records from while the window was hidden are not shown. They are in the log file.',
    );
  });

  it('filters by minimum level, by tunnel and by text', async () => {
    const main = await mainInTray();
    const rdp = await addTunnel(main, 'Office desktop', 13389);
    const web = await addTunnel(main, 'Intranet', 8080);
    await logSession(main, rdp, web);
    const { user } = await openWindow(main);
    await user.selectOptions(screen.getByLabelText('Level'), 'Warning');
    expect(events()).toEqual(['session.heartbeat_late', 'tunnel.listen_failed']);
    await user.selectOptions(screen.getByLabelText('Level'), 'All levels');
    await user.selectOptions(screen.getByLabelText('Tunnel'), 'Office desktop');
    // Main's own record of adding the tunnel is one of them.
    expect(events()).toEqual(['stream.opened', 'tunnel.registered', 'tunnel_added']);
    await user.selectOptions(screen.getByLabelText('Tunnel'), 'All tunnels');
    await user.type(screen.getByLabelText('Search'), 'TLSv1.3');
    expect(events()).toEqual(['tls.handshake']);
    await user.clear(screen.getByLabelText('Search'));
    await user.type(screen.getByLabelText('Search'), 'no such thing');
    expect(events()).toEqual([]);
    expect(screen.getByText('No records match.')).toBeTruthy();
  });

  it('holds the view still while paused and counts what is waiting', async () => {
    const main = await mainInTray();
    await main.log('info', 'first');
    const { user } = await openWindow(main);
    await user.click(button('Pause'));
    await main.log('info', 'second');
    await main.log('info', 'third');
    expect(await screen.findByText('Paused: 2 new records waiting.')).toBeTruthy();
    expect(events()[0]).toBe('first');
    await user.click(button('Resume'));
    expect(events().slice(0, 3)).toEqual(['third', 'second', 'first']);
  });

  it('exports through main and shows where the file went', async () => {
    const main = await mainServices().startMain();
    const { user } = await renderApp(main, { view: 'logs' });
    await user.click(button('Export…'));
    expect(main.callsTo('cloudbridge:logs.export')).toHaveLength(1);
    // Main saves into its data dir when no dialog chooses a place.
    expect(
      await screen.findByText(/^Saved to \/.*\/exports\/cloudbridge-logs-[^/]+$/),
    ).toBeTruthy();
    await user.click(button('Export diagnostics…'));
    expect(main.callsTo('cloudbridge:diagnostics.export')).toHaveLength(1);
    expect(
      await screen.findByText(/^Saved to \/.*\/exports\/cloudbridge-diagnostics-[^/]+$/),
    ).toBeTruthy();
    await user.click(button('Open log folder'));
    expect(main.callsTo('cloudbridge:logs.openFolder')).toHaveLength(1);
    const { logDirectory } = await main.snapshot();
    expect((await main.outside()).openedPaths).toEqual([logDirectory]);
    expect(within(screen.getByRole('search')).getAllByRole('combobox')).toHaveLength(2);
  });
});

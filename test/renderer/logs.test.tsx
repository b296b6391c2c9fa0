// Logs screen over main's real services: the live tail from main's log batches, the catch-up on
// show of what was logged while the window was hidden, each record as a sentence with its raw
// fields and Copy, filters by minimum level, tunnel (a click on a record's tunnel too) and text
// (sentences and tunnel names included), pause, saving the log and diagnostics through main;
// on the fake bridge, records of two days under their date headings.
import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import type { LogLevel } from '../../src-main/shared/model';
import { expectOk, mainServices, type MainUnderTest } from './main-services';
import {
  button,
  MAIN_PUSH_TIMEOUT_MS,
  renderApp,
  renderOnFake,
  text,
  UI_TEST_TIMEOUT_MS,
} from './render-app';
import { activeSnapshot } from '../harness/fake-bridge';

/** The raw event of each record shown, newest first. */
function events(): string[] {
  return screen.queryAllByTestId('log-record').map((li) => li.getAttribute('data-event') ?? '');
}

/** What each record shown says, newest first. */
function sentences(): string[] {
  return screen.queryAllByTestId('log-record').map((li) => text(li.querySelector('.log-text')!));
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
    await user.selectOptions(screen.getByLabelText('Minimum level'), 'Warnings and errors');
    expect(events()).toEqual(['session.heartbeat_late', 'tunnel.listen_failed']);
    await user.selectOptions(screen.getByLabelText('Minimum level'), 'Errors only');
    expect(events()).toEqual(['tunnel.listen_failed']);
    await user.selectOptions(
      screen.getByLabelText('Minimum level'),
      'Everything (debug and above)',
    );
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

  it('says each record as a sentence, with the raw fields and Copy behind a toggle', async () => {
    const main = await mainInTray();
    await main.log('info', 'reconnect_scheduled', { attempt: 1, delay_ms: 900 });
    const { user } = await openWindow(main);
    await shows('reconnect_scheduled');
    const row = screen.getAllByTestId('log-record')[0]!;
    expect(text(row.querySelector('.log-text')!)).toBe('Reconnecting in 0.9 s (attempt 1).');
    // The raw fields are folded away until asked for.
    expect(row.querySelector('.log-details')).toBeNull();
    const toggle = within(row).getByRole('button', { name: 'Show the raw fields' });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    await user.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(text(row.querySelector('.log-details')!)).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z reconnect_scheduled attempt=1 delay_ms=900$/,
    );
    await user.click(within(row).getByRole('button', { name: /^Copy/ }));
    const copied = JSON.parse(await navigator.clipboard.readText()) as Record<string, unknown>;
    expect(copied).toMatchObject({
      level: 'info',
      event: 'reconnect_scheduled',
      tunnel_id: null,
      details: { attempt: 1, delay_ms: 900 },
    });
    expect(within(row).getByRole('button', { name: /^Copied/ })).toBeTruthy();
    // The time shows to the second; the full date and time is on hover.
    const time = row.querySelector('time')!;
    expect(text(time)).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(time.getAttribute('title')).toMatch(/\d{4} at \d\d:\d\d:\d\d\.\d{3}$/);
  });

  it('finds records by the words they show and by tunnel name, and filters by a clicked tunnel', async () => {
    const main = await mainInTray();
    const rdp = await addTunnel(main, 'Office desktop', 13389);
    const web = await addTunnel(main, 'Intranet', 8080);
    await main.log('info', 'tunnel_listening', { address: '127.0.0.1:13389' }, rdp);
    await main.log('warn', 'tunnel_error', { code: 'port_in_use', reason: 'EADDRINUSE' }, web);
    await main.log('info', 'reconnect_scheduled', { attempt: 2, delay_ms: 2_000 });
    const { user } = await openWindow(main);
    await shows('reconnect_scheduled');
    await user.type(screen.getByLabelText('Search'), 'intranet');
    // Neither record of that tunnel names it in its fields: the name is what the window shows.
    expect(events()).toEqual(['tunnel_error', 'tunnel_added']);
    await user.clear(screen.getByLabelText('Search'));
    await user.type(screen.getByLabelText('Search'), 'already in use');
    expect(sentences()).toEqual([
      'The tunnel stopped. The local port is already in use by another program.',
    ]);
    await user.clear(screen.getByLabelText('Search'));
    const ready = screen
      .getAllByTestId('log-record')
      .find((li) => li.dataset['event'] === 'tunnel_listening')!;
    await user.click(
      within(ready).getByRole('button', { name: 'Show only tunnel Office desktop' }),
    );
    expect(events()).toEqual(['tunnel_listening', 'tunnel_added']);
    expect(screen.getByLabelText<HTMLSelectElement>('Tunnel').value).toBe(rdp);
  });

  it('exports through main and shows where the file went', async () => {
    const main = await mainServices().startMain();
    const { user } = await renderApp(main, { view: 'logs' });
    await user.click(button('Save log…'));
    expect(main.callsTo('cloudbridge:logs.export')).toHaveLength(1);
    // Main saves into its data dir when no dialog chooses a place.
    expect(
      await screen.findByText(/^Saved to \/.*\/exports\/cloudbridge-logs-[^/]+$/),
    ).toBeTruthy();
    await user.click(button('Diagnostics for support…'));
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

describe('Logs screen on the fake bridge', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('heads each day’s records with Today, Yesterday or the date', async () => {
    const now = Date.now();
    // Noon today, local time: a day either side of it never crosses midnight, DST or not.
    const noon = new Date(now);
    noon.setHours(12, 0, 0, 0);
    const at = (ms: number) => new Date(noon.getTime() - ms).toISOString();
    const day = 86_400_000;
    const record = (ago: number, seq: number) => ({
      timestamp: at(ago),
      level: 'info' as const,
      event: 'token_removed',
      tunnel_id: null,
      details: {},
      seq,
    });
    await renderOnFake({
      snapshot: activeSnapshot(now),
      logs: [record(3 * day, 1), record(day, 2), record(0, 3)],
      view: 'logs',
    });
    const headings = screen.getAllByRole('heading', { level: 3 }).map((h) => text(h));
    const longAgo = new Intl.DateTimeFormat('en', { dateStyle: 'full' }).format(
      new Date(noon.getTime() - 3 * day),
    );
    expect(headings).toEqual(['Today', 'Yesterday', longAgo]);
    expect(sentences()).toEqual([
      'Signed out: the access token was removed.',
      'Signed out: the access token was removed.',
      'Signed out: the access token was removed.',
    ]);
  });
});

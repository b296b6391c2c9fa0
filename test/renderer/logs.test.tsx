// Logs screen: live tail from logs.appended, filters by level, tunnel and text, pause, export.
import { describe, expect, it } from 'vitest';
import { act, screen, within } from '@testing-library/react';
import type { LogRecord } from '../../src-main/shared/model';
import { activeSnapshot, sampleLogs } from '../harness/fake-bridge';
import { button, renderApp, text, UI_TEST_TIMEOUT_MS } from './render-app';

function events(): string[] {
  return screen.queryAllByTestId('log-record').map((li) => text(li.querySelector('.log-event')!));
}

const record = (
  event: string,
  level: LogRecord['level'] = 'info',
  tunnel: string | null = null,
): LogRecord => ({
  timestamp: new Date().toISOString(),
  level,
  event,
  tunnel_id: tunnel,
  details: {},
});

describe('Logs screen', { timeout: UI_TEST_TIMEOUT_MS }, () => {
  it('tails new records, newest first', async () => {
    const now = Date.now();
    const { fake } = await renderApp({
      snapshot: activeSnapshot(now),
      logs: sampleLogs(now),
      view: 'logs',
    });
    expect(events()[0]).toBe('session.heartbeat_late');
    expect(events()).toHaveLength(7);
    act(() => fake.pushLogs([record('session.reconnecting', 'warn')]));
    expect(events()[0]).toBe('session.reconnecting');
    expect(events()).toHaveLength(8);
  });

  it('adds on show what was logged while the window was hidden, and says how many were left out', async () => {
    const seen = record('before-hide');
    const { fake } = await renderApp({
      snapshot: activeSnapshot(Date.now()),
      logs: [seen],
      view: 'logs',
    });
    expect(screen.queryByTestId('logs-omitted')).toBeNull();
    // The catch-up may repeat what the first query returned; it is shown once.
    act(() => fake.catchUpLogs([seen, record('while-hidden', 'warn')], 120));
    expect(events()).toEqual(['while-hidden', 'before-hide']);
    expect(text(screen.getByTestId('logs-omitted'))).toBe(
      '120 older records from while the window was hidden are not shown. They are in the log file.',
    );
  });

  it('filters by minimum level, by tunnel and by text', async () => {
    const now = Date.now();
    const { user } = await renderApp({
      snapshot: activeSnapshot(now),
      logs: sampleLogs(now),
      view: 'logs',
    });
    await user.selectOptions(screen.getByLabelText('Level'), 'Warning');
    expect(events()).toEqual(['session.heartbeat_late', 'tunnel.listen_failed']);
    await user.selectOptions(screen.getByLabelText('Level'), 'All levels');
    await user.selectOptions(screen.getByLabelText('Tunnel'), 'Office desktop');
    expect(events()).toEqual(['stream.opened', 'tunnel.registered']);
    await user.selectOptions(screen.getByLabelText('Tunnel'), 'All tunnels');
    await user.type(screen.getByLabelText('Search'), 'TLSv1.3');
    expect(events()).toEqual(['tls.handshake']);
    await user.clear(screen.getByLabelText('Search'));
    await user.type(screen.getByLabelText('Search'), 'no such thing');
    expect(events()).toEqual([]);
    expect(screen.getByText('No records match.')).toBeTruthy();
  });

  it('holds the view still while paused and counts what is waiting', async () => {
    const { fake, user } = await renderApp({
      snapshot: activeSnapshot(Date.now()),
      logs: [record('first')],
      view: 'logs',
    });
    await user.click(button('Pause'));
    act(() => fake.pushLogs([record('second'), record('third')]));
    expect(events()).toEqual(['first']);
    expect(screen.getByText('Paused: 2 new records waiting.')).toBeTruthy();
    await user.click(button('Resume'));
    expect(events()).toEqual(['third', 'second', 'first']);
  });

  it('exports through main and shows where the file went', async () => {
    const { fake, user } = await renderApp({ snapshot: activeSnapshot(Date.now()), view: 'logs' });
    await user.click(button('Export…'));
    expect(fake.callsTo('cloudbridge:logs.export')).toHaveLength(1);
    expect(screen.getByText('Saved to /home/user/cloudbridge-logs.zip')).toBeTruthy();
    await user.click(button('Export diagnostics…'));
    expect(fake.callsTo('cloudbridge:diagnostics.export')).toHaveLength(1);
    expect(screen.getByText('Saved to /home/user/cloudbridge-diagnostics.zip')).toBeTruthy();
    await user.click(button('Open log folder'));
    expect(fake.callsTo('cloudbridge:logs.openFolder')).toHaveLength(1);
    expect(within(screen.getByRole('search')).getAllByRole('combobox')).toHaveLength(2);
  });
});

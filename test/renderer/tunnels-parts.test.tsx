// The Tunnels view's parts on their own: the traffic history the store keeps (last minute of
// rates, last activity from main's timestamps, late and restarted counters), the sparkline's
// numbers and drawing, the row menu's keyboard, the preset picker and the form it fills, the
// hint after saving with Open waiting until the tunnel is ready.
import { describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { TunnelSnapshot } from '../../src-main/shared/model';
import { makeTranslate } from '../../src-renderer/i18n/i18n';
import { ConnectHint } from '../../src-renderer/components/connect-hint';
import { PresetPicker } from '../../src-renderer/components/preset-picker';
import { RowMenu } from '../../src-renderer/components/row-menu';
import { Sparkline } from '../../src-renderer/components/sparkline';
import { rateSeries, sparklinePoints } from '../../src-renderer/format/sparkline';
import { HISTORY_WINDOW_MS, recordTraffic } from '../../src-renderer/store/traffic-history';
import { emptyTunnelForm, withPreset } from '../../src-renderer/validation/tunnel-form';
import { preferredLocalPort, webUrl } from '../../src-main/shared/tunnel-presets';
import { tunnelSnapshot } from '../harness/fake-bridge';
import { text } from './render-app';

const t = makeTranslate('en');
const T0 = Date.parse('2026-11-22T10:00:00.000Z');
const counters = (bytesIn: number, rateInBps = 0) => ({
  id: 'a',
  bytesIn,
  bytesOut: 0,
  rateInBps,
  rateOutBps: 0,
});

describe('traffic history', () => {
  it('remembers when counters last grew, by main’s clock, and ignores a late push', () => {
    let h = recordTraffic({}, [counters(100)], T0);
    expect(h['a']?.lastActivityAt).toBeNull();
    h = recordTraffic(h, [counters(100)], T0 + 1_000);
    expect(h['a']?.lastActivityAt).toBeNull();
    h = recordTraffic(h, [counters(500, 400)], T0 + 2_000);
    expect(h['a']?.lastActivityAt).toBe(T0 + 2_000);
    h = recordTraffic(h, [counters(500)], T0 + 3_000);
    expect(h['a']?.lastActivityAt).toBe(T0 + 2_000);
    // Older than what is held: dropped.
    const late = recordTraffic(h, [counters(9_999)], T0 + 1_500);
    expect(late['a']).toEqual(h['a']);
    // A new engine starts at zero: not activity.
    h = recordTraffic(h, [counters(10)], T0 + 4_000);
    expect(h['a']?.lastActivityAt).toBe(T0 + 2_000);
    expect(h['a']?.bytes).toBe(10);
  });

  it('counts a rate above zero at first sight as activity', () => {
    expect(recordTraffic({}, [counters(100, 50)], T0)['a']?.lastActivityAt).toBe(T0);
  });

  it('keeps a minute of samples (and the one in force at its start), and forgets removed tunnels', () => {
    let h = {};
    for (let s = 0; s <= 120; s += 1) h = recordTraffic(h, [counters(s * 10, s)], T0 + s * 1_000);
    const samples = recordTraffic(h, [], T0 + 120_000)['a']?.samples ?? [];
    expect(samples[0]?.at).toBe(T0 + 120_000 - HISTORY_WINDOW_MS);
    expect(samples).toHaveLength(61);
    expect(recordTraffic(h, [], T0 + 121_000, [])).toEqual({});
  });
});

describe('sparkline numbers', () => {
  it('holds each rate until the next sample, zero before the first', () => {
    const samples = [
      { at: T0 + 20_000, inBps: 100, outBps: 20 },
      { at: T0 + 50_000, inBps: 0, outBps: 0 },
    ];
    // Four steps ending at 15, 30, 45 and 60 s; before the first sample the rate is unknown.
    expect(rateSeries(samples, T0 + 60_000, 4, 60_000)).toEqual([null, 120, 120, 0]);
    expect(rateSeries([], T0, 3)).toEqual([null, null, null]);
  });

  it('scales to the box: the top for the highest value, the bottom for zero', () => {
    expect(sparklinePoints([0, 5, 10], 20, 10)).toBe('0,10 10,5 20,0');
    expect(sparklinePoints([0, 0], 10, 8)).toBe('0,8 10,8');
    expect(sparklinePoints([], 10, 8)).toBe('');
    expect(sparklinePoints([null, null], 10, 8)).toBe('');
    // Nothing drawn before the first sample; a steady rate halfway up.
    expect(sparklinePoints([null, 3, 3], 20, 8)).toBe('10,4 20,4');
    expect(sparklinePoints([null, null, 7], 20, 8)).toBe('10,4 20,4');
    expect(sparklinePoints([null, 0, 6, 3], 30, 6)).toBe('10,6 20,0 30,3');
  });

  it('draws one named line', () => {
    render(
      <Sparkline
        samples={[{ at: T0 - 1_000, inBps: 10, outBps: 0 }]}
        now={T0}
        label="Traffic in the last minute: 10 B/s"
      />,
    );
    const image = screen.getByRole('img', { name: 'Traffic in the last minute: 10 B/s' });
    expect(image.querySelectorAll('polyline')).toHaveLength(1);
    expect(image.getAttribute('class')).toBe('sparkline');
  });
});

describe('row menu', () => {
  it('opens on its button, moves with the arrow keys, and Escape closes it back to the button', async () => {
    const user = userEvent.setup();
    const edit = vi.fn();
    const remove = vi.fn();
    render(
      <RowMenu
        label="More for Office desktop"
        items={[
          { label: 'Edit', onSelect: edit },
          { label: 'Remove', onSelect: remove, isDanger: true },
        ]}
      />,
    );
    const button = screen.getByRole('button', { name: 'More for Office desktop' });
    expect(button.getAttribute('aria-expanded')).toBe('false');
    await user.click(button);
    const items = within(screen.getByRole('menu')).getAllByRole('menuitem');
    expect(document.activeElement).toBe(items[0]);
    await user.keyboard('{ArrowDown}');
    expect(document.activeElement).toBe(items[1]);
    await user.keyboard('{ArrowDown}');
    expect(document.activeElement).toBe(items[0]);
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('menu')).toBeNull();
    expect(document.activeElement).toBe(button);
    await user.click(button);
    await user.keyboard('{ArrowUp}{Enter}');
    expect(remove).toHaveBeenCalledTimes(1);
    expect(edit).not.toHaveBeenCalled();
    expect(screen.queryByRole('menu')).toBeNull();
  });
});

describe('presets', () => {
  it('offers the four presets as radios and says which is chosen', async () => {
    const user = userEvent.setup();
    const chosen = vi.fn();
    render(<PresetPicker name="p" value="rdp" t={t} onChange={chosen} />);
    const group = screen.getByRole('group', { name: 'What do you want to reach?' });
    expect(
      within(group)
        .getAllByRole('radio')
        .map((r) => r.getAttribute('value')),
    ).toEqual(['rdp', 'ssh', 'web', 'other']);
    expect(screen.getByRole('radio', { name: /^Remote Desktop/ })).toHaveProperty('checked', true);
    const web = screen.getByRole('radio', { name: 'Web' });
    expect(web.getAttribute('aria-describedby')).toBe('p-web-hint');
    expect(document.getElementById('p-web-hint')?.textContent).toBe(
      'A website or web app (port 80 or 443)',
    );
    await user.click(web);
    expect(chosen).toHaveBeenCalledWith('web');
  });

  it('suggests local ports people expect, and opens Web tunnels over http or https', () => {
    expect([3389, 22, 80, 443, 5432, 60_000].map(preferredLocalPort)).toEqual([
      13_389, 2222, 8080, 8443, 15_432, 60_000,
    ]);
    const web = { localHost: '0.0.0.0', localPort: 8443, remotePort: 443 };
    expect(webUrl(web)).toBe('https://127.0.0.1:8443/');
    expect(webUrl({ ...web, localHost: '::1', remotePort: 80 })).toBe('http://[::1]:8443/');
  });

  it('fills only what the person has not typed', () => {
    const names = ['Remote Desktop', 'SSH', 'Web'];
    const rdp = emptyTunnelForm('rdp', 'Remote Desktop');
    expect(withPreset(rdp, 'ssh', 'SSH', names)).toMatchObject({
      kind: 'ssh',
      name: 'SSH',
      remoteHost: 'localhost',
      remotePort: '22',
    });
    const typed = { ...rdp, name: 'Office PC', remoteHost: 'desk-42', remotePort: '3390' };
    expect(withPreset(typed, 'web', 'Web', names)).toMatchObject({
      kind: 'web',
      name: 'Office PC',
      remoteHost: 'desk-42',
      remotePort: '3390',
    });
    expect(withPreset(rdp, 'other', '', names)).toMatchObject({
      name: '',
      remoteHost: '',
      remotePort: '',
    });
  });
});

describe('the hint after saving', () => {
  const config = {
    id: 't-1',
    name: 'Office PC',
    kind: 'rdp' as const,
    localHost: '127.0.0.1',
    localPort: 13_389,
    remoteHost: 'localhost',
    remotePort: 3389,
    enabled: true,
  };

  function hint(tunnel: TunnelSnapshot) {
    const open = vi.fn();
    const copy = vi.fn(() => Promise.resolve(true));
    const view = render(
      <ConnectHint
        tunnel={tunnel}
        t={t}
        isBridged
        onCopy={copy}
        onOpen={open}
        onClose={() => undefined}
      />,
    );
    return { open, copy, ...view };
  }

  it('says where to connect; Open waits for the tunnel and says why', async () => {
    const user = userEvent.setup();
    const { open, copy, rerender } = hint(tunnelSnapshot(config, { status: 'registering' }));
    expect(text(screen.getByTestId('connect-hint'))).toMatch(
      /^Connect Remote Desktop to 127\.0\.0\.1:13389/,
    );
    const button = screen.getByRole('button', { name: 'Open' });
    expect(button).toHaveProperty('disabled', true);
    expect(
      document.getElementById(button.getAttribute('aria-describedby') ?? '')?.textContent,
    ).toBe('Asking the relay…');
    await user.click(screen.getByRole('button', { name: 'Copy' }));
    expect(copy).toHaveBeenCalledTimes(1);
    expect(await screen.findByText('Copied')).toBeTruthy();
    rerender(
      <ConnectHint
        tunnel={tunnelSnapshot(config, { status: 'listening' })}
        t={t}
        isBridged
        onCopy={copy}
        onOpen={open}
      />,
    );
    await user.click(screen.getByRole('button', { name: 'Open' }));
    expect(open).toHaveBeenCalledTimes(1);
  });

  it('names the browser for a Web tunnel and has no Open for Other', () => {
    hint(tunnelSnapshot({ ...config, kind: 'web', localPort: 8080 }, { status: 'listening' }));
    expect(text(screen.getByTestId('connect-hint'))).toMatch(
      /^Connect your browser to 127\.0\.0\.1:8080/,
    );
    hint(tunnelSnapshot({ ...config, id: 't-2', kind: 'other', localPort: 15_432 }));
    const other = screen.getAllByTestId('connect-hint')[1]!;
    expect(text(other)).toMatch(/^Connect your program to 127\.0\.0\.1:15432/);
    expect(within(other).queryByRole('button', { name: 'Open' })).toBeNull();
  });
});

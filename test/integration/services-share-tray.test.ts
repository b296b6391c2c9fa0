// The share keeps running from the tray with the window hidden: its row's Stop sharing and
// Start sharing go through the same router as the window (services/tray-actions.ts) to a real
// cloudbridge-relay process, its label follows the state, and another instance of the tenant
// reaches the computer again after the tray started it. Before a relay or a token, Start is
// shown disabled with the reason.
import { afterEach, describe, expect, it } from 'vitest';
import { runTrayRequest, trayActionRequest } from '../../src-main/services/tray-actions';
import { buildTrayModel } from '../../src-main/services/tray-model';
import type { AppSnapshot } from '../../src-main/shared/ipc-contract';
import type { TrayAction, TrayMenuItem } from '../../src-main/shared/tray-types';
import { stopAllProcesses } from '../harness/processes';
import { spawnRelayProcess } from '../harness/relay';
import { echoRoundTrip, freePort, Pattern, startEchoServer } from '../harness/traffic';
import {
  cleanupShareTests,
  closeLater,
  expectOk,
  startInstance,
  type Instance,
} from './services-share-helpers';

afterEach(async () => {
  await cleanupShareTests();
  await stopAllProcesses();
});

type Submenu = Extract<TrayMenuItem, { kind: 'submenu' }>;

function shareRow(snapshot: AppSnapshot, language: 'en' | 'ru' = 'en'): Submenu | null {
  const tray = buildTrayModel(snapshot, { language, nowMs: Date.now(), platform: 'linux' });
  const row = tray.items.find(
    (i): i is Submenu =>
      i.kind === 'submenu' && (i.label.startsWith('Share') || i.label.startsWith('Доступ')),
  );
  return row ?? null;
}

function actionIn(row: Submenu, label: string): TrayAction {
  const item = row.items.find((i) => i.kind === 'action' && i.label === label);
  if (item?.kind !== 'action') throw new Error(`no entry ${label} in ${row.label}`);
  return item.action;
}

/** What main's tray click does with an action that asks the services for something. */
async function click(instance: Instance, action: TrayAction): Promise<void> {
  const request = trayActionRequest(action);
  if (request === null) throw new Error(`${action.type} asks the services nothing`);
  expect(await runTrayRequest(instance.app.router, request)).toBeNull();
}

describe('the share from the tray', () => {
  it('stops and starts sharing from its row with the window hidden, and the computer is reached again', async () => {
    const relay = await spawnRelayProcess({ args: ['--auth-per-minute', '1000'] });
    closeLater(() => relay.close());
    const rdp = await startEchoServer();
    closeLater(() => rdp.close());
    const a = await startInstance(relay, await relay.token({ sub: 'office' }), {
      shareTargets: { rdp: { host: '127.0.0.1', port: rdp.port } },
    });
    expect(shareRow(a.app.controller.snapshot())).toBeNull();
    expectOk(
      await a.api.shareStart({ name: 'office-pc', services: ['rdp'], allowSubs: null }),
      'sharing',
    );
    const online = await a.until((s) => s.engine.publish?.status === 'online', 'online');
    a.app.setWindowVisible(false);
    const row = shareRow(online)!;
    expect(row.label).toBe('Share “office-pc” — online');

    await click(a, actionIn(row, 'Stop sharing'));
    const off = await a.until((s) => (s.engine.publish ?? null) === null, 'unpublished');
    expect(a.app.settings.get().share?.enabled).toBe(false);
    const offRow = shareRow(off)!;
    expect(offRow.label).toBe('Share “office-pc” — off');
    expect(shareRow(off, 'ru')!.label).toBe('Доступ к «office-pc» — выключен');

    const b = await startInstance(relay, await relay.token({ sub: 'bob' }));
    expect(expectOk(await b.api.serversList(), 'listing while stopped')).toEqual([]);

    // Start from the tray shares it again as it was set up.
    expect(actionIn(offRow, 'Start sharing')).toEqual({
      type: 'startShare',
      draft: { name: 'office-pc', services: ['rdp'], allowSubs: null },
    });
    await click(a, actionIn(offRow, 'Start sharing'));
    const again = await a.until((s) => s.engine.publish?.status === 'online', 'online again');
    expect(shareRow(again)!.label).toBe('Share “office-pc” — online');
    const localPort = await freePort();
    const tunnel = expectOk(
      await b.api.tunnelSave({
        name: 'Office',
        kind: 'rdp',
        localHost: '127.0.0.1',
        localPort,
        remoteHost: 'office-pc',
        remotePort: 3389,
        enabled: true,
        server: 'office-pc',
      }),
      'adding the tunnel',
    );
    await b.until(
      (s) => s.engine.tunnels.some((t) => t.id === tunnel.id && t.status === 'listening'),
      'the tunnel listening',
    );
    const pattern = new Pattern(64 * 1024, 5);
    const { sent, received } = await echoRoundTrip(localPort, pattern);
    expect(received.bytes).toBe(pattern.totalBytes);
    expect(received.sha256).toBe(sent);
  });

  it('shows Start sharing disabled with the reason while signed out', async () => {
    const relay = await spawnRelayProcess();
    closeLater(() => relay.close());
    const a = await startInstance(relay, await relay.token({ sub: 'office' }));
    expectOk(
      await a.api.shareStart({ name: 'office-pc', services: ['ssh'], allowSubs: null }),
      'sharing',
    );
    expectOk(await a.api.shareStop(), 'stopping');
    expectOk(await a.api.tokenSignOut(), 'signing out');
    const row = shareRow(await a.until((s) => !s.account.signedIn, 'signed out'))!;
    const start = row.items.find((i) => 'label' in i && i.label.startsWith('Start sharing'));
    expect(start).toMatchObject({ kind: 'disabled', reason: 'not signed in' });
    expect(start && 'label' in start && start.label).toContain('not signed in');
  });
});

// The tray over the real services, engine and relay: a port another program holds is the
// engine's own English error, and the tray says it in the user's language only; the submenu's
// entries do what they say through the same router as the window (open, try again, turn on),
// and "Turn all tunnels off" switches every tunnel off in the settings and the engine.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import { createMemorySecretStore } from '../../src-main/services/secret-store';
import { runTrayRequest, trayActionRequest } from '../../src-main/services/tray-actions';
import { buildTrayModel, type TrayModelOptions } from '../../src-main/services/tray-model';
import type { LaunchCommand } from '../../src-main/services/tunnel-launcher';
import type { Result } from '../../src-main/shared/ipc-contract';
import type { TrayAction, TrayMenuItem, TrayModel } from '../../src-main/shared/tray-types';
import { startTestRelay } from '../harness/relay';
import { freePort } from '../harness/traffic';
import { englishWords } from '../unit/i18n-english';
import { profileFor, waitFor } from './services-helpers';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function expectOk(result: Result<unknown>): void {
  if (!result.ok) throw new Error(`request failed: ${JSON.stringify(result)}`);
}

async function holdPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return { port: address.port, server };
}

async function setUp() {
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-tray-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const relay = await startTestRelay();
  cleanups.push(() => relay.close());
  const launched: LaunchCommand[] = [];
  const app: AppServices = createAppServices({
    dataDir,
    secretStore: createMemorySecretStore(),
    startBuiltinRelay: null,
    platform: 'linux',
    launch: (command) => {
      launched.push(command);
      return Promise.resolve();
    },
  });
  cleanups.push(() => app.close());
  await app.start();
  expectOk(
    await app.router.handle('cloudbridge:settings.update', { relay: profileFor(relay, dataDir) }),
  );
  expectOk(await app.router.handle('cloudbridge:token.save', { token: await relay.token() }));
  await waitFor(() => app.controller.snapshot().engine.state === 'active');
  return { app, launched };
}

const flatten = (items: readonly TrayMenuItem[]): TrayMenuItem[] =>
  items.flatMap((i) => (i.kind === 'submenu' ? [i, ...flatten(i.items)] : [i]));
const texts = (model: TrayModel) => [
  model.tooltip,
  ...flatten(model.items).flatMap((i) => ('label' in i ? [i.label] : [])),
];
function rowOf(model: TrayModel, name: string) {
  const row = model.items.find((i) => i.kind === 'submenu' && i.label.startsWith(`${name} —`));
  if (row?.kind !== 'submenu') throw new Error(`no row for ${name}`);
  return row;
}
function actionOf(items: readonly TrayMenuItem[], label: string): TrayAction {
  const item = items.find((i) => i.kind === 'action' && i.label === label);
  if (item?.kind !== 'action') throw new Error(`no entry ${label}`);
  return item.action;
}

/** What main's tray click does with an action that asks the services for something. */
async function click(app: AppServices, action: TrayAction): Promise<void> {
  const request = trayActionRequest(action);
  if (request === null) throw new Error(`${action.type} asks the services nothing`);
  expect(await runTrayRequest(app.router, request)).toBeNull();
}

describe('the tray over the real services', () => {
  it('words a real engine error in the user’s language only, and its entries do what they say', async () => {
    const { app, launched } = await setUp();
    const held = await holdPort();
    const officePort = await freePort();
    for (const [name, kind, localPort] of [
      ['Office', 'rdp', officePort],
      ['Held', 'other', held.port],
    ] as const)
      expectOk(
        await app.router.handle('cloudbridge:tunnel.save', {
          name,
          kind,
          localHost: '127.0.0.1',
          localPort,
          remoteHost: '127.0.0.1',
          remotePort: 3389,
          enabled: true,
        }),
      );
    const tunnel = (name: string) =>
      app.controller.snapshot().engine.tunnels.find((t) => t.name === name);
    await waitFor(
      () => tunnel('Office')?.status === 'listening' && tunnel('Held')?.status === 'error',
    );
    const error = tunnel('Held')?.error;
    expect(error?.code).toBe('port_in_use');
    const now = Date.now();
    const ru: TrayModelOptions = { language: 'ru', nowMs: now, platform: 'linux' };
    const en: TrayModelOptions = { ...ru, language: 'en' };

    const russian = buildTrayModel(app.controller.snapshot(), ru);
    expect(rowOf(russian, 'Held').label).toBe(`Held — порт ${held.port} занят`);
    expect(rowOf(russian, 'Office').label).toBe(`Office — работает · 127.0.0.1:${officePort}`);
    expect(russian.icon).toBe('error');
    const english = buildTrayModel(app.controller.snapshot(), en);
    expect(rowOf(english, 'Held').label).toBe(`Held — port ${held.port} in use`);
    // The engine's own words go to the log, never into the tray, in either language.
    for (const model of [russian, english])
      for (const english of [error?.message ?? '', error?.detail ?? ''].filter((s) => s !== ''))
        expect(texts(model).filter((text) => text.includes(english))).toEqual([]);
    for (const text of texts(russian))
      expect(englishWords(text, ['Office', 'Held']), text).toEqual([]);

    const office = rowOf(english, 'Office').items;
    expect(actionOf(office, 'Copy address')).toEqual({
      type: 'copyText',
      text: `127.0.0.1:${officePort}`,
    });
    await click(app, actionOf(office, 'Open in Remote Desktop'));
    expect(launched).toEqual([{ command: 'xdg-open', args: [`rdp://127.0.0.1:${officePort}`] }]);

    // The other program lets the port go: "Try again" from the failed row brings it up.
    await new Promise<void>((resolve) => held.server.close(() => resolve()));
    await click(app, actionOf(rowOf(english, 'Held').items, 'Try again'));
    await waitFor(() => tunnel('Held')?.status === 'listening');
    expect(rowOf(buildTrayModel(app.controller.snapshot(), en), 'Held').label).toBe(
      `Held — ready · 127.0.0.1:${held.port}`,
    );

    await click(app, actionOf(english.items, 'Turn all tunnels off'));
    await waitFor(() => app.controller.snapshot().engine.tunnels.every((t) => t.status === 'off'));
    expect(app.controller.snapshot().settings.tunnels.map((t) => t.enabled)).toEqual([
      false,
      false,
    ]);
    const off = buildTrayModel(app.controller.snapshot(), en);
    expect(off.items.filter((i) => i.kind === 'submenu').map((i) => i.label)).toEqual([
      'Office — off',
      'Held — off',
    ]);
    expect(texts(off)).not.toContain('Turn all tunnels off');
    // The listener is closed: the port can be had again.
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(officePort, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    await click(app, actionOf(rowOf(off, 'Office').items, 'Turn on'));
    await waitFor(() => tunnel('Office')?.status === 'listening');
    expect(tunnel('Held')?.enabled).toBe(false);
  });
});

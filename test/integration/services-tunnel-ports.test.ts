// The tunnel requests behind the redesigned Tunnels view, through main's router against a real
// relay over TLS on 127.0.0.1: a free local port suggested past ones another program holds or
// another tunnel is configured on; a tunnel whose port was taken tries again once it is free;
// the address copied is the one a client dials; a Web tunnel opens its page in the browser;
// and stats pushes carry today's and all-time totals with the bytes just moved, not 10 s late,
// and the connection counts with them.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppSnapshot, Result, StatsUpdate } from '../../src-main/shared/ipc-contract';
import type { TunnelConfig, TunnelSnapshot } from '../../src-main/shared/model';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import type { Push } from '../../src-main/services/app-controller';
import { createMemorySecretStore } from '../../src-main/services/secret-store';
import { startTestRelay, type TestRelay } from '../harness/relay';
import {
  echoRoundTrip,
  freePort,
  Pattern,
  startEchoServer,
  type TestServer,
} from '../harness/traffic';
import { profileFor, waitFor } from './services-helpers';

let app: AppServices | null = null;
let relay: TestRelay | null = null;
let echo: TestServer | null = null;
let dataDir: string | null = null;
const held: Server[] = [];
const opened: string[] = [];
const copied: string[] = [];
/** What the clipboard answers with next (Electron 45's writeText returns a promise). */
let clipboardRefusal: Error | null = null;

afterEach(async () => {
  await app?.close();
  app = null;
  await relay?.close();
  relay = null;
  await echo?.close();
  echo = null;
  for (const s of held.splice(0)) await new Promise((r) => s.close(r));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = null;
  opened.length = 0;
  copied.length = 0;
  clipboardRefusal = null;
});

function ok<T = unknown>(result: Result<unknown>): T {
  if (!result.ok) throw new Error(`request failed: ${JSON.stringify(result.error)}`);
  return result.value as T;
}

async function hold(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  held.push(server);
  return server;
}

async function start(options: { connect?: boolean } = {}): Promise<AppServices> {
  dataDir = mkdtempSync(join(tmpdir(), 'cb-ports-'));
  relay = await startTestRelay();
  echo = await startEchoServer();
  app = createAppServices({
    dataDir,
    secretStore: createMemorySecretStore(),
    startBuiltinRelay: null,
    openExternal: (url) => {
      opened.push(url);
      return Promise.resolve();
    },
    writeClipboard: (text) => {
      if (clipboardRefusal) return Promise.reject(clipboardRefusal);
      copied.push(text);
      return Promise.resolve();
    },
  });
  await app.start();
  app.setWindowVisible(true);
  ok(await app.router.handle('cloudbridge:settings.update', { relay: profileFor(relay, dataDir) }));
  ok(await app.router.handle('cloudbridge:token.save', { token: await relay.token() }));
  if (options.connect !== false) {
    ok(await app.router.handle('cloudbridge:session.connect', undefined));
    await waitFor(() => app!.controller.snapshot().engine.state === 'active');
  }
  return app;
}

async function addTunnel(
  services: AppServices,
  name: string,
  localPort: number,
  extra: Partial<TunnelConfig> = {},
): Promise<TunnelConfig> {
  return ok<TunnelConfig>(
    await services.router.handle('cloudbridge:tunnel.save', {
      name,
      kind: 'other',
      localHost: '127.0.0.1',
      localPort,
      remoteHost: '127.0.0.1',
      remotePort: echo!.port,
      enabled: true,
      ...extra,
    }),
  );
}

const suggest = async (services: AppServices, port: number, tunnelId?: string) =>
  ok<{ port: number }>(
    await services.router.handle('cloudbridge:tunnel.suggestPort', {
      port,
      localHost: '127.0.0.1',
      ...(tunnelId !== undefined ? { tunnelId } : {}),
    }),
  ).port;

const statusOf = (services: AppServices, id: string): TunnelSnapshot | undefined =>
  services.controller.snapshot().engine.tunnels.find((t) => t.id === id);

describe('tunnel requests for the Tunnels view', () => {
  it('suggests the port asked for when free, else the next one nothing holds or is configured on', async () => {
    const services = await start({ connect: false });
    const base = await freePort();
    expect(await suggest(services, base)).toBe(base);
    // Another program holds `base`; a disabled tunnel is configured on base + 1.
    await hold(base);
    await addTunnel(services, 'Configured', base + 1, { enabled: false });
    const next = await suggest(services, base);
    expect(next).toBeGreaterThanOrEqual(base + 2);
    // What was suggested can really be bound.
    await hold(next);
  });

  it('keeps a listening tunnel its own port, and moves a failed one past the program holding it', async () => {
    const services = await start();
    const port = await freePort();
    const mine = await addTunnel(services, 'Mine', port);
    await waitFor(() => statusOf(services, mine.id)?.status === 'listening');
    expect(await suggest(services, port, mine.id)).toBe(port);
    // Anyone else asking for that port is sent past it: this tunnel's listener holds it.
    expect(await suggest(services, port)).toBeGreaterThan(port);

    const taken = await freePort();
    await hold(taken);
    const blocked = await addTunnel(services, 'Blocked', taken);
    await waitFor(() => statusOf(services, blocked.id)?.error?.code === 'port_in_use');
    expect(await suggest(services, taken, blocked.id)).toBeGreaterThan(taken);
  });

  it('tries a tunnel again once the program that held its port lets go, settings untouched', async () => {
    const services = await start();
    const port = await freePort();
    const squatter = await hold(port);
    const tunnel = await addTunnel(services, 'Office', port);
    await waitFor(() => statusOf(services, tunnel.id)?.error?.code === 'port_in_use');
    held.splice(held.indexOf(squatter), 1);
    await new Promise((r) => squatter.close(r));
    const before = services.settings.get();
    ok(await services.router.handle('cloudbridge:tunnel.retry', { id: tunnel.id }));
    await waitFor(() => statusOf(services, tunnel.id)?.status === 'listening');
    expect(statusOf(services, tunnel.id)?.error).toBeNull();
    expect(services.settings.get()).toEqual(before);
    await echoRoundTrip(port, new Pattern(4096));
    const gone = await services.router.handle('cloudbridge:tunnel.retry', { id: 't-nothing' });
    expect(gone.ok).toBe(false);
  });

  it('copies the address a client dials and opens a Web tunnel in the browser', async () => {
    const services = await start({ connect: false });
    const port = await freePort();
    const web = await addTunnel(services, 'Intranet', port, { kind: 'web', remotePort: 80 });
    const secure = await addTunnel(services, 'Portal', port + 1, {
      kind: 'web',
      localHost: '0.0.0.0',
      remotePort: 443,
    });
    expect(
      ok(await services.router.handle('cloudbridge:tunnel.copyAddress', { id: web.id })),
    ).toEqual({ text: `127.0.0.1:${port}` });
    expect(copied).toEqual([`127.0.0.1:${port}`]);
    // A clipboard that refuses is the request's answer, not a copy said to have happened.
    clipboardRefusal = new Error('clipboard is owned by another program');
    const refused = await services.router.handle('cloudbridge:tunnel.copyAddress', { id: web.id });
    expect(refused.ok).toBe(false);
    expect(copied).toEqual([`127.0.0.1:${port}`]);
    clipboardRefusal = null;
    ok(await services.router.handle('cloudbridge:tunnel.open', { id: web.id }));
    ok(await services.router.handle('cloudbridge:tunnel.open', { id: secure.id }));
    expect(opened).toEqual([`http://127.0.0.1:${port}/`, `https://127.0.0.1:${port + 1}/`]);
  });

  it('pushes today and all-time totals with the stats, holding the bytes just moved', async () => {
    const services = await start();
    const pushes: Push[] = [];
    services.onEvent((p) => pushes.push(p));
    const port = await freePort();
    const tunnel = await addTunnel(services, 'Totals', port);
    await waitFor(() => statusOf(services, tunnel.id)?.status === 'listening');
    const bytes = 200_000;
    await echoRoundTrip(port, new Pattern(bytes));
    // Well inside the 10 s flush: the totals a stats push carries already count this traffic.
    const stats = await waitFor(() =>
      pushes
        .flatMap((p): StatsUpdate[] => (p.event === 'cloudbridge:stats.changed' ? [p.payload] : []))
        .find((s) => (s.totals[tunnel.id]?.todayIn ?? 0) >= bytes),
    );
    const live = stats.tunnels.find((t) => t.id === tunnel.id);
    // The connection counts travel with them too: the one echo connection, none failed.
    expect(live?.totalConnections).toBe(1);
    expect(live?.failedConnections).toBe(0);
    const totals = stats.totals[tunnel.id];
    expect(totals?.todayIn).toBe(live?.bytesIn);
    expect(totals?.todayOut).toBe(live?.bytesOut);
    expect(totals?.allTimeIn).toBe(live?.bytesIn);
    const snapshot = ok<AppSnapshot>(
      await services.router.handle('cloudbridge:app.snapshot', undefined),
    );
    expect(snapshot.totals[tunnel.id]?.todayIn).toBeGreaterThanOrEqual(bytes);
  });
});

// The first run a connection link makes possible, end to end: a real `cloudbridge-relay` process
// over TLS on 127.0.0.1 with its own development certificate, `cloudbridge-relay invite
// --with-token` printing the link, a fresh profile of the real services (engine in its own
// process) and the built UI in Debian's Chromium. From there to bytes echoed through a Remote
// Desktop tunnel (a TCP echo server stands in for the RDP host on the relay's own computer,
// 127.0.0.1:3389) in at most 3 user actions, each counted as a person would make it: the link
// handed over by the OS (as main receives it), Accept and connect, Add tunnel.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import { createMemorySecretStore } from '../../src-main/services/secret-store';
import { childEnvironment, createForkTransport } from '../../src-main/engine-host/transport';
import { PRESET_REMOTE_HOST, presetFor } from '../../src-main/shared/tunnel-presets';
import {
  buildRenderer,
  emitToPage,
  exposeBridge,
  launchChromium,
  removeDir,
  serveStatic,
  type StaticServer,
} from '../harness/chromium';
import { bundleEntry, childEnv, REPO_ROOT } from '../harness/bundle';
import { newJwtSecret, relayBundlePath } from '../harness/relay';
import {
  runToCompletion,
  startProcess,
  stopAllProcesses,
  type ManagedProcess,
} from '../harness/processes';

/** Page updates travel through IPC-shaped pushes; on a busy 2-core machine allow a while. */
const POLL_TIMEOUT_MS = 20_000;
const SHOTS = fileURLToPath(new URL('../../artifacts/screenshots/', import.meta.url));
/** What the issue allows from the link to bytes through the tunnel. */
const MAX_USER_ACTIONS = 3;
/** The Remote Desktop preset's remote port, on the relay's own computer. */
const RDP_PORT = presetFor('rdp').remotePort ?? 3389;
const ECHO_BYTES = 256 * 1024;

let dir = '';
let relayCli = '';
let hostChild = '';
let outDir: string | null = null;
let server: StaticServer | null = null;
let browser: Browser | null = null;
let context: BrowserContext | null = null;
let services: AppServices | null = null;
let rdpHost: Server | null = null;
let relay: ManagedProcess | null = null;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'cloudbridge-first-run-'));
  relayCli = await relayBundlePath();
  hostChild = await bundleEntry(
    'src-main/engine-host/host-child.ts',
    join(mkdtempSync(join(tmpdir(), 'cloudbridge-first-run-host-')), 'host-child.js'),
  );
  outDir = await buildRenderer();
  server = await serveStatic(outDir);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  removeDir(outDir);
  if (hostChild) removeDir(dirname(hostChild));
  removeDir(dir);
});

afterEach(async () => {
  await context?.close();
  context = null;
  await services?.close();
  services = null;
  await stopAllProcesses();
  relay = null;
  if (rdpHost) {
    const closing = rdpHost;
    await new Promise((resolve) => closing.close(resolve));
  }
  rdpHost = null;
});

const env = (): NodeJS.ProcessEnv => {
  const clean = childEnv();
  delete clean['CLOUDBRIDGE_TOKEN'];
  delete clean['CLOUDBRIDGE_JWT_SECRET'];
  return clean;
};

/** The RDP host: an echo server on the relay's computer at the preset's port. */
async function startRdpStandIn(): Promise<Server> {
  const echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve, reject) => {
    echo.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `127.0.0.1:${RDP_PORT} is needed for the Remote Desktop preset's target: ${error.code}`,
        ),
      ),
    );
    echo.listen(RDP_PORT, '127.0.0.1', () => resolve());
  });
  return echo;
}

/** The relay as its operator runs it: a data dir for its certificate, a secret in a file. */
async function startRelayProcess(): Promise<{ port: number; dataDir: string; secretFile: string }> {
  const dataDir = join(dir, 'relay-data');
  const secretFile = join(dir, 'relay-secret');
  writeFileSync(secretFile, `${newJwtSecret()}\n`, { mode: 0o600 });
  relay = startProcess(
    process.execPath,
    [
      relayCli,
      '--listen',
      '127.0.0.1:0',
      '--data-dir',
      dataDir,
      '--jwt-secret-file',
      secretFile,
      '--allow',
      '127.0.0.1/32',
    ],
    { cwd: REPO_ROOT, env: env(), name: 'cloudbridge-relay' },
  );
  const line = await relay.waitForLine(/listening on tls:\/\/127\.0\.0\.1:\d+/, 20_000);
  return { port: Number(/:(\d+)\s*$/.exec(line)?.[1]), dataDir, secretFile };
}

/** Echoes `bytes` random bytes through host:port; resolves with what came back. */
function echoThrough(host: string, port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host, port });
    const chunks: Buffer[] = [];
    let got = 0;
    socket.setTimeout(20_000, () => socket.destroy(new Error('no echo through the tunnel')));
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= bytes.length) socket.end();
    });
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}

async function openApp(app: AppServices): Promise<Page> {
  context = await browser!.newContext({ locale: 'en-US', viewport: { width: 960, height: 800 } });
  await exposeBridge(context, (channel, payload) => app.router.handle(channel, payload));
  const page = await context.newPage();
  app.onEvent((push) => void emitToPage(page, push.event, push.payload));
  app.setWindowVisible(true);
  await page.goto(server!.url);
  await page.getByRole('navigation').waitFor();
  return page;
}

describe('first run from a connection link (real relay process, real services, Chromium)', () => {
  it('goes from a fresh profile and an invite link to bytes through a Remote Desktop tunnel in 3 actions', async () => {
    rdpHost = await startRdpStandIn();
    const { port, dataDir, secretFile } = await startRelayProcess();
    const made = await runToCompletion(
      process.execPath,
      [
        relayCli,
        'invite',
        '--data-dir',
        dataDir,
        '--jwt-secret-file',
        secretFile,
        '--public-host',
        `127.0.0.1:${port}`,
        '--sub',
        'alice',
        '--with-token',
      ],
      { cwd: dir, env: env(), timeoutMs: 20_000 },
    );
    expect(made.code, made.stderr).toBe(0);
    const link = made.stdout.trim();
    expect(link).toMatch(/^cloudbridge:\/\/invite\//);

    const profile = mkdtempSync(join(tmpdir(), 'cloudbridge-first-run-profile-'));
    services = createAppServices({
      dataDir: profile,
      secretStore: createMemorySecretStore(),
      startBuiltinRelay: null,
      engineHost: {
        start: (onOutput) =>
          createForkTransport(hostChild, { env: childEnvironment(childEnv()), onOutput }),
      },
      launch: () => Promise.resolve(),
      appInfo: { version: '0.1.0-e2e', commit: 'e2e' },
    });
    await services.start();
    const page = await openApp(services);
    await page.getByTestId('checklist').waitFor();
    expect(services.settings.get().relay).toBeNull();
    expect(services.settings.get().tunnels).toEqual([]);

    // Everything a person does goes through here, one action each.
    const actions: string[] = [];
    const act = async (what: string, step: () => Promise<unknown>) => {
      actions.push(what);
      await step();
    };

    // 1. The person opens the link; the OS hands it to the app, which gives it to the services.
    await act('open the link', () =>
      services!.controller.receiveInvite({ kind: 'link', text: link }),
    );
    const invite = page.getByTestId('invite');
    await invite.waitFor({ timeout: POLL_TIMEOUT_MS });
    expect(await invite.getByTestId('invite-identity').textContent()).toBe('alice');
    expect(await invite.getByTestId('invite-relay').textContent()).toBe(`127.0.0.1:${port}`);
    await page.screenshot({ path: join(SHOTS, 'first-run-1-link.png'), fullPage: true });

    // 2. Accept: the relay, its key and the token are set, and the app connects.
    await act('accept the link', () =>
      invite.getByRole('button', { name: 'Accept and connect' }).click(),
    );
    const badge = page.locator('[data-testid="status-header"] [role="status"]');
    await expect.poll(() => badge.textContent(), { timeout: POLL_TIMEOUT_MS }).toBe('Active');
    const tunnelStep = page.getByTestId('step-tunnel');
    await expect
      .poll(() => tunnelStep.getAttribute('aria-current'), { timeout: POLL_TIMEOUT_MS })
      .toBe('step');
    expect(await tunnelStep.getByLabel('Computer').inputValue()).toBe(PRESET_REMOTE_HOST);
    await page.screenshot({ path: join(SHOTS, 'first-run-2-connected.png'), fullPage: true });

    // 3. Add tunnel: Remote Desktop to the relay's computer, on a free local port.
    await act('add the Remote Desktop tunnel', () =>
      tunnelStep.getByRole('button', { name: 'Add tunnel' }).click(),
    );
    const hint = page.getByTestId('connect-hint');
    await hint.waitFor({ timeout: POLL_TIMEOUT_MS });
    const address = (await hint.locator('.connect-hint-address').textContent()) ?? '';
    const [host, localPort] = address.split(':');
    expect(host).toBe('127.0.0.1');
    expect(await hint.textContent()).toContain(`Connect Remote Desktop to ${address}`);
    await expect
      .poll(() => page.getByTestId('checklist').count(), { timeout: POLL_TIMEOUT_MS })
      .toBe(0);
    await page.screenshot({ path: join(SHOTS, 'first-run-3-ready.png'), fullPage: true });

    // What the Remote Desktop client would do: bytes through the tunnel, echoed by the host.
    const sent = randomBytes(ECHO_BYTES);
    const received = await echoThrough(host!, Number(localPort), sent);
    expect(received.length).toBe(sent.length);
    expect(received.equals(sent)).toBe(true);

    expect(actions).toEqual(['open the link', 'accept the link', 'add the Remote Desktop tunnel']);
    expect(actions.length).toBeLessThanOrEqual(MAX_USER_ACTIONS);
    const [tunnel] = services.settings.get().tunnels;
    expect(tunnel).toMatchObject({
      kind: 'rdp',
      localHost: '127.0.0.1',
      localPort: Number(localPort),
      remoteHost: PRESET_REMOTE_HOST,
      remotePort: RDP_PORT,
      enabled: true,
    });
    expect(services.settings.get().relay).toMatchObject({ host: '127.0.0.1', port });
    // The counters the window shows moved with those bytes.
    await expect
      .poll(
        async () =>
          (await page.getByTestId('status-tunnels').textContent())?.includes('Ready') ?? false,
        { timeout: POLL_TIMEOUT_MS },
      )
      .toBe(true);
    // The tunnel on its own view: its rate over the last minute, the bytes, one connection.
    await page
      .getByRole('navigation')
      .getByRole('button', { name: 'Tunnels', exact: true })
      .click();
    const row = page.getByTestId(`tunnel-${tunnel!.id}`);
    await row.getByRole('heading', { name: 'Remote Desktop' }).getByRole('button').click();
    await expect
      .poll(() => row.getByTestId('connections-total').textContent(), { timeout: POLL_TIMEOUT_MS })
      .toBe('1');
    await expect.poll(() => row.getByTestId('connections-failed').textContent()).toBe('0');
    expect(await row.getByTestId('tunnel-status').textContent()).toBe('Ready');
    await page.screenshot({ path: join(SHOTS, 'first-run-4-tunnels.png'), fullPage: true });
  });
});

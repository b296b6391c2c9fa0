// "Share this computer" through the real desktop services and the real cloudbridge-relay
// process over TLS on 127.0.0.1: instance A (its engine in the engine host child, as in the
// app) shares Remote Desktop (a TCP echo server standing in for port 3389) and SSH (a real
// sshd); instance B of the same tenant lists it, adds tunnels to it, moves checksummed bytes
// and an ssh command through them while A shows who is connected; stopping sharing, a restart
// of A keeping its key, a name someone else holds and an identity not allowed, each as the
// window and the tray see them.
import { afterEach, describe, expect, it } from 'vitest';
import { buildTrayModel } from '../../src-main/services/tray-model';
import { translatorFor } from '../../src-main/shared/i18n/translator';
import type { AppSnapshot } from '../../src-main/shared/ipc-contract';
import type { TunnelConfig } from '../../src-main/shared/model';
import { runToCompletion, stopAllProcesses } from '../harness/processes';
import { spawnRelayProcess, type RelayProcess } from '../harness/relay';
import { startSshd, type Sshd } from '../harness/sshd';
import {
  connectTcp,
  echoRoundTrip,
  freePort,
  Pattern,
  readAll,
  startEchoServer,
  writePattern,
  type TestServer,
} from '../harness/traffic';
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

const TENANT = 'acme';
const MIB = 1024 * 1024;
const SSH_WORDS = 'hello-through-the-shared-computer';

interface Scene {
  readonly relay: RelayProcess;
  readonly echo: TestServer;
  readonly sshd: Sshd;
  readonly targets: { rdp: { host: string; port: number }; ssh: { host: string; port: number } };
}

async function scene(): Promise<Scene> {
  const relay = await spawnRelayProcess({ args: ['--auth-per-minute', '1000'] });
  closeLater(() => relay.close());
  const echo = await startEchoServer();
  closeLater(() => echo.close());
  const sshd = await startSshd();
  closeLater(() => sshd.close());
  return {
    relay,
    echo,
    sshd,
    targets: {
      rdp: { host: '127.0.0.1', port: echo.port },
      ssh: { host: '127.0.0.1', port: sshd.port },
    },
  };
}

const token = (relay: RelayProcess, sub: string) => relay.token({ sub, tenant: TENANT });

/** A shares Remote Desktop and SSH as `name`, with its engine in the host child. */
async function sharingComputer(
  s: Scene,
  name = 'office-pc',
  allowSubs: string[] | null = null,
): Promise<Instance> {
  const a = await startInstance(s.relay, await token(s.relay, 'office'), {
    engineHost: true,
    shareTargets: s.targets,
  });
  expectOk(await a.api.shareStart({ name, services: ['rdp', 'ssh'], allowSubs }), 'sharing');
  await a.until((x) => x.engine.publish?.status === 'online', 'the share online');
  return a;
}

async function addServerTunnel(b: Instance, server: string, port: number): Promise<TunnelConfig> {
  return expectOk(
    await b.api.tunnelSave({
      name: `${server} ${port}`,
      kind: port === 22 ? 'ssh' : 'rdp',
      localHost: '127.0.0.1',
      localPort: await freePort(),
      remoteHost: server,
      remotePort: port,
      enabled: true,
      server,
    }),
    `adding a tunnel to ${server}:${port}`,
  );
}

const tunnelOf = (snapshot: AppSnapshot, id: string) =>
  snapshot.engine.tunnels.find((t) => t.id === id);

describe('sharing this computer through the desktop services and a relay process', () => {
  it('shares Remote Desktop and SSH; another instance lists it, reaches both, and the first shows who is connected', async () => {
    const s = await scene();
    const a = await sharingComputer(s);
    const shared = a.app.controller.snapshot().engine.publish!;
    expect(shared).toMatchObject({ name: 'office-pc', ports: [3389, 22], allowSubs: null });
    // Keyed: the computer's key was made on first use and kept in A's keychain.
    expect(shared.publicKey).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(await a.secretStore.get('published-server-key')).toMatch(/BEGIN PRIVATE KEY/);
    expect(a.app.settings.get().share).toEqual({
      name: 'office-pc',
      services: ['rdp', 'ssh'],
      allowSubs: null,
      enabled: true,
    });

    const b = await startInstance(s.relay, await token(s.relay, 'alice'));
    expect(expectOk(await b.api.serversList(), 'listing')).toEqual([
      { name: 'office-pc', ports: [22, 3389], keyed: true, online: true },
    ]);
    const rdp = await addServerTunnel(b, 'office-pc', 3389);
    const ssh = await addServerTunnel(b, 'office-pc', 22);
    expect(rdp).toMatchObject({ server: 'office-pc', remoteHost: 'office-pc' });
    await b.until(
      (x) => [rdp, ssh].every((t) => tunnelOf(x, t.id)?.status === 'listening'),
      'both tunnels listening',
    );
    expect(tunnelOf(b.app.controller.snapshot(), rdp.id)?.endToEnd).toBe(true);

    // 8 MiB through "Remote Desktop", checked byte for byte, the connection held open.
    const pattern = new Pattern(8 * MIB, 17);
    const socket = await connectTcp(rdp.localPort);
    const reading = readAll(socket);
    await writePattern(socket, pattern, { end: false });
    const open = await a.until(
      (x) => (x.engine.publish?.connections[0]?.bytesIn ?? 0) >= pattern.totalBytes,
      'A counting the bytes of the open connection',
    );
    const connection = open.engine.publish!.connections[0]!;
    // The identity as the relay authenticated it (a single-tenant relay names its tenant).
    expect(connection).toMatchObject({
      sub: 'alice',
      tenantId: open.engine.session.tenantId,
      port: 3389,
    });
    expect(Date.now() - Date.parse(connection.since)).toBeLessThan(60_000);
    expect(connection.bytesOut).toBeGreaterThan(0);
    // The window sees the same through its own request, the tray in words.
    const windowView = expectOk(await a.api.appSnapshot(), 'the window snapshot');
    expect(windowView.engine.publish?.connections.map((c) => c.sub)).toEqual(['alice']);
    const tray = buildTrayModel(windowView, {
      language: 'en',
      nowMs: Date.now(),
      platform: 'linux',
    });
    const row = tray.items.find((i) => i.kind === 'submenu' && i.label.startsWith('Share'));
    expect(row?.kind === 'submenu' && row.label).toBe('Share “office-pc” — online · 1 connected');
    expect(row?.kind === 'submenu' && row.items.map((i) => ('label' in i ? i.label : '-'))).toEqual(
      ['alice — Remote Desktop', '-', 'Stop sharing', 'Show in window'],
    );
    socket.end();
    const echoed = await reading;
    expect(echoed.sha256).toBe(pattern.sha256());
    expect(echoed.bytes).toBe(pattern.totalBytes);
    await a.until((x) => x.engine.publish?.connections.length === 0, 'the connection gone');

    // An ssh command through the SSH tunnel, to the real sshd behind A.
    const result = await runToCompletion(
      'ssh',
      [...s.sshd.sshArgs(ssh.localPort, '127.0.0.1'), 'echo', SSH_WORDS],
      { timeoutMs: 30_000 },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(SSH_WORDS);
  });

  it('stops sharing: the relay forgets the name, the other instance no longer finds it and its tunnel says why', async () => {
    const s = await scene();
    const a = await sharingComputer(s);
    const b = await startInstance(s.relay, await token(s.relay, 'alice'));
    const rdp = await addServerTunnel(b, 'office-pc', 3389);
    await b.until((x) => tunnelOf(x, rdp.id)?.status === 'listening', 'the tunnel listening');
    const before = await echoRoundTrip(rdp.localPort, new Pattern(256 * 1024, 3));
    expect(before.received.sha256).toBe(before.sent);

    expectOk(await a.api.shareStop(), 'stopping');
    await a.until((x) => (x.engine.publish ?? null) === null, 'A not publishing');
    expect(a.app.settings.get().share).toMatchObject({ name: 'office-pc', enabled: false });
    expect(expectOk(await b.api.serversList(), 'listing')).toEqual([]);

    // The next connection finds the registration gone; the tunnel asks again and is refused.
    const after = await echoRoundTrip(rdp.localPort, new Pattern(64 * 1024, 4));
    expect(after.received.bytes).toBe(0);
    const refused = await b.until(
      (x) => tunnelOf(x, rdp.id)?.error?.detailKey === 'errorDetail.serverUnknown',
      'the tunnel saying the computer is not shared',
    );
    const error = tunnelOf(refused, rdp.id)!.error!;
    expect(error.code).toBe('invalid_tunnel_info');
    expect(translatorFor('en')(error.detailKey!, error.params)).toBe(
      'No computer named “office-pc” is shared with you.',
    );
    expect(translatorFor('ru')(error.detailKey!, error.params)).toBe(
      'Компьютер «office-pc» вам не открыт.',
    );
  });

  it('keeps the computer’s key across a restart: the same key is registered and the other’s pinned tunnel keeps working', async () => {
    const s = await scene();
    const a = await sharingComputer(s);
    const key = a.app.controller.snapshot().engine.publish!.publicKey;
    const b = await startInstance(s.relay, await token(s.relay, 'alice'));
    const rdp = await addServerTunnel(b, 'office-pc', 3389);
    await b.until((x) => tunnelOf(x, rdp.id)?.status === 'listening', 'the tunnel listening');
    const first = await echoRoundTrip(rdp.localPort, new Pattern(MIB, 5));
    expect(first.received.sha256).toBe(first.sent);

    // A quits and starts again on the same data dir and keychain: sharing resumes by itself.
    await a.close();
    const again = await startInstance(s.relay, '', {
      dataDir: a.dataDir,
      secretStore: a.secretStore,
      engineHost: true,
      shareTargets: s.targets,
    });
    const resumed = await again.until(
      (x) => x.engine.publish?.status === 'online',
      'the share online again',
    );
    expect(resumed.engine.publish?.publicKey).toBe(key);
    const second = await echoRoundTrip(rdp.localPort, new Pattern(MIB, 6));
    expect(second.received.sha256).toBe(second.sent);
    expect(tunnelOf(b.app.controller.snapshot(), rdp.id)?.error ?? null).toBeNull();

    // Another computer of the same user, with a key of its own, cannot take the name.
    const other = await startInstance(s.relay, await token(s.relay, 'office'), {
      shareTargets: s.targets,
    });
    expectOk(
      await other.api.shareStart({ name: 'office-pc', services: ['rdp'], allowSubs: null }),
      'sharing from another computer',
    );
    const refused = await other.until(
      (x) => x.engine.publish?.status === 'error',
      'the other computer refused',
    );
    expect(refused.engine.publish?.error).toMatchObject({
      code: 'tunnel_exists',
      detailKey: 'errorDetail.serverKeyMismatch',
      params: { name: 'office-pc' },
    });
  });

  it('says clearly on the share when someone else holds the name', async () => {
    const s = await scene();
    await sharingComputer(s);
    const c = await startInstance(s.relay, await token(s.relay, 'carol'), {
      shareTargets: s.targets,
    });
    expectOk(
      await c.api.shareStart({ name: 'office-pc', services: ['ssh'], allowSubs: null }),
      'sharing under a taken name',
    );
    const refused = await c.until((x) => x.engine.publish?.status === 'error', 'refused');
    const error = refused.engine.publish!.error!;
    expect(error).toMatchObject({
      code: 'tunnel_exists',
      detailKey: 'errorDetail.serverNameTaken',
      params: { name: 'office-pc' },
    });
    expect(translatorFor('en')(error.detailKey!, error.params)).toBe(
      'Another computer in your organisation is already shared as “office-pc”. Choose another name.',
    );
    const tray = buildTrayModel(refused, { language: 'en', nowMs: Date.now(), platform: 'linux' });
    expect(
      tray.items.some((i) => i.kind === 'submenu' && i.label === 'Share “office-pc” — name taken'),
    ).toBe(true);
    // Another name is shared at once.
    expectOk(
      await c.api.shareUpdate({ name: 'carol-pc', services: ['ssh'], allowSubs: null }),
      'choosing another name',
    );
    await c.until(
      (x) => x.engine.publish?.name === 'carol-pc' && x.engine.publish.status === 'online',
      'shared under its own name',
    );
  });

  it('refuses an identity not in the allow list, and its tunnel says why', async () => {
    const s = await scene();
    const a = await sharingComputer(s, 'office-pc', ['alice']);
    const bob = await startInstance(s.relay, await token(s.relay, 'bob'));
    // Not listed for bob, and refused when named anyway.
    expect(expectOk(await bob.api.serversList(), 'listing')).toEqual([]);
    const typed = await addServerTunnel(bob, 'office-pc', 3389);
    const refused = await bob.until(
      (x) => tunnelOf(x, typed.id)?.status === 'error',
      'bob’s tunnel refused',
    );
    expect(tunnelOf(refused, typed.id)?.error).toMatchObject({
      code: 'invalid_tunnel_info',
      detailKey: 'errorDetail.serverUnknown',
    });

    // Alice reaches it; once the allow list drops her, her next connection is refused.
    const alice = await startInstance(s.relay, await token(s.relay, 'alice'));
    const rdp = await addServerTunnel(alice, 'office-pc', 3389);
    await alice.until((x) => tunnelOf(x, rdp.id)?.status === 'listening', 'alice listening');
    const allowed = await echoRoundTrip(rdp.localPort, new Pattern(256 * 1024, 8));
    expect(allowed.received.sha256).toBe(allowed.sent);
    expectOk(
      await a.api.shareUpdate({ name: 'office-pc', services: ['rdp', 'ssh'], allowSubs: ['bob'] }),
      'changing who may connect',
    );
    await a.until(
      (x) =>
        JSON.stringify(x.engine.publish?.allowSubs) === '["bob"]' &&
        x.engine.publish?.status === 'online',
      'the new allow list published',
    );
    const dropped = await echoRoundTrip(rdp.localPort, new Pattern(64 * 1024, 9));
    expect(dropped.received.bytes).toBe(0);
    const stopped = await alice.until(
      (x) => tunnelOf(x, rdp.id)?.error?.detailKey === 'errorDetail.serverNotAllowed',
      'alice’s tunnel saying it is no longer shared with her',
    );
    expect(tunnelOf(stopped, rdp.id)?.error?.code).toBe('ip_not_allowed');
  });
});

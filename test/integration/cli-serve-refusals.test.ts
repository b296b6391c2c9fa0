// Bad input to `cloudbridge serve` and to `connect` towards published servers, against the
// relay process: each is one clear line and an exit code (2 before any connection, 5 when the
// relay refuses for good), and nothing is left running: the process is gone and its local
// ports are closed.

import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../harness/processes';
import { publish } from '../harness/publisher';
import { connectRawClient, type RelayProcess } from '../harness/relay';
import { connectTcp, readAll, startEchoServer } from '../harness/traffic';
import { cliKit, serverTunnels, type CliKit } from './published-cli';
import {
  cleanupPublishedTests,
  closeLater,
  engineFor,
  memoryKeyStore,
  publishingEngine,
  relayProcess,
} from './published-helpers';

afterEach(cleanupPublishedTests);

async function refusesPort(port: number): Promise<boolean> {
  try {
    (await connectTcp(port, '127.0.0.1', 2_000)).destroy();
    return false;
  } catch {
    return true;
  }
}

/** A publisher on the wire holding `name` with a serving connection up. */
async function holder(
  relay: RelayProcess,
  sub: string,
  name: string,
  options: { tenant?: string; allowedSubs?: string[]; ports?: number[] } = {},
): Promise<void> {
  const echo = closeLater(await startEchoServer(), (e) => e.close());
  const ports = options.ports ?? [22];
  const pub = await publish({
    relay,
    token: await relay.token({
      sub,
      ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
    }),
    name,
    ports,
    targets: Object.fromEntries(ports.map((p) => [p, echo.port])),
    ...(options.allowedSubs !== undefined ? { allowedSubs: options.allowedSubs } : {}),
  });
  closeLater(pub, (p) => p.close());
  await pub.openServing();
}

async function connectRefused(
  kit: CliKit,
  relay: RelayProcess,
  sub: string,
  server: string,
  port: number,
  tenant?: string,
): Promise<{ proc: ManagedProcess; local: number }> {
  const { args, local } = await serverTunnels(server, [port]);
  const proc = kit.start([
    'connect',
    ...kit.relayArgs(relay),
    '--token-file',
    await kit.tokenFile(relay, sub, tenant),
    ...args,
  ]);
  const exit = await proc.waitForExit(20_000);
  expect(exit.code, proc.stderr()).toBe(5);
  const localPort = local.get(port) ?? 0;
  expect(await refusesPort(localPort)).toBe(true);
  return { proc, local: localPort };
}

describe('cloudbridge serve and connect refusals', () => {
  it('exits 5 for a name another client holds, and for one this user holds from another computer', async () => {
    const relay = await relayProcess();
    const kit = closeLater(await cliKit(), (k) => k.close());
    await holder(relay, 'bob', 'office-pc');
    const taken = await kit.run([
      'serve',
      ...kit.relayArgs(relay),
      '--token-file',
      await kit.tokenFile(relay, 'office'),
      '--name',
      'office-pc',
      '--port',
      '22',
    ]);
    expect(taken.code).toBe(5);
    expect(taken.stderr).toMatch(
      /the relay refused to publish "office-pc": tunnel_exists: .*office-pc.* \(name_taken\)/,
    );

    // The same user's first computer publishes lab-pc; a second one (its own key) cannot take it.
    const tokenFile = await kit.tokenFile(relay, 'office');
    const first = kit.start([
      'serve',
      ...kit.relayArgs(relay),
      '--token-file',
      tokenFile,
      '--name',
      'lab-pc',
      '--port',
      '22',
      '--key-file',
      join(kit.dir, 'first.pem'),
    ]);
    await first.waitForLine(/server lab-pc {2}online/, 20_000);
    const second = await kit.run([
      'serve',
      ...kit.relayArgs(relay),
      '--token-file',
      tokenFile,
      '--name',
      'lab-pc',
      '--port',
      '22',
      '--key-file',
      join(kit.dir, 'second.pem'),
    ]);
    expect(second.code).toBe(5);
    expect(second.stderr).toMatch(/tunnel_exists: .* \(public_key_mismatch\)/);
    first.signal('SIGINT');
    expect((await first.waitForExit(10_000)).code).toBe(0);
  }, 60_000);

  it('exits 5 for a port the server does not publish, a sub it does not admit and a name of another tenant', async () => {
    const kit = closeLater(await cliKit(), (k) => k.close());
    const config = join(kit.dir, 'tenants.json');
    writeFileSync(
      config,
      JSON.stringify({
        tenants: [
          { id: 'globex', allow: ['127.0.0.0/8'] },
          { id: 'acme', allow: ['127.0.0.0/8'] },
        ],
      }),
    );
    const relay = await relayProcess(['--config', config]);
    await holder(relay, 'office', 'office-pc', { ports: [22], tenant: 'globex' });
    await holder(relay, 'office', 'bobs-pc', { allowedSubs: ['bob'], tenant: 'globex' });
    await holder(relay, 'lab', 'lab-pc', { tenant: 'acme' });

    const port = await connectRefused(kit, relay, 'alice', 'office-pc', 3389, 'globex');
    expect(port.proc.stderr()).toMatch(
      /tunnel t-\d+ to @office-pc:3389 refused: invalid_tunnel_info: .* \(port_not_published\)/,
    );
    const sub = await connectRefused(kit, relay, 'alice', 'bobs-pc', 22, 'globex');
    expect(sub.proc.stderr()).toMatch(
      /to @bobs-pc:22 refused: invalid_tunnel_info: .* \(unknown_server\)/,
    );
    const tenant = await connectRefused(kit, relay, 'alice', 'lab-pc', 22, 'globex');
    expect(tenant.proc.stderr()).toMatch(
      /to @lab-pc:22 refused: invalid_tunnel_info: .* \(unknown_server\)/,
    );
    // The tenant's own client reaches it: the refusal was the tenant, not the name.
    const { args, local } = await serverTunnels('lab-pc', [22]);
    const own = kit.start([
      'connect',
      ...kit.relayArgs(relay),
      '--token-file',
      await kit.tokenFile(relay, 'alice', 'acme'),
      ...args,
    ]);
    await own.waitForLine(new RegExp(`tunnel t-${local.get(22)} {2}listening`), 20_000);
    own.signal('SIGINT');
    expect((await own.waitForExit(10_000)).code).toBe(0);
  }, 90_000);

  it('exits 5 naming server_key_changed when the server comes back under another key', async () => {
    const relay = await relayProcess();
    const kit = closeLater(await cliKit(), (k) => k.close());
    const echo = closeLater(await startEchoServer(), (e) => e.close());
    const first = await publishingEngine(relay, await relay.token({ sub: 'office' }), {
      name: 'office-pc',
      ports: [{ port: 22, targetPort: echo.port }],
      keyStore: memoryKeyStore(),
    });
    const { args, local } = await serverTunnels('office-pc', [22]);
    const connect = kit.start([
      'connect',
      ...kit.relayArgs(relay),
      '--token-file',
      await kit.tokenFile(relay, 'alice'),
      ...args,
    ]);
    await connect.waitForLine(new RegExp(`tunnel t-${local.get(22)} {2}listening`), 20_000);
    const probe = await connectTcp(local.get(22) ?? 0);
    const echoed = readAll(probe);
    probe.end('ping');
    expect(await echoed).toMatchObject({ bytes: 4, ending: 'end' });

    first.engine.setPublish(null);
    await first.engine.close();
    await publishingEngine(relay, await relay.token({ sub: 'office' }), {
      name: 'office-pc',
      ports: [{ port: 22, targetPort: echo.port }],
      keyStore: memoryKeyStore(),
    });
    (await connectTcp(local.get(22) ?? 0)).on('error', () => undefined);
    const exit = await connect.waitForExit(20_000);
    expect(exit.code).toBe(5);
    expect(connect.stderr()).toMatch(
      /to @office-pc:22 refused: tls_pin_mismatch: published server "office-pc" now has a different key.* \(server_key_changed\)/,
    );
    expect(await refusesPort(local.get(22) ?? 0)).toBe(true);
  }, 60_000);

  it('exits 5 once the hourly creations are spent, saying when to try again', async () => {
    const relay = await relayProcess();
    const kit = closeLater(await cliKit(), (k) => k.close());
    const echo = closeLater(await startEchoServer(), (e) => e.close());
    const token = await relay.token({ sub: 'office' });
    const engine = engineFor(relay, token);
    engine.engine.connect();
    // Ten creations, each released at once, so only the hourly budget can refuse the next.
    for (let i = 1; i <= 10; i++) {
      engine.engine.setPublish({
        name: `pc-${i}`,
        ports: [{ port: 22, targetPort: echo.port }],
        keyStore: null,
      });
      await engine.waitFor(
        `pc-${i} online`,
        (s) => s.publish?.name === `pc-${i}` && s.publish.status === 'online',
      );
    }
    engine.engine.setPublish(null);
    await engine.engine.close();
    const over = await kit.run([
      'serve',
      ...kit.relayArgs(relay),
      '--token-file',
      await kit.tokenFile(relay, 'office'),
      '--name',
      'pc-11',
      '--port',
      '22',
      '--no-key',
    ]);
    expect(over.code).toBe(5);
    expect(over.stderr).toMatch(
      /the relay refused to publish "pc-11": rate_limit_exceeded: .*retry in \d+ s/,
    );
  }, 90_000);

  it('exits 2 for a malformed name, port, tunnel or key file before any connection', async () => {
    const kit = closeLater(await cliKit(), (k) => k.close());
    const relayFlags = ['--relay', '127.0.0.1:9', '--token-file', join(kit.dir, 'none')];
    const cases: Array<[string[], RegExp]> = [
      [
        ['serve', ...relayFlags, '--name', 'Office PC', '--port', '22'],
        /--name: "Office PC" is not a server name/,
      ],
      [
        ['serve', ...relayFlags, '--name', 'pc', '--port', '0'],
        /--port: port 0 is outside 1-65535/,
      ],
      [
        ['serve', ...relayFlags, '--name', 'pc', '--port', '22', '--port', '22'],
        /--port: a port is given twice/,
      ],
      [['serve', ...relayFlags, '--name', 'pc'], /at least one --port PORT is required/],
      [
        ['serve', ...relayFlags, '--name', 'pc', '--port', '22', '--no-key', '--key-file', 'k'],
        /--no-key publishes without a key/,
      ],
      [
        ['connect', ...relayFlags, '--tunnel', '2222:@Office:22'],
        /--tunnel server: "Office" is not a server name/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await kit.run(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    const shared = join(kit.dir, 'shared-key.pem');
    writeFileSync(shared, 'not a key');
    chmodSync(shared, 0o644);
    const token = join(kit.dir, 'token');
    writeFileSync(token, 'x.y.z', { mode: 0o600 });
    const open = await kit.run([
      'serve',
      '--relay',
      '127.0.0.1:9',
      '--token-file',
      token,
      '--name',
      'pc',
      '--port',
      '22',
      '--key-file',
      shared,
    ]);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/shared-key\.pem is readable by others \(mode 644\); chmod 600/);
  }, 60_000);

  it('gets invalid_token for register before auth: the relay answers it, and the engine never sends it first', async () => {
    const relay = await relayProcess();
    const raw = await connectRawClient(relay);
    closeLater(raw, (r) => r.destroy());
    raw.send({
      type: 'register',
      tunnel_info: { name: 'office-pc', protocol: 'tcp', ports: [22] },
    });
    let answer = await raw.next();
    if (answer['type'] === 'hello') answer = await raw.next();
    expect(answer).toMatchObject({
      type: 'error',
      code: 'invalid_token',
      details: { reason: 'not_authenticated' },
    });
    // The engine registers on the session it authenticated: with a refused token, nothing is sent.
    const engine = engineFor(relay, 'not-a-token', {
      publish: { name: 'office-pc', ports: [{ port: 22 }], keyStore: null },
    });
    engine.engine.connect();
    const stopped = await engine.waitFor(
      'auth refused',
      (s) => s.state === 'disconnected' && s.lastError !== null,
    );
    expect(stopped.lastError?.code).toBe('invalid_token');
    expect(
      engine.logs.some((r) => r.event === 'server_registered' || r.event === 'server_refused'),
    ).toBe(false);
  }, 60_000);
});

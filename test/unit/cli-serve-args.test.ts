// `cloudbridge serve`, `servers` and `--tunnel LOCAL:@NAME:PORT` without a process: what the
// command line means, which snapshots end the command with which code and line, and what the
// published server's line says.

import { describe, expect, it } from 'vitest';
import {
  parseCommandLine,
  parseServePort,
  parseTunnelSpec,
  UsageError,
} from '../../src-main/cli/args';
import { refusedTunnels, tunnelConfigFor } from '../../src-main/cli/connect';
import { formatPublishLine } from '../../src-main/cli/format';
import { defaultKeyFile } from '../../src-main/cli/key-file';
import { publishOptionsFor, publishRefused } from '../../src-main/cli/serve';
import { formatServerLine } from '../../src-main/cli/servers';
import type { EngineSnapshot, PublishSnapshot, TunnelSnapshot } from '../../src-main/shared/model';

const ENV = { CLOUDBRIDGE_TOKEN: 'x.y.z' };
const RELAY = ['--relay', 'relay.test:443'];

function snapshot(over: Partial<EngineSnapshot>): EngineSnapshot {
  return {
    state: 'active',
    session: {
      relay: 'relay.test:443',
      insecure: false,
      clientId: 'alice',
      tenantId: 'acme',
      connectedSince: null,
      reconnectAttempt: 0,
      maxReconnectAttempts: 10,
      nextRetryAt: null,
      relayVersion: '1.0',
      relayFeatures: [],
    },
    tunnels: [],
    lastError: null,
    seq: 1,
    at: '',
    ...over,
  };
}

const PUBLISHED: PublishSnapshot = {
  name: 'office-pc',
  ports: [22, 3389],
  allowSubs: null,
  publicKey: 'MFkw',
  status: 'online',
  tunnelId: 'srv-1',
  bytesIn: 1500,
  bytesOut: 2_000_000,
  totalConnections: 1,
  connections: [
    {
      id: 1,
      sub: 'alice',
      tenantId: 'acme',
      remote: '198.51.100.7',
      port: 3389,
      since: '2026-12-01T12:00:01.000Z',
      bytesIn: 1500,
      bytesOut: 2_000_000,
    },
  ],
  error: null,
};

describe('cloudbridge serve, servers and @NAME tunnels', () => {
  it('reads a tunnel to a published server, and keeps remote_host tunnels as they were', () => {
    expect(parseTunnelSpec('13389:@office-pc:3389')).toEqual({
      localPort: 13389,
      remoteHost: '@office-pc',
      remotePort: 3389,
      server: 'office-pc',
    });
    expect(parseTunnelSpec('2222:10.0.0.5:22')).toEqual({
      localPort: 2222,
      remoteHost: '10.0.0.5',
      remotePort: 22,
    });
    expect(tunnelConfigFor(parseTunnelSpec('13389:@office-pc:3389'), '127.0.0.1')).toMatchObject({
      id: 't-13389',
      kind: 'rdp',
      server: 'office-pc',
    });
    expect(() => parseTunnelSpec('1:@-bad:2')).toThrow(UsageError);
    expect(() => parseTunnelSpec('1:@:2')).toThrow(/not a server name/);
  });

  it('reads serve: name, ports with their targets, subs, key file or none', () => {
    const command = parseCommandLine(
      [
        'serve',
        ...RELAY,
        '--name',
        'office-pc',
        '--port',
        '3389',
        '--port',
        '22=10.0.0.5:2222',
        '--allow-sub',
        'alice',
        '--allow-sub',
        'alice',
        '--key-file',
        'k.pem',
      ],
      ENV,
    );
    expect(command).toMatchObject({
      kind: 'serve',
      args: {
        name: 'office-pc',
        ports: [
          { port: 3389, targetHost: null, targetPort: null },
          { port: 22, targetHost: '10.0.0.5', targetPort: 2222 },
        ],
        allowSubs: ['alice'],
        keyFile: 'k.pem',
        keyless: false,
      },
    });
    expect(parseServePort('80=[::1]:8080')).toEqual({
      port: 80,
      targetHost: '::1',
      targetPort: 8080,
    });
    const many = Array.from({ length: 17 }, (_, i) => ['--port', String(i + 1)]).flat();
    expect(() => parseCommandLine(['serve', ...RELAY, '--name', 'pc', ...many], ENV)).toThrow(
      /at most 16 ports/,
    );
    expect(() => parseCommandLine(['serve', ...RELAY, '--port', '22'], ENV)).toThrow(
      /--name NAME is required/,
    );
    expect(() => parseCommandLine(['serve', '--name', 'pc', '--port', '22'], ENV)).toThrow(
      /--relay/,
    );
    expect(parseCommandLine(['servers', ...RELAY, '--json'], ENV)).toMatchObject({
      kind: 'servers',
      args: { json: true },
    });
  });

  it('takes --max-streams as a count from 1 to 999999 and hands it to the engine', () => {
    const serve = (...extra: string[]) =>
      parseCommandLine(['serve', ...RELAY, '--name', 'pc', '--port', '22', ...extra], ENV);
    const given = serve('--max-streams', '5000');
    expect(given).toMatchObject({ kind: 'serve', args: { maxStreams: 5000 } });
    if (given.kind !== 'serve') throw new Error('not serve');
    expect(publishOptionsFor(given.args, null)).toEqual({
      name: 'pc',
      ports: [{ port: 22 }],
      allowSubs: null,
      keyStore: null,
      maxStreams: 5000,
    });
    expect(serve('--max-streams', '1')).toMatchObject({ args: { maxStreams: 1 } });
    expect(serve('--max-streams', '999999')).toMatchObject({ args: { maxStreams: 999_999 } });
    // Left out, the engine keeps its own default (MAX_SERVED_STREAMS).
    const plain = serve();
    expect(plain).toMatchObject({ args: { maxStreams: null } });
    if (plain.kind !== 'serve') throw new Error('not serve');
    expect(publishOptionsFor(plain.args, null)).not.toHaveProperty('maxStreams');
    for (const bad of ['0', 'many', '1000000', '12.5', '0x10', '007', ''])
      expect(() => serve('--max-streams', bad)).toThrow(
        new UsageError(`--max-streams: "${bad}" is not a count from 1 to 999999`),
      );
  });

  it('keeps the key where the other settings are', () => {
    expect(defaultKeyFile({ XDG_CONFIG_HOME: '/cfg' }, '/home/u')).toBe(
      '/cfg/cloudbridge/server-key.pem',
    );
    expect(defaultKeyFile({}, '/home/u')).toBe('/home/u/.config/cloudbridge/server-key.pem');
  });

  it('ends serve with 5 for a refusal, 1 for its own trouble, and not while publishing goes on', () => {
    expect(publishRefused(snapshot({ publish: PUBLISHED }))).toBeNull();
    expect(publishRefused(snapshot({ publish: null }))).toBeNull();
    const taken = publishRefused(
      snapshot({
        publish: {
          ...PUBLISHED,
          status: 'error',
          error: {
            code: 'tunnel_exists',
            message: 'name "office-pc" is taken',
            detail: 'name_taken',
            at: '',
          },
        },
      }),
    );
    expect(taken).toEqual({
      code: 5,
      message:
        'cloudbridge: the relay refused to publish "office-pc": tunnel_exists: name "office-pc" is taken (name_taken)',
    });
    const key = publishRefused(
      snapshot({
        publish: {
          ...PUBLISHED,
          status: 'error',
          error: { code: 'io_error', message: 'the kept server key cannot be read', at: '' },
        },
      }),
    );
    expect(key?.code).toBe(1);
    expect(key?.message).toContain('cannot publish "office-pc"');
  });

  it('ends connect with 5 only once every tunnel is refused for good', () => {
    const refused = (id: string, code: 'invalid_tunnel_info' | 'port_in_use'): TunnelSnapshot =>
      ({
        id,
        name: id,
        kind: 'other',
        localHost: '127.0.0.1',
        localPort: 1,
        remoteHost: '@office-pc',
        remotePort: 22,
        server: 'office-pc',
        enabled: true,
        status: 'error',
        dataMode: null,
        bytesIn: 0,
        bytesOut: 0,
        rateInBps: 0,
        rateOutBps: 0,
        openConnections: 0,
        totalConnections: 0,
        failedConnections: 0,
        error: { code, message: 'no', detail: 'unknown_server', at: '' },
      }) satisfies TunnelSnapshot;
    expect(refusedTunnels(snapshot({ tunnels: [refused('t-1', 'invalid_tunnel_info')] }))).toEqual({
      code: 5,
      message:
        'cloudbridge: tunnel t-1 to @office-pc:22 refused: invalid_tunnel_info: no (unknown_server)',
    });
    expect(
      refusedTunnels(
        snapshot({
          tunnels: [
            refused('t-1', 'invalid_tunnel_info'),
            { ...refused('t-2', 'invalid_tunnel_info'), status: 'listening', error: null },
          ],
        }),
      ),
    ).toBeNull();
    expect(refusedTunnels(snapshot({ tunnels: [refused('t-1', 'port_in_use')] }))).toBeNull();
    expect(
      refusedTunnels(
        snapshot({ state: 'reconnecting', tunnels: [refused('t-1', 'invalid_tunnel_info')] }),
      ),
    ).toBeNull();
  });

  it('says who is connected to the published server, and whether it is end to end', () => {
    expect(formatPublishLine(PUBLISHED)).toBe(
      'server office-pc  online  ports 22,3389  end to end  conns 1  in 1.5 kB  out 2.0 MB  alice@acme from 198.51.100.7 port 3389 since 12:00:01',
    );
    expect(
      formatPublishLine({ ...PUBLISHED, publicKey: null, connections: [], allowSubs: ['bob'] }),
    ).toContain('KEYLESS (not end to end)  for bob  conns 0');
    // Before its first registration a keyed server's key may not be read yet: no claim either way.
    expect(
      formatPublishLine({ ...PUBLISHED, publicKey: null, status: 'offline', connections: [] }),
    ).toBe('server office-pc  offline  ports 22,3389  conns 0  in 1.5 kB  out 2.0 MB');
    expect(formatServerLine({ name: 'office-pc', ports: [22], keyed: false, online: false })).toBe(
      'office-pc  ports 22  offline  keyless (NOT end to end)',
    );
  });
});

// The CLI's decisions without a process: argument rules, the output lines and their
// one-a-second counter throttle (injected clock), exit codes from the engine's end state,
// and the state file round trip. No sockets.

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import {
  UsageError,
  parseCommandLine,
  parseDuration,
  parseHostPort,
  parsePin,
  parseTunnelSpec,
} from '../../src-main/cli/args';
import { exitCodeFor, tunnelConfigFor } from '../../src-main/cli/connect';
import {
  Reporter,
  formatBytes,
  formatStateLine,
  formatTunnelLine,
} from '../../src-main/cli/format';
import { createFileStatePersistence } from '../../src-main/cli/state-file';
import type { EngineSnapshot, TunnelSnapshot } from '../../src-main/shared/model';
import { idleTunnelSnapshot } from '../../src-main/shared/tunnel-snapshot';

function tunnelSnap(overrides: Partial<TunnelSnapshot> = {}): TunnelSnapshot {
  return {
    ...idleTunnelSnapshot({
      id: 't-5022',
      name: 't-5022',
      kind: 'ssh',
      localHost: '127.0.0.1',
      localPort: 5022,
      remoteHost: '10.0.0.5',
      remotePort: 22,
      enabled: true,
    }),
    status: 'listening',
    dataMode: 'stream',
    ...overrides,
  };
}

function snap(
  overrides: Partial<EngineSnapshot> = {},
  tunnels: TunnelSnapshot[] = [tunnelSnap()],
): EngineSnapshot {
  return {
    state: 'active',
    session: {
      relay: '127.0.0.1:8443',
      insecure: false,
      clientId: 'alice',
      tenantId: 't1',
      connectedSince: null,
      reconnectAttempt: 0,
      maxReconnectAttempts: 10,
      nextRetryAt: null,
      relayVersion: '1.0',
      relayFeatures: ['tcp_stream'],
    },
    tunnels,
    lastError: null,
    seq: 1,
    at: '2026-01-01T12:00:01.000Z',
    ...overrides,
  };
}

const NOON = Date.parse('2026-01-01T12:00:01Z');

describe('argument parsing', () => {
  it('parses a full connect command line', () => {
    const command = parseCommandLine(
      [
        'connect',
        '--relay',
        'relay.example:8443',
        '--token-file',
        't',
        '--tunnel',
        '5022:10.0.0.5:22',
        '--tunnel=3389:[fd00::5]:3389',
        '--json',
        '--opener',
        'server',
        '--allow-direct',
        '--bind',
        '0.0.0.0',
      ],
      {},
    );
    expect(command.kind).toBe('connect');
    if (command.kind !== 'connect') return;
    expect(command.args.relay).toEqual({ host: 'relay.example', port: 8443 });
    expect(command.args.tunnels).toEqual([
      { localPort: 5022, remoteHost: '10.0.0.5', remotePort: 22 },
      { localPort: 3389, remoteHost: 'fd00::5', remotePort: 3389 },
    ]);
    expect(command.args).toMatchObject({
      json: true,
      opener: 'server',
      allowDirect: true,
      bind: '0.0.0.0',
      insecure: false,
      tokenFile: 't',
    });
  });

  it('accepts the token from CLOUDBRIDGE_TOKEN only when it is not blank', () => {
    const base = ['connect', '--relay', 'h:1', '--tunnel', '1:h:2'];
    expect(parseCommandLine(base, { CLOUDBRIDGE_TOKEN: 'a.b.c' }).kind).toBe('connect');
    expect(() => parseCommandLine(base, { CLOUDBRIDGE_TOKEN: '  ' })).toThrow(UsageError);
  });

  it('refuses conflicting or repeated options', () => {
    const base = ['connect', '--relay', 'h:1', '--token-file', 't', '--tunnel', '1:h:2'];
    expect(() => parseCommandLine([...base, '--insecure', '--ca', 'x'], {})).toThrow(
      /cannot be combined/,
    );
    expect(() => parseCommandLine([...base, '--relay', 'h:2'], {})).toThrow(/more than once/);
    expect(() => parseCommandLine([...base, '--tunnel', '1:h:3'], {})).toThrow(/used twice/);
    expect(() => parseCommandLine([...base, '--json=yes'], {})).toThrow(/takes no value/);
    expect(() => parseCommandLine([...base, '--ca'], {})).toThrow(/needs a value/);
  });

  it('parses ports, host:port, tunnels, durations and pins strictly', () => {
    expect(parseHostPort('[::1]:443', 'x')).toEqual({ host: '::1', port: 443 });
    expect(() => parseHostPort('host', 'x')).toThrow(UsageError);
    expect(() => parseHostPort('host:0', 'x')).toThrow(/outside/);
    expect(() => parseTunnelSpec('99999:h:1')).toThrow(/outside/);
    expect(parseDuration('90')).toBe(90);
    expect(parseDuration('30m')).toBe(1800);
    expect(parseDuration('2d')).toBe(172_800);
    expect(() => parseDuration('1y')).toThrow(UsageError);
    const pin = Buffer.alloc(32, 7).toString('base64');
    expect(parsePin(pin)).toBe(pin);
    expect(parsePin(`sha256/${pin}`)).toBe(pin);
    expect(parsePin(Buffer.alloc(32, 7).toString('base64url'))).toBe(pin);
    expect(() => parsePin('abc')).toThrow(/44 characters/);
  });

  it('parses the token command with a default ttl of one hour, warning about a secret in argv', () => {
    expect(parseCommandLine(['token', '--secret', 's', '--sub', 'bob'], {})).toEqual({
      kind: 'token',
      args: {
        secret: 's',
        secretFile: null,
        subject: 'bob',
        tenant: null,
        ttlSeconds: 3600,
        out: null,
        warnings: [expect.stringMatching(/--secret shows the secret .* \(ps\)/)],
      },
    });
  });

  it('takes the token secret from a file and writes the token to --out when asked', () => {
    expect(
      parseCommandLine(['token', '--secret-file', '/run/s', '--sub', 'bob', '--out', 't.jwt'], {}),
    ).toMatchObject({ args: { secret: null, secretFile: '/run/s', out: 't.jwt', warnings: [] } });
    expect(
      parseCommandLine(['token', '--sub', 'bob'], { CLOUDBRIDGE_JWT_SECRET_FILE: '/run/s' }),
    ).toMatchObject({ args: { secret: null, secretFile: '/run/s' } });
    expect(() =>
      parseCommandLine(['token', '--secret', 's', '--secret-file', 'f', '--sub', 'b'], {}),
    ).toThrow(/exclude each other/);
  });

  it('takes the token secret from CLOUDBRIDGE_JWT_SECRET when --secret is absent', () => {
    expect(
      parseCommandLine(['token', '--sub', 'bob'], { CLOUDBRIDGE_JWT_SECRET: 'env-secret' }),
    ).toMatchObject({
      args: { secret: 'env-secret' },
    });
    expect(() => parseCommandLine(['token', '--sub', 'bob'], {})).toThrow(/CLOUDBRIDGE_JWT_SECRET/);
  });

  it('derives stable tunnel ids and kinds from the tunnel spec', () => {
    expect(
      tunnelConfigFor({ localPort: 5022, remoteHost: '10.0.0.5', remotePort: 22 }, '127.0.0.1'),
    ).toMatchObject({ id: 't-5022', kind: 'ssh', localHost: '127.0.0.1' });
    expect(
      tunnelConfigFor({ localPort: 13389, remoteHost: 'w', remotePort: 3389 }, '127.0.0.1').kind,
    ).toBe('rdp');
  });
});

describe('output lines', () => {
  it('formats sizes in SI units', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_200_000)).toBe('1.2 MB');
    expect(formatBytes(300_000)).toBe('300 kB');
    expect(formatBytes(25_000_000_000)).toBe('25 GB');
  });

  it('prints the state line and the tunnel line as a person reads them', () => {
    expect(formatStateLine(snap(), NOON)).toBe(
      '12:00:01 Active  relay 127.0.0.1:8443  client alice  tenant t1',
    );
    const reconnecting = snap({
      state: 'reconnecting',
      session: { ...snap().session, reconnectAttempt: 3, nextRetryAt: '2026-01-01T12:00:05.000Z' },
      lastError: { code: 'connection_lost', message: 'relay closed the connection', at: '' },
    });
    expect(formatStateLine(reconnecting, NOON)).toBe(
      '12:00:01 Reconnecting  relay 127.0.0.1:8443  attempt 3/10  next try 12:00:05  error connection_lost: relay closed the connection',
    );
    expect(
      formatTunnelLine(
        tunnelSnap({
          bytesIn: 1_200_000,
          rateInBps: 300_000,
          bytesOut: 5_000,
          rateOutBps: 100,
          openConnections: 2,
        }),
      ),
    ).toBe(
      'tunnel t-5022  listening 127.0.0.1:5022 -> 10.0.0.5:22  in 1.2 MB (300 kB/s)  out 5.0 kB (100 B/s)  conns 2',
    );
    expect(
      formatTunnelLine(
        tunnelSnap({
          status: 'error',
          error: { code: 'port_in_use', message: 'port 5022 is taken', detail: 'sshd', at: '' },
        }),
      ),
    ).toContain('error port_in_use: port 5022 is taken (sshd)');
  });

  it('prints state changes at once, counters at most once a second and only when they change', () => {
    let now = NOON;
    const lines: string[] = [];
    const reporter = new Reporter({
      json: false,
      write: (line) => lines.push(line),
      now: () => now,
    });
    reporter.snapshot(snap());
    expect(lines).toHaveLength(2); // state + tunnel
    reporter.snapshot(snap({ seq: 2 }));
    expect(lines).toHaveLength(2); // nothing changed
    now += 250;
    reporter.snapshot(snap({ seq: 3 }, [tunnelSnap({ bytesIn: 100 })]));
    now += 250;
    reporter.snapshot(snap({ seq: 4 }, [tunnelSnap({ bytesIn: 200 })]));
    expect(lines).toHaveLength(2); // held back: less than a second since the last tunnel line
    now += 600;
    reporter.snapshot(snap({ seq: 5 }, [tunnelSnap({ bytesIn: 300 })]));
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain('in 300 B');
    // A change held back is printed by the next flush once the second has passed.
    now += 100;
    reporter.snapshot(snap({ seq: 6 }, [tunnelSnap({ bytesIn: 400 })]));
    expect(lines).toHaveLength(3);
    now += 1_000;
    reporter.flush();
    expect(lines).toHaveLength(4);
    expect(lines[3]).toContain('in 400 B');
    // A status change is printed at once, throttle or not.
    now += 10;
    reporter.snapshot(
      snap({ seq: 7 }, [
        tunnelSnap({
          bytesIn: 400,
          status: 'error',
          error: { code: 'listen_failed', message: 'x', at: '' },
        }),
      ]),
    );
    expect(lines).toHaveLength(5);
    now += 10;
    reporter.snapshot(
      snap({ state: 'reconnecting', seq: 8, session: { ...snap().session, reconnectAttempt: 1 } }),
    );
    expect(lines[5]).toContain('Reconnecting');
  });

  it('writes one JSON object per line in --json mode, log records included', () => {
    const lines: string[] = [];
    const reporter = new Reporter({
      json: true,
      write: (line) => lines.push(line),
      now: () => NOON,
    });
    reporter.snapshot(snap());
    reporter.log({ timestamp: 'T', level: 'info', event: 'auth_ok', tunnel_id: null, details: {} });
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({ kind: 'snapshot', state: 'active' });
    expect(parsed[1]).toMatchObject({ kind: 'log', event: 'auth_ok' });
  });
});

describe('exit codes', () => {
  const down = (code: string | null): EngineSnapshot =>
    snap({
      state: 'disconnected',
      lastError: code === null ? null : { code: code as 'internal_error', message: 'm', at: '' },
    });

  it('keeps running until the engine has left Disconnected once and come back', () => {
    expect(exitCodeFor(down(null), false)).toBeNull();
    expect(exitCodeFor(snap(), true)).toBeNull();
    expect(exitCodeFor(snap({ state: 'reconnecting' }), true)).toBeNull();
  });

  it('maps a refused token to 3 and anything else that ends the session to 4', () => {
    expect(exitCodeFor(down('invalid_token'), true)).toBe(3);
    expect(exitCodeFor(down('tenant_not_found'), true)).toBe(3);
    expect(exitCodeFor(down('token_expired'), true)).toBe(3);
    expect(exitCodeFor(down('reconnect_exhausted'), true)).toBe(4);
    expect(exitCodeFor(down('tls_error'), true)).toBe(4);
  });
});

describe('state file', () => {
  it('round-trips the reconnect state with mode 0600 and reads a damaged file as no state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloudbridge-state-'));
    try {
      const path = join(dir, 'state.json');
      const persistence = createFileStatePersistence(path);
      expect(await persistence.load()).toBeNull();
      const state = {
        relay: 'r:1',
        clientId: 'alice',
        reconnectToken: 'rt',
        opener: 'server' as const,
        tunnelIds: ['t-1', 't-2'],
      };
      await persistence.save(state);
      expect(await persistence.load()).toEqual(state);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readFileSync(path, 'utf8')).not.toMatch(/token"\s*:\s*"ey/);
      writeFileSync(path, '{"relay": 1}');
      expect(await persistence.load()).toBeNull();
      writeFileSync(path, 'not json');
      expect(await persistence.load()).toBeNull();
      // Only declared fields reach the file, whatever else an object carries.
      await persistence.save({ ...state, token: 'eyJhbGciOiJIUzI1NiJ9.e30.c2ln' } as typeof state);
      expect(readFileSync(path, 'utf8')).not.toContain('eyJ');
      expect(await persistence.load()).toEqual(state);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// App snapshots for the tray in each state a person meets (first run, no token, connecting,
// active with tunnels in every state, reconnecting with a countdown, an error), shared by the
// tray model's tests and the tray screenshots. Engine errors carry English on purpose: the
// tray must show the catalogue's words instead.
import { DEFAULT_SETTINGS } from '../../src-main/services/settings-store';
import { SIGNED_OUT } from '../../src-main/services/token-service';
import type { AppSnapshot, RelayProfile } from '../../src-main/shared/ipc-contract';
import type {
  ConnectionState,
  ErrorCode,
  ErrorInfo,
  SessionInfo,
  TunnelConfig,
  TunnelSnapshot,
} from '../../src-main/shared/model';
import { idleTunnelSnapshot } from '../../src-main/shared/tunnel-snapshot';

export const TRAY_RELAY: RelayProfile = {
  id: 'corp',
  name: 'Corp relay',
  host: 'relay.example.com',
  port: 443,
  caFile: null,
  pinSha256: null,
  serverName: null,
  insecure: false,
  opener: 'auto',
  builtin: false,
};

/** What the engine says, in English, for the log: never what the tray shows. */
export function engineError(code: ErrorCode, nowMs: number, extra: Partial<ErrorInfo> = {}) {
  return {
    code,
    message: `English engine words for ${code}`,
    detail: 'connect ECONNREFUSED 127.0.0.1:8443',
    at: new Date(nowMs).toISOString(),
    ...extra,
  } satisfies ErrorInfo;
}

function tunnel(
  config: Omit<TunnelConfig, 'localHost' | 'remotePort'> & { remotePort?: number },
  status: TunnelSnapshot['status'],
  error: ErrorInfo | null = null,
): TunnelSnapshot {
  return {
    ...idleTunnelSnapshot({ localHost: '127.0.0.1', remotePort: 3389, ...config }),
    status,
    dataMode: status === 'listening' ? 'stream' : null,
    error,
  };
}

/** The issue's own examples, each in one of the states a tunnel can be in. */
export function sampleTunnels(nowMs: number): TunnelSnapshot[] {
  return [
    tunnel(
      {
        id: 't-office',
        name: 'Office PC',
        kind: 'rdp',
        localPort: 13389,
        remoteHost: 'office-pc',
        enabled: true,
      },
      'listening',
    ),
    tunnel(
      {
        id: 't-intranet',
        name: 'Intranet',
        kind: 'web',
        localPort: 8080,
        remoteHost: 'intranet',
        remotePort: 80,
        enabled: true,
      },
      'error',
      engineError('port_in_use', nowMs, {
        message: 'local port 127.0.0.1:8080 is already in use',
        detail: 'listen EADDRINUSE: address already in use 127.0.0.1:8080',
        detailKey: 'errorDetail.portHeldBy',
        params: { port: 8080, command: 'nginx', pid: 1234 },
      }),
    ),
    tunnel(
      {
        id: 't-wiki',
        name: 'Wiki',
        kind: 'web',
        localPort: 8443,
        remoteHost: 'wiki',
        remotePort: 443,
        enabled: true,
      },
      'listening',
      engineError('target_unreachable', nowMs, { message: 'connect ETIMEDOUT wiki:443' }),
    ),
    tunnel(
      {
        id: 't-db',
        name: 'Staging DB',
        kind: 'other',
        localPort: 15432,
        remoteHost: 'db',
        remotePort: 5432,
        enabled: true,
      },
      'registering',
    ),
    tunnel(
      {
        id: 't-build',
        name: 'Build server',
        kind: 'ssh',
        localPort: 2222,
        remoteHost: 'build',
        remotePort: 22,
        enabled: false,
      },
      'off',
    ),
  ];
}

/** Every tunnel as it waits while the session is down (on ones pending, off ones off). */
function waiting(tunnels: readonly TunnelSnapshot[]): TunnelSnapshot[] {
  return tunnels.map((t) => ({
    ...t,
    status: t.enabled ? 'pending' : 'off',
    dataMode: null,
    error: null,
  }));
}

export function traySnapshot(
  nowMs: number,
  options: {
    state?: ConnectionState;
    tunnels?: readonly TunnelSnapshot[];
    session?: Partial<SessionInfo>;
    lastError?: ErrorInfo | null;
    relay?: RelayProfile | null;
    signedIn?: boolean;
    notices?: AppSnapshot['notices'];
  } = {},
): AppSnapshot {
  const at = new Date(nowMs).toISOString();
  const tunnels = options.tunnels ?? [];
  const signedIn = options.signedIn ?? true;
  return {
    seq: 1,
    engine: {
      state: options.state ?? 'disconnected',
      session: {
        relay: 'relay.example.com:443',
        insecure: false,
        clientId: null,
        tenantId: null,
        connectedSince: null,
        reconnectAttempt: 0,
        maxReconnectAttempts: 10,
        nextRetryAt: null,
        relayVersion: null,
        relayFeatures: [],
        ...options.session,
      },
      tunnels,
      lastError: options.lastError ?? null,
      seq: 1,
      at,
    },
    account: signedIn
      ? {
          ...SIGNED_OUT,
          signedIn: true,
          subject: 'alice',
          expiresAt: new Date(nowMs + 7 * 86_400_000).toISOString(),
        }
      : SIGNED_OUT,
    settings: {
      ...DEFAULT_SETTINGS,
      relay: options.relay === undefined ? TRAY_RELAY : options.relay,
      tunnels: tunnels.map(
        ({ id, name, kind, localHost, localPort, remoteHost, remotePort, enabled }) => ({
          id,
          name,
          kind,
          localHost,
          localPort,
          remoteHost,
          remotePort,
          enabled,
        }),
      ),
    },
    totals: {},
    notices: options.notices ?? [],
    logDirectory: '/tmp/logs',
    invite: { pending: null, problem: null },
  };
}

/** The states the tray is shown in, by a file-name-safe name. */
export function trayStates(nowMs: number): readonly (readonly [string, AppSnapshot])[] {
  const tunnels = sampleTunnels(nowMs);
  return [
    ['first-run', traySnapshot(nowMs, { relay: null, signedIn: false })],
    ['no-token', traySnapshot(nowMs, { signedIn: false, tunnels: waiting(tunnels) })],
    ['connecting', traySnapshot(nowMs, { state: 'authenticating', tunnels: waiting(tunnels) })],
    [
      'active',
      traySnapshot(nowMs, {
        state: 'active',
        tunnels,
        session: { connectedSince: new Date(nowMs - 3_600_000).toISOString() },
      }),
    ],
    [
      'reconnecting',
      traySnapshot(nowMs, {
        state: 'reconnecting',
        tunnels: waiting(tunnels),
        session: { reconnectAttempt: 3, nextRetryAt: new Date(nowMs + 4_200).toISOString() },
        lastError: engineError('heartbeat_timeout', nowMs),
      }),
    ],
    [
      'error',
      traySnapshot(nowMs, {
        tunnels: waiting(tunnels),
        lastError: engineError('connect_timeout', nowMs),
      }),
    ],
  ];
}

// The built-in local relay as the app uses it: started at launch when the settings name it,
// started on request ("Try the built-in relay") with a demo tunnel when there is none, its
// fresh token stored for its profile, stopped when the settings leave it. Owns the running
// relay only; the engine follows the settings through engine-session.ts.

import type { AppSettings, RelayProfile } from '../shared/ipc-contract';
import type { BuiltinRelay, BuiltinRelayStarter } from './controller-types';
import { ServiceError, messageOf } from './errors';
import type { Logger } from './logger';
import { saveSettingsOrThrow, type SettingsStore } from './settings-store';
import type { TokenService } from './token-service';
import { newTunnelId } from './tunnel-requests';

/** Tries to find a local port no tunnel uses for the demo tunnel. */
const FREE_PORT_TRIES = 20;

export interface BuiltinRelayFlowOptions {
  readonly start?: BuiltinRelayStarter;
  readonly settingsStore: SettingsStore;
  readonly tokens: Pick<TokenService, 'setAccount' | 'save'>;
  readonly logger: Logger;
  readonly random: () => number;
}

export interface BuiltinRelayFlow {
  /** At launch: a built-in profile in the settings gets its relay and token. Never throws. */
  startAtLaunch(): Promise<void>;
  /** Starts (or restarts) it as the relay; returns the profile it replaced and the settings. */
  use(): Promise<{ readonly previous: RelayProfile | null; readonly settings: AppSettings }>;
  /** The settings moved from `previous` to `next`: a built-in relay left behind is stopped. */
  follow(previous: RelayProfile | null, next: RelayProfile | null): Promise<void>;
  /** The running relay's token, for the diagnostics redaction. */
  token(): string | undefined;
  close(): Promise<void>;
}

async function freeLocalPort(taken: ReadonlySet<number>): Promise<number> {
  const { createServer } = await import('node:net');
  for (let i = 0; i < FREE_PORT_TRIES; i += 1) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const p = typeof address === 'object' && address !== null ? address.port : 0;
        server.close(() => resolve(p));
      });
    });
    if (!taken.has(port)) return port;
  }
  throw new ServiceError('listen_failed', 'No free local port for the demo tunnel.');
}

export function createBuiltinRelayFlow(options: BuiltinRelayFlowOptions): BuiltinRelayFlow {
  const { settingsStore, tokens, logger } = options;
  let running: BuiltinRelay | null = null;

  async function storeToken(relay: BuiltinRelay): Promise<void> {
    await tokens.setAccount(relay.profile.id);
    await tokens.save(relay.token);
  }

  return {
    async startAtLaunch() {
      const relay = settingsStore.get().relay;
      if (!relay?.builtin || !options.start) return;
      try {
        running = await options.start(relay);
        if (JSON.stringify(running.profile) !== JSON.stringify(relay))
          await saveSettingsOrThrow(settingsStore, {
            ...settingsStore.get(),
            relay: running.profile,
          });
        await storeToken(running);
      } catch (error) {
        logger.log('error', 'builtin_relay_failed', { error: messageOf(error) });
      }
    },
    async use() {
      if (!options.start)
        throw new ServiceError(
          'internal_error',
          'The built-in relay is not available in this build.',
        );
      const previous = settingsStore.get().relay;
      await running?.close();
      running = await options.start(previous?.builtin ? previous : null);
      const relay = running;
      const current = settingsStore.get();
      let tunnels = current.tunnels;
      if (tunnels.length === 0) {
        const localPort = await freeLocalPort(new Set(tunnels.map((t) => t.localPort)));
        tunnels = [
          {
            id: newTunnelId(options.random),
            name: 'Demo echo service',
            kind: 'other',
            localHost: '127.0.0.1',
            localPort,
            remoteHost: relay.demoTarget.host,
            remotePort: relay.demoTarget.port,
            enabled: true,
          },
        ];
      }
      const settings = await saveSettingsOrThrow(settingsStore, {
        ...current,
        relay: relay.profile,
        tunnels,
      });
      await storeToken(relay);
      logger.log('info', 'builtin_relay_started', {
        relay: `${relay.profile.host}:${relay.profile.port}`,
      });
      return { previous, settings };
    },
    async follow(previous, next) {
      if (!previous?.builtin || next?.builtin) return;
      const old = running;
      running = null;
      await old?.close();
    },
    token: () => running?.token,
    async close() {
      const old = running;
      running = null;
      await old?.close().catch(() => undefined);
    },
  };
}

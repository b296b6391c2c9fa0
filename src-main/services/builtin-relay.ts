// The built-in local relay for a first run: the reference relay in-process on 127.0.0.1 with a
// dev certificate in the data dir, a random secret in the SecretStore, an echo/HTTP demo target
// and a minted token. Never listens beyond loopback; never logs the secret or the token.

import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { spkiSha256 } from '../protocol/tls';
import { DEV_CERT_FILE } from '../relay/dev-cert-files';
import { startRelay, type RelayServer } from '../relay/relay-server';
import { mintDevToken } from '../relay/tokens';
import type { RelayProfile } from '../shared/ipc-contract';
import type { BuiltinRelay, BuiltinRelayStarter } from './app-controller';
import type { SecretStore } from './secret-store';

export const BUILTIN_PROFILE_ID = 'builtin-local-relay';
/** Keychain account of the built-in relay's signing secret (not a user token). */
export const BUILTIN_SECRET_ACCOUNT = 'builtin-relay-secret';
const TOKEN_TTL_SEC = 30 * 24 * 60 * 60;

const HTTP_BODY = 'Hello from the CloudBridge demo target. This page came through your tunnel.\n';

/** Answers HTTP GET/HEAD with a short page; echoes anything else byte for byte. */
function handleDemoConnection(socket: Socket): void {
  socket.once('data', (first: Buffer) => {
    if (/^(GET|HEAD) /.test(first.subarray(0, 5).toString('latin1'))) {
      socket.end(
        `HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(HTTP_BODY)}\r\nConnection: close\r\n\r\n${HTTP_BODY}`,
      );
      return;
    }
    socket.write(first);
    socket.pipe(socket);
  });
  socket.on('error', () => socket.destroy());
}

export interface DemoTarget {
  readonly server: Server;
  readonly port: number;
  /** Closes the listener and every open connection. */
  close(): Promise<void>;
}

export async function startDemoTarget(host = '127.0.0.1'): Promise<DemoTarget> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    handleDemoConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address !== null ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface BuiltinRelayOptions {
  readonly dataDir: string;
  /** Keeps the signing secret across restarts; without a keychain it lives in memory. */
  readonly secretStore: SecretStore;
  readonly clock: { now(): number };
}

async function signingSecret(store: SecretStore): Promise<string> {
  try {
    const existing = await store.get(BUILTIN_SECRET_ACCOUNT);
    if (existing !== null && existing.length >= 32) return existing;
    const secret = randomBytes(32).toString('base64url');
    await store.set(BUILTIN_SECRET_ACCOUNT, secret);
    return secret;
  } catch {
    // No keychain: a secret for this process only; tokens are re-minted at every start.
    return randomBytes(32).toString('base64url');
  }
}

async function startOnPort(
  options: Parameters<typeof startRelay>[0],
  preferred: number | null,
): Promise<RelayServer> {
  if (preferred !== null) {
    try {
      return await startRelay({ ...options, port: preferred });
    } catch {
      // The old port is taken now: any free one will do, the profile is updated.
    }
  }
  return startRelay({ ...options, port: 0 });
}

export function createBuiltinRelayStarter(options: BuiltinRelayOptions): BuiltinRelayStarter {
  return async (previous: RelayProfile | null): Promise<BuiltinRelay> => {
    const relayDir = join(options.dataDir, 'builtin-relay');
    const secret = await signingSecret(options.secretStore);
    const target = await startDemoTarget();
    let relay: RelayServer;
    try {
      relay = await startOnPort(
        {
          host: '127.0.0.1',
          dataDir: relayDir,
          jwt: { hs256Secret: secret },
          allow: ['127.0.0.0/8'],
        },
        previous?.port ?? null,
      );
    } catch (error) {
      await target.close();
      throw error;
    }
    const certPem = relay.certPem ?? '';
    const profile: RelayProfile = {
      id: BUILTIN_PROFILE_ID,
      name: 'Built-in local relay',
      host: '127.0.0.1',
      port: relay.port,
      caFile: join(relayDir, DEV_CERT_FILE),
      pinSha256: certPem ? spkiSha256(certPem) : null,
      serverName: null,
      insecure: false,
      opener: 'auto',
      builtin: true,
    };
    const token = await mintDevToken({
      secret,
      sub: 'local-user',
      ttlSec: TOKEN_TTL_SEC,
      nowSec: Math.floor(options.clock.now() / 1000),
    });
    return {
      profile,
      token,
      demoTarget: { host: '127.0.0.1', port: target.port },
      async close() {
        await relay.close();
        await target.close();
      },
    };
  };
}

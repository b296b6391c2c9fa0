// Runs the built-in local relay where the engine runs (the host child): the reference relay
// on 127.0.0.1 with a dev certificate in the data dir, an echo/HTTP demo target and a minted
// token. The signing secret comes from main's keychain; never listens beyond loopback, never
// logs the secret or the token.

import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { spkiSha256 } from '../protocol/tls';
import { DEV_CERT_FILE } from '../relay/dev-cert-files';
import { startRelay, type RelayServer } from '../relay/relay-server';
import { mintDevToken } from '../relay/tokens';
import type { RelayProfile } from '../shared/ipc-contract';
import type { BuiltinRelayInfo, BuiltinRelayRequest } from './host-protocol';

export const BUILTIN_PROFILE_ID = 'builtin-local-relay';
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

export async function startDemoTarget(
  host = '127.0.0.1',
  preferredPort: number | null = null,
): Promise<DemoTarget> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    handleDemoConnection(socket);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  // The old port keeps a saved demo tunnel working; when it is taken, any port will do.
  if (preferredPort === null || preferredPort <= 0) await listen(0);
  else await listen(preferredPort).catch(() => listen(0));
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

async function startOnPort(
  options: Parameters<typeof startRelay>[0],
  preferred: number | null,
): Promise<RelayServer> {
  if (preferred !== null && preferred > 0) {
    try {
      return await startRelay({ ...options, port: preferred });
    } catch {
      // The old port is taken now: any free one will do, the profile is updated.
    }
  }
  return startRelay({ ...options, port: 0 });
}

export interface RunningBuiltinRelay extends BuiltinRelayInfo {
  close(): Promise<void>;
}

export async function runBuiltinRelay(request: BuiltinRelayRequest): Promise<RunningBuiltinRelay> {
  const relayDir = join(request.dataDir, 'builtin-relay');
  const target = await startDemoTarget('127.0.0.1', request.preferredTargetPort ?? null);
  let relay: RelayServer;
  try {
    relay = await startOnPort(
      {
        host: '127.0.0.1',
        dataDir: relayDir,
        jwt: { hs256Secret: request.secret },
        allow: ['127.0.0.0/8'],
      },
      request.preferredPort,
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
    secret: request.secret,
    sub: 'local-user',
    ttlSec: TOKEN_TTL_SEC,
    nowSec: Math.floor(request.nowMs / 1000),
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
}

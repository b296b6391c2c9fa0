// `cloudbridge servers`: one session to the relay, the tenant's published servers this token
// may reach (docs/protocol.md "Listing"), printed one per line (or as JSON), then a clean
// close. Exits 3 for a refused token and 4 when the relay cannot be reached; never retries
// past the first failed attempt (a listing is asked now or not at all).

import type { ListedServer } from '../engine/types';
import type { EngineSnapshot } from '../shared/model';
import { isCredentialRefusal } from '../shared/error-codes';
import { EXIT_AUTH_REFUSED, EXIT_FAILURE, EXIT_GAVE_UP, EXIT_OK, type ServersArgs } from './args';
import { readToken, relayFor, type ConnectIo } from './connect';

const LIST_TIMEOUT_MS = 30_000;

export function formatServerLine(server: ListedServer): string {
  return [
    server.name,
    `ports ${server.ports.join(',')}`,
    server.online ? 'online' : 'offline',
    server.keyed ? 'end to end' : 'keyless (NOT end to end)',
  ].join('  ');
}

export async function runServers(args: ServersArgs, io: ConnectIo): Promise<number> {
  const { relay, linkToken } = await relayFor(args, io);
  const token = await readToken(args, io, linkToken);
  const engine = io.createEngine({
    relay,
    tunnels: [],
    getToken: () => Promise.resolve(token),
    clientVersion: 'cloudbridge-cli',
  });
  const settled = new Promise<EngineSnapshot>((resolve) => {
    const check = (snapshot: EngineSnapshot): void => {
      if (snapshot.state === 'active' || snapshot.state === 'reconnecting') resolve(snapshot);
      else if (snapshot.state === 'disconnected' && snapshot.lastError !== null) resolve(snapshot);
    };
    engine.on('snapshot', check);
  });
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), LIST_TIMEOUT_MS);
  });
  engine.connect();
  try {
    const snapshot = await Promise.race([settled, timeout]);
    if (snapshot === null) {
      io.err(`cloudbridge: no session with the relay within ${LIST_TIMEOUT_MS / 1000} s`);
      return EXIT_GAVE_UP;
    }
    if (snapshot.state !== 'active') {
      const error = snapshot.lastError;
      const why = error === null ? '' : ` (${error.code}: ${error.message})`;
      if (error !== null && isCredentialRefusal(error.code)) {
        io.err(`cloudbridge: authentication refused${why}; get a new token`);
        return EXIT_AUTH_REFUSED;
      }
      io.err(`cloudbridge: cannot reach the relay${why}`);
      return EXIT_GAVE_UP;
    }
    let servers: readonly ListedServer[];
    try {
      servers = await engine.listServers();
    } catch (error) {
      io.err(
        `cloudbridge: cannot list servers: ${error instanceof Error ? error.message : String(error)}`,
      );
      return EXIT_FAILURE;
    }
    if (args.json) io.out(JSON.stringify({ kind: 'servers', servers }));
    else if (servers.length === 0) io.out('no published servers this token may reach');
    else for (const server of servers) io.out(formatServerLine(server));
    return EXIT_OK;
  } finally {
    if (timer !== null) clearTimeout(timer);
    await engine.close();
  }
}

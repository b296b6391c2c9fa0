// Free local ports for the tunnel editor and the first-run checklist: from the port asked for
// upwards, the first one no other tunnel is configured on and the OS lets us bind, within a
// bound number of probes. One suggestion at a time, so a person typing cannot start a storm
// of binds. Owns the probing only; it never keeps a port.

import { createServer } from 'node:net';
import type { PortSuggestionRequest } from '../shared/ipc-contract';
import type { TunnelConfig } from '../shared/model';
import { sameBindAddress } from '../shared/tunnel-validation';
import { ServiceError } from './errors';

/** Ports tried per suggestion (binds, each closed at once) before main gives up. */
export const DEFAULT_MAX_PORT_PROBES = 64;
const MAX_PORT = 65_535;

/** True when a listener could bind `host:port` now. */
export type PortProbe = (host: string, port: number) => Promise<boolean>;

export interface PortSuggestionsOptions {
  /** Binds and closes a listener (probeListen by default); tests pass their own. */
  readonly probe?: PortProbe;
  /** Ports tried per suggestion; default 64. */
  readonly maxProbes?: number;
}

export interface PortSuggestions {
  /**
   * The first usable port from `request.port` up; `port_in_use` when none within the bound.
   * `ownListening`: the tunnel named by `request.tunnelId` is listening, so its own port is
   * held by us and stays its to keep.
   */
  suggest(
    request: PortSuggestionRequest,
    tunnels: readonly TunnelConfig[],
    ownListening: boolean,
  ): Promise<number>;
  /** Probes made so far (what the bound limits; read by tests and diagnostics). */
  probes(): number;
}

/** Binds a listener on host:port and closes it at once; false when the OS refuses. */
export const probeListen: PortProbe = (host, port) =>
  new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });

/** Another tunnel on the same address, or one binding all addresses, has this port. */
function usedByAnotherTunnel(
  port: number,
  request: PortSuggestionRequest,
  tunnels: readonly TunnelConfig[],
): boolean {
  return tunnels.some(
    (t) =>
      t.id !== request.tunnelId &&
      t.localPort === port &&
      sameBindAddress(t.localHost, request.localHost),
  );
}

export function createPortSuggestions(options: PortSuggestionsOptions = {}): PortSuggestions {
  const probe = options.probe ?? probeListen;
  const maxProbes = Math.max(1, Math.floor(options.maxProbes ?? DEFAULT_MAX_PORT_PROBES));
  let probes = 0;
  // One suggestion at a time: the next waits for the one before.
  let queue: Promise<unknown> = Promise.resolve();

  async function search(
    request: PortSuggestionRequest,
    tunnels: readonly TunnelConfig[],
    ownListening: boolean,
  ): Promise<number> {
    const own = tunnels.find((t) => t.id === request.tunnelId);
    const ownPort =
      ownListening && own !== undefined && sameBindAddress(own.localHost, request.localHost)
        ? own.localPort
        : null;
    let tried = 0;
    for (let port = request.port; port <= MAX_PORT && tried < maxProbes; port += 1) {
      if (port === ownPort) return port;
      if (usedByAnotherTunnel(port, request, tunnels)) continue;
      tried += 1;
      probes += 1;
      if (await probe(request.localHost, port)) return port;
    }
    throw new ServiceError(
      'port_in_use',
      `No free local port from ${request.port} within ${maxProbes} tries.`,
      `${request.localHost}:${request.port}`,
    );
  }

  return {
    suggest(request, tunnels, ownListening) {
      const next = queue.then(() => search(request, tunnels, ownListening));
      queue = next.catch(() => undefined);
      return next;
    },
    probes: () => probes,
  };
}

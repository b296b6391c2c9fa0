// The local listener of one tunnel (docs/protocol.md "Data streams"): 127.0.0.1:local_port unless
// configured, half-open allowed, accepted sockets paused until a data connection is ready. Owns the
// server socket only; what happens to each connection is the caller's.

import net from 'node:net';
import { EngineError } from './errors';

export interface TunnelListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly onConnection: (socket: net.Socket) => void;
}

/** Resolves with a listening server, or rejects with port_in_use / listen_failed. */
export function listenTunnel(options: TunnelListenerOptions): Promise<net.Server> {
  return new Promise<net.Server>((resolve, reject) => {
    // pauseOnConnect: no byte is read before the data connection exists, so none is lost.
    const server = net.createServer(
      { allowHalfOpen: true, pauseOnConnect: true },
      options.onConnection,
    );
    const onError = (err: NodeJS.ErrnoException): void => {
      server.close();
      const where = `${options.host}:${options.port}`;
      if (err.code === 'EADDRINUSE')
        reject(
          new EngineError('port_in_use', `local port ${where} is already in use`, err.message),
        );
      else
        reject(
          new EngineError(
            'listen_failed',
            `cannot listen on ${where}`,
            `${err.code ?? ''} ${err.message}`.trim(),
          ),
        );
    };
    server.once('error', onError);
    server.listen({ host: options.host, port: options.port, exclusive: true }, () => {
      server.removeListener('error', onError);
      // Errors after listen (rare: EMFILE on accept) must not crash the process.
      server.on('error', () => undefined);
      resolve(server);
    });
  });
}

/** Stops accepting; established connections are not touched. */
export function closeListener(server: net.Server): Promise<void> {
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

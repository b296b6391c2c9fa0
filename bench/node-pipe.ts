// A reference path for `npm run bench`: the plainest tunnel Node.js can make. Each local
// connection gets its own TLS 1.3 connection (same certificate and suites as the tunnel),
// piped both ways with half-close, and nothing else: no framing, no flow control, no checks,
// no reuse. What it reaches is what Node's TLS layer allows on this machine, so the tunnel's
// figures can be read against the runtime as well as against the C peers.
//
//   node node-pipe.js server CERT KEY LISTEN:TARGET ...
//   node node-pipe.js client CA LISTEN:SERVER ...
// Prints "ready" once every listener is up.

import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

import { TLS13_CIPHER_SUITES } from '../src-main/protocol/tls';

/** Pipes both ways; FIN follows FIN (both sockets allow half-open), an error ends both. */
function link(a: net.Socket, b: net.Socket): void {
  a.setNoDelay(true);
  b.setNoDelay(true);
  a.pipe(b);
  b.pipe(a);
  const destroyBoth = (): void => {
    a.destroy();
    b.destroy();
  };
  a.on('error', destroyBoth);
  b.on('error', destroyBoth);
}

function listen(server: net.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => resolve());
  });
}

function pairs(args: readonly string[]): Array<[number, number]> {
  return args.map((arg) => {
    const [from, to] = arg.split(':').map(Number);
    if (!Number.isInteger(from) || !Number.isInteger(to)) throw new Error(`bad pair "${arg}"`);
    return [from as number, to as number];
  });
}

async function serve(certFile: string, keyFile: string, mappings: string[]): Promise<void> {
  const options: tls.TlsOptions = {
    cert: readFileSync(certFile),
    key: readFileSync(keyFile),
    minVersion: 'TLSv1.3',
    ciphers: TLS13_CIPHER_SUITES,
    honorCipherOrder: true,
    allowHalfOpen: true,
  };
  for (const [port, target] of pairs(mappings)) {
    const server = tls.createServer(options, (socket) => {
      link(socket, net.connect({ port: target, host: '127.0.0.1', allowHalfOpen: true }));
    });
    await listen(server, port);
  }
}

async function dial(caFile: string, mappings: string[]): Promise<void> {
  const ca = readFileSync(caFile);
  for (const [port, serverPort] of pairs(mappings)) {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (local) => {
      // allowHalfOpen reaches the socket though the typings leave it out of ConnectionOptions.
      const options: tls.ConnectionOptions & { allowHalfOpen: boolean } = {
        port: serverPort,
        host: '127.0.0.1',
        servername: 'localhost',
        ca,
        minVersion: 'TLSv1.3',
        ciphers: TLS13_CIPHER_SUITES,
        rejectUnauthorized: true,
        allowHalfOpen: true,
      };
      const remote = tls.connect(options);
      // A connection that half-closes before the handshake is done (an empty upload) never
      // got its answer back: the local side is read only once TLS is up.
      const early = (): void => {
        local.destroy();
        remote.destroy();
      };
      local.once('error', early);
      remote.once('error', early);
      remote.once('secureConnect', () => {
        local.off('error', early);
        remote.off('error', early);
        link(local, remote);
      });
    });
    await listen(server, port);
  }
}

async function main(): Promise<void> {
  const [role, ...args] = process.argv.slice(2);
  const [first, second, ...more] = args;
  if (role === 'server' && first !== undefined && second !== undefined)
    await serve(first, second, more);
  else if (role === 'client' && first !== undefined) await dial(first, args.slice(1));
  else throw new Error('usage: server CERT KEY LISTEN:TARGET ... | client CA LISTEN:SERVER ...');
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`node-pipe: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

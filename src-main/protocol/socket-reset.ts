// A TCP reset for any socket either end holds (docs/protocol.md "Data streams": a reset is
// passed on as a reset). A TLS socket's own handle is the TLS layer, which refuses
// resetAndDestroy(), so the reset goes to the TCP socket beneath it.

import net from 'node:net';
import tls from 'node:tls';

/** TLS sockets the client wrapped around a TCP socket it dialled itself. */
const RAW_SOCKETS = new WeakMap<net.Socket, net.Socket>();

/** Records the TCP socket under a client-side TLS socket, so resetSocket() can reach it. */
export function rememberRawSocket(tlsSocket: net.Socket, raw: net.Socket): void {
  RAW_SOCKETS.set(tlsSocket, raw);
}

/** The TCP socket beneath a TLS socket: remembered (client side) or `_parent` (server side). */
function rawSocketOf(socket: net.Socket): net.Socket {
  const remembered = RAW_SOCKETS.get(socket);
  if (remembered !== undefined) return remembered;
  if (socket instanceof tls.TLSSocket) {
    const parent = (socket as tls.TLSSocket & { _parent?: unknown })._parent;
    if (parent instanceof net.Socket) return parent;
  }
  return socket;
}

/** Aborts a connection with a TCP reset; where that is impossible it is just destroyed. */
export function resetSocket(socket: net.Socket): void {
  const target = rawSocketOf(socket);
  try {
    if (!target.destroyed) {
      if (target instanceof tls.TLSSocket) target.destroy();
      else target.resetAndDestroy();
    }
  } catch {
    target.destroy();
  }
  if (target !== socket) socket.destroy();
}

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

/**
 * True while a FIN may be on its way: end() was called and has not finished. libuv refuses to
 * reset a socket with a shutdown in flight (EINVAL), and Node then drops the handle without
 * closing it: no 'close' event ever, and the descriptor leaks. A TLS socket's end() shuts the
 * TCP socket beneath it down, so either one ending counts.
 */
function isShuttingDown(socket: net.Socket): boolean {
  return socket.writableEnded && !socket.writableFinished;
}

/** Aborts a connection with a TCP reset; where that is impossible it is just destroyed. */
export function resetSocket(socket: net.Socket): void {
  const target = rawSocketOf(socket);
  if (isShuttingDown(socket) || isShuttingDown(target)) {
    // The FIN is going out anyway: close. The TLS socket goes first, because destroying the
    // TCP socket under a TLS shutdown in flight crashes Node (SIGSEGV, Node 24).
    socket.destroy();
    if (target !== socket) target.destroy();
    return;
  }
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

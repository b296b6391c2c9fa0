// Real programs through the whole stack (engine -> relay over TLS 1.3 -> target on loopback):
// curl to an HTTP server, an ssh session and a half-closed `cat > f` to a throwaway sshd, a
// local port that is taken, and a target nobody listens on.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { runToCompletion } from '../harness/processes';
import { startSshd } from '../harness/sshd';
import {
  Pattern,
  connectTcp,
  echoRoundTrip,
  freePort,
  readAll,
  startEchoServer,
  startHttpServer,
} from '../harness/traffic';
import {
  isActive,
  startClient,
  startTestRelay,
  token,
  tunnelOf,
  tunnelTo,
  systemTestCleanup,
} from './system-stack';

const cleanup = systemTestCleanup();

describe('traffic through the tunnel', () => {
  it('serves curl through a tunnel to a local HTTP server, and counts the bytes', async () => {
    const http = cleanup.add(await startHttpServer('curl made it\n'), (s) => s.close());
    const relay = cleanup.add(await startTestRelay(), (r) => r.server.close());
    const web = await tunnelTo('t-web', http.port);
    const client = cleanup.add(
      startClient({ relay: relay.endpoint, tunnels: [web], token: await token(relay) }),
      (c) => c.close(),
    );
    client.engine.connect();
    await client.waitFor('active', isActive);

    const small = await runToCompletion('curl', [
      '-sS',
      '--max-time',
      '10',
      `http://127.0.0.1:${web.localPort}/`,
    ]);
    expect(small.code).toBe(0);
    expect(small.stdout).toBe('curl made it\n');

    // A larger body checks that bytes arrive intact, not just that a connection was made.
    const size = 3 * 1024 * 1024 + 17;
    const big = await runToCompletion('sh', [
      '-c',
      `curl -sS --max-time 20 http://127.0.0.1:${web.localPort}/bytes/${size} | sha256sum`,
    ]);
    expect(big.code).toBe(0);
    expect(big.stdout.split(' ')[0]).toBe(new Pattern(size, 3).sha256());

    const after = await client.waitFor('counters', (s) => tunnelOf(s, 't-web').bytesIn >= size);
    const counted = tunnelOf(after, 't-web');
    expect(counted.bytesIn).toBeGreaterThanOrEqual(size);
    expect(counted.bytesOut).toBeGreaterThan(0);
    expect(counted.totalConnections).toBeGreaterThanOrEqual(2);
  });

  it('carries an ssh session and a half-closed `cat > f` upload to sshd with the file intact', async () => {
    const sshd = cleanup.add(await startSshd(), (s) => s.close());
    const relay = cleanup.add(await startTestRelay(), (r) => r.server.close());
    const ssh = await tunnelTo('t-ssh', sshd.port);
    const client = cleanup.add(
      startClient({ relay: relay.endpoint, tunnels: [ssh], token: await token(relay) }),
      (c) => c.close(),
    );
    client.engine.connect();
    await client.waitFor('active', isActive);

    const hello = await runToCompletion(
      'ssh',
      [...sshd.sshArgs(ssh.localPort), 'echo', 'session-through-cloudbridge'],
      { timeoutMs: 20_000 },
    );
    expect(hello.stderr).toBe('');
    expect(hello.code).toBe(0);
    expect(hello.stdout.trim()).toBe('session-through-cloudbridge');

    // `cat > f < file`: ssh half-closes after the file (EOF must travel as a FIN through the
    // relay), and cat only exits, and ssh only returns, once that FIN arrived.
    const upload = join(sshd.dir, 'upload.bin');
    const received = join(sshd.dir, 'received.bin');
    const content = Buffer.concat(
      Array.from({ length: 40 }, (_, i) => new Pattern(128 * 1024, i + 11).chunk(0)),
    );
    writeFileSync(upload, content);
    const result = await runToCompletion(
      'sh',
      [
        '-c',
        `ssh ${sshd
          .sshArgs(ssh.localPort)
          .map((a) => `'${a}'`)
          .join(' ')} 'cat > ${received}' < ${upload}`,
      ],
      {
        timeoutMs: 30_000,
      },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
    expect(sha(readFileSync(received))).toBe(sha(content));
    expect(readFileSync(received).length).toBe(content.length);
  });

  it('reports a taken local port on that tunnel only; the other tunnel carries traffic', async () => {
    const echo = cleanup.add(await startEchoServer(), (s) => s.close());
    const relay = cleanup.add(await startTestRelay(), (r) => r.server.close());
    const blocker: Server = createServer();
    const takenPort = await freePort();
    await new Promise<void>((resolve) => blocker.listen(takenPort, '127.0.0.1', resolve));
    cleanup.add(blocker, (s) => new Promise<void>((resolve) => s.close(() => resolve())));

    const good = await tunnelTo('t-good', echo.port);
    const taken = { ...(await tunnelTo('t-taken', echo.port)), localPort: takenPort };
    const client = cleanup.add(
      startClient({ relay: relay.endpoint, tunnels: [good, taken], token: await token(relay) }),
      (c) => c.close(),
    );
    client.engine.connect();
    const snapshot = await client.waitFor(
      'one tunnel listening, one failed',
      (s) =>
        s.state === 'active' &&
        tunnelOf(s, 't-good').status === 'listening' &&
        tunnelOf(s, 't-taken').status === 'error',
    );
    expect(tunnelOf(snapshot, 't-taken').error?.code).toBe('port_in_use');
    expect(tunnelOf(snapshot, 't-good').error).toBeNull();

    const pattern = new Pattern(256 * 1024, 5);
    const { sent, received } = await echoRoundTrip(good.localPort, pattern);
    expect(received.sha256).toBe(sent);
    expect(client.engine.snapshot().state).toBe('active');
  });

  it('resets the local connection when the target is unreachable, and the tunnel stays up', async () => {
    const echo = cleanup.add(await startEchoServer(), (s) => s.close());
    const relay = cleanup.add(await startTestRelay(), (r) => r.server.close());
    const deadPort = await freePort(); // nothing listens here
    const dead = await tunnelTo('t-dead', deadPort);
    const live = await tunnelTo('t-live', echo.port);
    const client = cleanup.add(
      startClient({ relay: relay.endpoint, tunnels: [dead, live], token: await token(relay) }),
      (c) => c.close(),
    );
    client.engine.connect();
    await client.waitFor('active', isActive);

    for (let i = 0; i < 3; i++) {
      const socket = await connectTcp(dead.localPort);
      socket.write('anyone there?');
      const result = await readAll(socket);
      // No bytes from a target that does not exist, and no clean FIN either: the relay refuses the
      // stream and the client passes that on as a reset
      // (docs/protocol.md#data-streams-feature-tcp_stream).
      expect(result.bytes).toBe(0);
      expect(result.ending).toBe('error');
      expect(result.error).toBe('ECONNRESET');
    }
    const snapshot = await client.waitFor(
      'failed connections counted',
      (s) => tunnelOf(s, 't-dead').failedConnections >= 3,
    );
    expect(tunnelOf(snapshot, 't-dead').status).toBe('listening');
    expect(snapshot.state).toBe('active');

    // The other tunnel of the same session is unaffected.
    const live2 = await echoRoundTrip(live.localPort, new Pattern(64 * 1024, 9));
    expect(live2.received.sha256).toBe(live2.sent);
  });
});

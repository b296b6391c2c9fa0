// `cloudbridge serve` and `cloudbridge connect` as processes against the relay process, over
// real TLS on loopback: an sshd and an HTTP server published end to end, an ssh session, curl,
// 256 MiB each way with matching SHA-256, and the relay's own view of the serving connection
// (a tap at its public endpoint) holding only the inner TLS records; a keyless server, for
// contrast, shows its plaintext there. Then `cloudbridge servers` lists both.

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runToCompletion } from '../harness/processes';
import { sharedTestPki } from '../harness/relay';
import { startSshd } from '../harness/sshd';
import {
  connectTcp,
  Pattern,
  readAll,
  startHttpServer,
  startSinkServer,
  startSourceServer,
  writePattern,
} from '../harness/traffic';
import { cliKit, serverTunnels, waitListening } from './published-cli';
import { cleanupPublishedTests, closeLater, relayProcess } from './published-helpers';
import { startTapProxy } from './published-tap';

afterEach(cleanupPublishedTests);

const MIB = 1024 * 1024;
const BULK_BYTES = 256 * MIB;
const HTTP_BODY = 'hello through the published server\n';
const SSH_WORDS = 'hello-over-published-ssh';

async function sinkAnswer(port: number, pattern: Pattern): Promise<string> {
  const socket = await connectTcp(port);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await writePattern(socket, pattern);
  await ended;
  return Buffer.concat(chunks).toString('utf8').trim();
}

describe('cloudbridge serve and connect end to end', () => {
  it('carries ssh, curl and 256 MiB each way to a keyed server while the relay sees only TLS records', async () => {
    const pki = await sharedTestPki();
    const tap = closeLater(
      await startTapProxy(pki.serverEc, pki.caPem, [
        'SSH-2.0',
        'GET / HTTP',
        HTTP_BODY.trim(),
        SSH_WORDS,
      ]),
      (t) => t.close(),
    );
    const relay = await relayProcess(['--public-endpoint', `127.0.0.1:${tap.port}`]);
    tap.upstream = relay.port;
    const kit = closeLater(await cliKit(), (k) => k.close());
    const sshd = closeLater(await startSshd(), (s) => s.close());
    const http = closeLater(await startHttpServer(HTTP_BODY), (s) => s.close());
    const sink = closeLater(await startSinkServer(), (s) => s.close());
    const source = closeLater(await startSourceServer(BULK_BYTES, 21), (s) => s.close());
    const keyFile = join(kit.dir, 'keys', 'office.pem');

    const serve = kit.start(
      [
        'serve',
        ...kit.relayArgs(relay),
        '--token-file',
        await kit.tokenFile(relay, 'office'),
        '--name',
        'office-pc',
        '--port',
        `22=127.0.0.1:${sshd.port}`,
        '--port',
        `80=127.0.0.1:${http.port}`,
        '--port',
        `9000=127.0.0.1:${sink.port}`,
        '--port',
        `9001=127.0.0.1:${source.port}`,
        '--key-file',
        keyFile,
      ],
      'serve',
    );
    await serve.waitForLine(
      /server office-pc {2}online {2}ports 22,80,9000,9001 {2}end to end/,
      20_000,
    );
    // The computer's key was made on first use, readable by its owner only.
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    const { args, local } = await serverTunnels('office-pc', [22, 80, 9000, 9001]);
    const connect = kit.start(
      [
        'connect',
        ...kit.relayArgs(relay),
        '--token-file',
        await kit.tokenFile(relay, 'alice'),
        ...args,
      ],
      'connect',
    );
    await waitListening(connect, local.values());
    expect(connect.stdout()).toMatch(/-> @office-pc:22 {2}end to end/);

    const ssh = await runToCompletion(
      'ssh',
      [...sshd.sshArgs(local.get(22), '127.0.0.1'), 'echo', SSH_WORDS],
      {
        timeoutMs: 30_000,
      },
    );
    expect(ssh.stderr).toBe('');
    expect(ssh.stdout.trim()).toBe(SSH_WORDS);

    const curl = await runToCompletion('curl', [
      '-sS',
      '--max-time',
      '20',
      `http://127.0.0.1:${local.get(80)}/`,
    ]);
    expect(curl.stdout).toBe(HTTP_BODY);

    const upload = new Pattern(BULK_BYTES, 13);
    expect(await sinkAnswer(local.get(9000) ?? 0, upload)).toBe(`${BULK_BYTES} ${upload.sha256()}`);

    const download = await connectTcp(local.get(9001) ?? 0);
    const received = await readAll(download);
    expect(received.bytes).toBe(BULK_BYTES);
    expect(received.sha256).toBe(source.pattern.sha256());
    expect(received.ending).toBe('end');

    // The publisher says who connected (identity and port) as it happens.
    await serve.waitForLine(/alice@default from 127\.0\.0\.1 port 22/, 5_000);

    // The relay's side of every published stream: TLS 1.3 records from the first byte on
    // (a ClientHello towards the server, the ServerHello back), never the plaintext.
    const opened = [...tap.streams.entries()].filter(([id]) => id % 2 === 0);
    expect(opened.length).toBeGreaterThanOrEqual(4);
    for (const [, stream] of opened) {
      expect([...stream.toServer.subarray(0, 3)]).toEqual([0x16, 0x03, 0x01]);
      expect([...stream.fromServer.subarray(0, 2)]).toEqual([0x16, 0x03]);
    }
    expect(tap.dataBytes).toBeGreaterThan(2 * BULK_BYTES);
    for (const marker of ['SSH-2.0', 'GET / HTTP', HTTP_BODY.trim(), SSH_WORDS])
      expect(tap.sawText(marker), marker).toBe(false);

    // A keyless server is carried in the clear inside the relay's TLS: the same tap reads it.
    const open = kit.start(
      [
        'serve',
        ...kit.relayArgs(relay),
        '--token-file',
        await kit.tokenFile(relay, 'office'),
        '--name',
        'open-pc',
        '--port',
        `80=127.0.0.1:${http.port}`,
        '--no-key',
      ],
      'serve-keyless',
    );
    await open.waitForLine(/server open-pc {2}online {2}ports 80 {2}KEYLESS/, 20_000);
    expect(open.stderr()).toContain('not end to end');
    const keyless = await serverTunnels('open-pc', [80]);
    const plain = kit.start(
      [
        'connect',
        ...kit.relayArgs(relay),
        '--token-file',
        await kit.tokenFile(relay, 'alice'),
        ...keyless.args,
      ],
      'connect-keyless',
    );
    await waitListening(plain, keyless.local.values());
    expect(plain.stdout()).toMatch(/-> @open-pc:80 {2}KEYLESS \(not end to end\)/);
    const clear = await runToCompletion('curl', [
      '-sS',
      '--max-time',
      '20',
      `http://127.0.0.1:${keyless.local.get(80)}/`,
    ]);
    expect(clear.stdout).toBe(HTTP_BODY);
    expect(tap.sawText('GET / HTTP')).toBe(true);

    const listed = await kit.run([
      'servers',
      ...kit.relayArgs(relay),
      '--token-file',
      await kit.tokenFile(relay, 'alice'),
    ]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('office-pc  ports 22,80,9000,9001  online  end to end');
    expect(listed.stdout).toContain('open-pc  ports 80  online  keyless (NOT end to end)');

    for (const proc of [connect, plain, serve, open]) {
      proc.signal('SIGINT');
      expect((await proc.waitForExit(10_000)).code).toBe(0);
    }
  }, 240_000);
});

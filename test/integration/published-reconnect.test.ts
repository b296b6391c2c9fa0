// A published computer's connections dropped and restored while `cloudbridge serve` keeps
// running, against the relay process: the relay restarted (everything it knew is gone) and
// every connection of the computer cut for a while (the relay holds the name through its
// grace period, and a second computer cannot take it). Each time the name comes back and new
// connections reach the computer's service.

import { afterEach, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../harness/processes';
import { publish } from '../harness/publisher';
import { connectTcp, readAll, startEchoServer } from '../harness/traffic';
import { cliKit, serverTunnels, waitListening } from './published-cli';
import { cleanupPublishedTests, closeLater, gateProxy, relayProcess } from './published-helpers';
import { publicKey } from './relay-published-helpers';

afterEach(cleanupPublishedTests);

/** Resolves once `then` has been printed after the last `after`. */
async function printedAfter(
  proc: ManagedProcess,
  after: RegExp,
  then: RegExp,
  timeoutMs = 30_000,
): Promise<void> {
  const started = Date.now();
  for (;;) {
    const lines = proc.stdout().split('\n');
    let last = -1;
    lines.forEach((line, i) => {
      if (after.test(line)) last = i;
    });
    if (last >= 0 && lines.slice(last + 1).some((line) => then.test(line))) return;
    if (Date.now() - started > timeoutMs)
      throw new Error(
        `"${then.source}" not printed after "${after.source}": ${proc.stdout().slice(-2000)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves once `text` has appeared `count` times in the process's output. */
async function printed(
  proc: ManagedProcess,
  text: RegExp,
  count: number,
  timeoutMs = 30_000,
): Promise<void> {
  const started = Date.now();
  for (;;) {
    const seen = (proc.stdout().match(new RegExp(text.source, 'g')) ?? []).length;
    if (seen >= count) return;
    if (Date.now() - started > timeoutMs)
      throw new Error(
        `"${text.source}" printed ${seen} times, not ${count}: ${proc.stdout().slice(-2000)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function echoes(port: number, words: string): Promise<string> {
  const socket = await connectTcp(port);
  const reply = readAll(socket);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.end(words);
  await reply;
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Echoes once the tunnel listens again: after a relay restart the consumer may be back before
 * the computer is, and its tunnel listens only once the name is known again (it asks every
 * 1 s, doubling).
 */
async function echoesOnceBack(port: number, words: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await echoes(port, words);
    } catch (error) {
      const refused = (error as NodeJS.ErrnoException).code === 'ECONNREFUSED';
      if (!refused || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('a published computer that loses its connections', () => {
  it('comes back under its name after the relay restarts, while serve keeps running', async () => {
    const relay = await relayProcess();
    const kit = closeLater(await cliKit(), (k) => k.close());
    const echo = closeLater(await startEchoServer(), (e) => e.close());
    const serve = kit.start([
      'serve',
      ...kit.relayArgs(relay),
      '--token-file',
      await kit.tokenFile(relay, 'office'),
      '--name',
      'office-pc',
      '--port',
      `22=127.0.0.1:${echo.port}`,
    ]);
    await printed(serve, /server office-pc {2}online/, 1);
    const { args, local } = await serverTunnels('office-pc', [22]);
    const connect = kit.start([
      'connect',
      ...kit.relayArgs(relay),
      '--token-file',
      await kit.tokenFile(relay, 'alice'),
      ...args,
    ]);
    await waitListening(connect, local.values());
    expect(await echoes(local.get(22) ?? 0, 'before')).toBe('before');

    relay.signal('SIGKILL');
    await relay.waitExit();
    await printed(serve, /server office-pc {2}offline/, 1);
    await relay.restart();
    // The new relay knows nothing: serve registers the name again and serves it.
    await printedAfter(serve, /server office-pc {2}offline/, /server office-pc {2}online/);
    await printedAfter(connect, / Reconnecting {2}relay /, / Active {2}relay /);
    expect(await echoesOnceBack(local.get(22) ?? 0, 'after the restart')).toBe('after the restart');
    expect(serve.exited).toBeNull();
    for (const proc of [connect, serve]) {
      proc.signal('SIGINT');
      expect((await proc.waitForExit(10_000)).code).toBe(0);
    }
  }, 90_000);

  it('keeps its name through a cut in the grace period, refuses a second computer, and gets it handed back', async () => {
    let relayPort = 0;
    const gate = await gateProxy(() => relayPort);
    const relay = await relayProcess([
      '--public-endpoint',
      `127.0.0.1:${gate.port}`,
      '--grace-ms',
      '60000',
    ]);
    relayPort = relay.port;
    const kit = closeLater(await cliKit(), (k) => k.close());
    const echo = closeLater(await startEchoServer(), (e) => e.close());
    const serve = kit.start([
      'serve',
      ...kit.relayArgs(relay, gate.port),
      '--token-file',
      await kit.tokenFile(relay, 'office'),
      '--name',
      'office-pc',
      '--port',
      `22=127.0.0.1:${echo.port}`,
      '--json',
    ]);
    await serve.waitForLine(/"event":"serving_connected"/, 20_000);
    const registered = (): Array<Record<string, unknown>> =>
      serve
        .stdout()
        .split('\n')
        .filter((line) => line.includes('"event":"server_registered"'))
        .map((line) => (JSON.parse(line) as { details: Record<string, unknown> }).details);
    expect(registered()).toMatchObject([{ name: 'office-pc', handed_back: false }]);

    // Every connection of the computer (control and serving) is cut and kept from coming back.
    gate.close();
    await serve.waitForLine(/"event":"serving_lost"/, 20_000);
    // In the grace period the name is held: another user, and the same user's other computer
    // (with its own key), are both refused.
    await expect(
      publish({
        relay,
        token: await relay.token({ sub: 'intruder' }),
        name: 'office-pc',
        ports: [22],
      }),
    ).rejects.toMatchObject({
      answer: { code: 'tunnel_exists', details: { reason: 'name_taken' } },
    });
    await expect(
      publish({
        relay,
        token: await relay.token({ sub: 'office' }),
        name: 'office-pc',
        ports: [22],
        publicKey: publicKey(),
      }),
    ).rejects.toMatchObject({
      answer: { code: 'tunnel_exists', details: { reason: 'public_key_mismatch' } },
    });

    gate.open();
    await serve.waitForLine(/"handed_back":true/, 40_000);
    await printed(serve, /"event":"serving_connected"/, 2, 40_000);
    const { args, local } = await serverTunnels('office-pc', [22]);
    const connect = kit.start([
      'connect',
      ...kit.relayArgs(relay),
      '--token-file',
      await kit.tokenFile(relay, 'alice'),
      ...args,
    ]);
    await waitListening(connect, local.values());
    expect(await echoes(local.get(22) ?? 0, 'handed back')).toBe('handed back');
    expect(registered().at(-1)).toMatchObject({ name: 'office-pc', handed_back: true });
    for (const proc of [connect, serve]) {
      proc.signal('SIGINT');
      expect((await proc.waitForExit(10_000)).code).toBe(0);
    }
  }, 120_000);
});

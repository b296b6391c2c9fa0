// The engine host child's side without a process: the token asked of main per
// authentication with main's code kept, a request main never answers, malformed commands
// dropped with a log record; the message guards and the bounded output lines.
import { describe, expect, it } from 'vitest';
import { startChildRuntime, type ChildPort } from '../../src-main/engine-host/child-runtime';
import type { HostEvent } from '../../src-main/engine-host/host-protocol';
import { parseHostCommand, parseHostEvent } from '../../src-main/engine-host/host-protocol';
import { childEnvironment, createLineSplitter } from '../../src-main/engine-host/transport';
import { EngineError } from '../../src-main/engine/errors';
import type { Engine, EngineOptions } from '../../src-main/engine/types';
import type { EngineSnapshot, TunnelConfig } from '../../src-main/shared/model';

const TUNNEL: TunnelConfig = {
  id: 't1',
  name: 'ssh',
  kind: 'ssh',
  localHost: '127.0.0.1',
  localPort: 2222,
  remoteHost: '10.0.0.5',
  remotePort: 22,
  enabled: true,
};

function snapshot(seq: number, state: EngineSnapshot['state'] = 'active'): EngineSnapshot {
  return {
    state,
    session: {
      relay: 'relay:443',
      insecure: false,
      clientId: null,
      tenantId: null,
      connectedSince: null,
      reconnectAttempt: 0,
      maxReconnectAttempts: 10,
      nextRetryAt: null,
      relayVersion: null,
      relayFeatures: [],
    },
    tunnels: [],
    lastError: null,
    seq,
    at: new Date(0).toISOString(),
  };
}

describe('engine host child runtime', () => {
  function childSetUp() {
    const sent: HostEvent[] = [];
    let deliver: (m: unknown) => void = () => undefined;
    const port: ChildPort = {
      send: (e) => sent.push(e),
      onMessage: (l) => (deliver = l),
    };
    let getToken: (() => Promise<string>) | null = null;
    const timers: (() => void)[] = [];
    startChildRuntime({
      port,
      pid: 42,
      createEngine: (options: EngineOptions) => {
        getToken = options.getToken;
        return {
          snapshot: () => snapshot(1, 'disconnected'),
          on: () => () => undefined,
          close: () => Promise.resolve(),
        } as unknown as Engine;
      },
      runBuiltinRelay: () => Promise.reject(new Error('not here')),
      exit: () => undefined,
      setTimeout: (fn) => timers.push(fn),
      clearTimeout: () => undefined,
    });
    return { sent, deliver: (m: unknown) => deliver(m), token: () => getToken!(), timers };
  }

  const INIT = {
    type: 'init',
    id: 1,
    options: {
      relay: { host: 'relay', port: 443 },
      tunnels: [TUNNEL],
      allowDirect: false,
      poolSize: null,
      mux: null,
      clientVersion: null,
      heartbeatIntervalMs: null,
      heartbeatTimeoutMs: null,
      sessionStatePath: null,
    },
  };

  it('asks main at every authentication and turns main’s code into the engine’s', async () => {
    const c = childSetUp();
    expect(c.sent[0]).toEqual({ type: 'ready', pid: 42 });
    c.deliver(INIT);
    await new Promise((r) => setTimeout(r, 0));
    const first = c.token();
    const second = c.token();
    const requests = c.sent.filter((e) => e.type === 'token.request');
    expect(requests).toEqual([
      { type: 'token.request', requestId: 1 },
      { type: 'token.request', requestId: 2 },
    ]);
    c.deliver({ type: 'token.reply', requestId: 1, token: 'jwt', error: null });
    c.deliver({
      type: 'token.reply',
      requestId: 2,
      token: null,
      error: { code: 'token_expired', message: 'expired' },
    });
    await expect(first).resolves.toBe('jwt');
    const failure = await second.catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(EngineError);
    expect((failure as EngineError).code).toBe('token_expired');
  });

  it('fails a token request main never answers as keychain trouble, not as "no token"', async () => {
    const c = childSetUp();
    c.deliver(INIT);
    await new Promise((r) => setTimeout(r, 0));
    const pending = c.token();
    c.timers[0]!();
    await expect(pending).rejects.toMatchObject({ code: 'keychain_unavailable' });
  });

  it('drops malformed commands with a log record and answers the next good one', async () => {
    const c = childSetUp();
    c.deliver({ type: 'init', id: 1, options: { relay: { host: '', port: 99_999 } } });
    c.deliver({ type: 'setTunnels', id: 2, tunnels: [{ id: 't', name: 1 }] });
    c.deliver(INIT);
    await new Promise((r) => setTimeout(r, 0));
    expect(
      c.sent.filter((e) => e.type === 'log').map((e) => e.type === 'log' && e.record.event),
    ).toEqual(['host_message_dropped', 'host_message_dropped']);
    expect(c.sent.filter((e) => e.type === 'reply')).toEqual([
      { type: 'reply', id: 1, value: null, error: null },
    ]);
  });
});

describe('engine host messages and output', () => {
  it('accepts only well-formed commands and events', () => {
    expect(parseHostCommand({ type: 'connect', id: 3 })).not.toBeNull();
    expect(parseHostCommand({ type: 'connect' })).toBeNull();
    expect(
      parseHostCommand({ type: 'token.reply', requestId: 1, token: null, error: null }),
    ).toBeNull();
    expect(
      parseHostCommand({ type: 'setRelay', id: 1, relay: { host: 'h', port: 'x' } }),
    ).toBeNull();
    expect(
      parseHostEvent({ type: 'reply', id: 1, value: null, error: { code: 'nope', message: '' } }),
    ).toBeNull();
    expect(parseHostEvent({ type: 'snapshot', snapshot: snapshot(1) })).not.toBeNull();
    expect(parseHostEvent({ type: 'log', record: { level: 'loud' } })).toBeNull();
  });

  it('cuts a line without newline at the bound and skips the rest of it', () => {
    const lines: string[] = [];
    const splitter = createLineSplitter(10, (l) => lines.push(l));
    splitter.push('short\nabcdefghijklmnopqrstuvwxyz');
    splitter.push('still the same long line');
    splitter.push(' end\nnext\r\n');
    expect(lines).toEqual(['short', 'abcdefghij… [cut]', 'next']);
  });

  it('passes on only the environment the child needs', () => {
    const env = childEnvironment({
      PATH: '/bin',
      NODE_PATH: '/n',
      CLOUDBRIDGE_TOKEN: 'x',
      AWS_SECRET: 'y',
    });
    expect(env).toEqual({ PATH: '/bin', NODE_PATH: '/n' });
  });
});

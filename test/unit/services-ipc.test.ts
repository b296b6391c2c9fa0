// The IPC trust boundary: one guard per request channel accepts well-formed payloads and
// refuses the rest; the router rejects unknown channels and never throws, whatever arrives.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../src-main/services/errors';
import { createIpcRouter } from '../../src-main/services/ipc-router';
import { REQUEST_CHANNELS, type RequestChannel } from '../../src-main/shared/ipc-contract';
import {
  REQUEST_GUARDS,
  isFieldErrors,
  isRequestChannel,
  isValidRequest,
} from '../../src-main/shared/ipc-guards';
import { validateTunnelDraft, isValidHost } from '../../src-main/shared/tunnel-validation';

const draft = {
  name: 'SSH',
  kind: 'ssh',
  localHost: '127.0.0.1',
  localPort: 2222,
  remoteHost: 'db.internal',
  remotePort: 22,
  enabled: true,
};
const relay = {
  id: 'r1',
  name: 'Prod',
  host: 'relay.example.com',
  port: 443,
  caFile: null,
  pinSha256: null,
  serverName: null,
  insecure: false,
  opener: 'auto',
  builtin: false,
};

const valid: { [C in RequestChannel]: unknown } = {
  'cloudbridge:app.snapshot': undefined,
  'cloudbridge:app.info': undefined,
  'cloudbridge:app.openExternal': { url: 'https://github.com/' },
  'cloudbridge:session.connect': undefined,
  'cloudbridge:session.disconnect': null,
  'cloudbridge:session.retryNow': undefined,
  'cloudbridge:tunnel.setEnabled': { id: 't1', enabled: false },
  'cloudbridge:tunnel.setAllEnabled': { enabled: false },
  'cloudbridge:tunnel.save': draft,
  'cloudbridge:tunnel.remove': { id: 't1' },
  'cloudbridge:tunnel.open': { id: 't1' },
  'cloudbridge:tunnel.retry': { id: 't1' },
  'cloudbridge:tunnel.copyAddress': { id: 't1' },
  'cloudbridge:tunnel.suggestPort': { port: 13389, localHost: '127.0.0.1', tunnelId: 't1' },
  'cloudbridge:token.save': { token: 'a.b.c' },
  'cloudbridge:token.signOut': undefined,
  'cloudbridge:token.confirmRelay': undefined,
  'cloudbridge:settings.update': {
    relay,
    language: 'ru',
    notifications: { connectionLost: true, connectionRestored: false, tokenExpiry: true },
  },
  'cloudbridge:relay.useBuiltin': undefined,
  'cloudbridge:relay.test': relay,
  'cloudbridge:relay.chooseCaFile': undefined,
  'cloudbridge:token.paste': undefined,
  'cloudbridge:logs.query': { limit: 100, level: 'warn', tunnelId: 't1', text: 'fail' },
  'cloudbridge:logs.export': undefined,
  'cloudbridge:logs.openFolder': undefined,
  'cloudbridge:diagnostics.export': undefined,
  'cloudbridge:notice.dismiss': { kind: 'settings_reset' },
  'cloudbridge:invite.accept': { id: 'inv-1-abc' },
  'cloudbridge:invite.dismiss': { id: 'inv-1-abc' },
  'cloudbridge:share.start': { name: 'office-pc', services: ['rdp', 'ssh'], allowSubs: null },
  'cloudbridge:share.update': { name: 'office-pc', services: ['ssh'], allowSubs: ['alice'] },
  'cloudbridge:share.stop': undefined,
  'cloudbridge:servers.list': undefined,
};

describe('ipc guards', () => {
  it('has a guard for every channel and accepts a well-formed payload on each', () => {
    expect(Object.keys(REQUEST_GUARDS).sort()).toEqual([...REQUEST_CHANNELS].sort());
    for (const channel of REQUEST_CHANNELS)
      expect(isValidRequest(channel, valid[channel]), channel).toBe(true);
  });

  it('refuses wrong shapes, extra keys, wrong types and oversize strings', () => {
    const refused: [RequestChannel, unknown][] = [
      ['cloudbridge:app.snapshot', { sneaky: true }],
      ['cloudbridge:tunnel.setEnabled', { id: 't1', enabled: 'yes' }],
      ['cloudbridge:tunnel.setEnabled', { id: 't1', enabled: true, extra: 1 }],
      ['cloudbridge:tunnel.save', { ...draft, kind: 'telnet' }],
      ['cloudbridge:tunnel.save', { ...draft, localPort: '22' }],
      ['cloudbridge:tunnel.save', { ...draft, localPort: 1.5 }],
      ['cloudbridge:tunnel.save', { ...draft, __proto__: { polluted: true }, extra: 'x' }],
      ['cloudbridge:tunnel.remove', { id: '' }],
      ['cloudbridge:tunnel.suggestPort', { port: 0, localHost: '127.0.0.1' }],
      ['cloudbridge:tunnel.suggestPort', { port: 70_000, localHost: '127.0.0.1' }],
      ['cloudbridge:tunnel.suggestPort', { port: 8080, localHost: '' }],
      ['cloudbridge:tunnel.suggestPort', { port: 8080, localHost: 'x'.repeat(254) }],
      ['cloudbridge:tunnel.suggestPort', { port: 8080, localHost: '127.0.0.1', range: 1000 }],
      ['cloudbridge:token.save', { token: 'x'.repeat(20_000) }],
      ['cloudbridge:token.save', ['a.b.c']],
      // Paste reads main's clipboard: the window cannot hand it a token to "paste".
      ['cloudbridge:token.paste', { token: 'a.b.c' }],
      ['cloudbridge:relay.test', { ...relay, token: 'a.b.c' }],
      ['cloudbridge:relay.test', { ...relay, port: '443' }],
      ['cloudbridge:relay.chooseCaFile', { path: '/etc/passwd' }],
      ['cloudbridge:settings.update', { tunnels: [] }],
      ['cloudbridge:settings.update', { relay: { ...relay, opener: 'maybe' } }],
      ['cloudbridge:settings.update', { language: 'de' }],
      ['cloudbridge:logs.query', { limit: -1 }],
      ['cloudbridge:logs.query', { limit: 10, level: 'trace' }],
      ['cloudbridge:app.openExternal', { url: 42 }],
      ['cloudbridge:notice.dismiss', { kind: 'everything' }],
      ['cloudbridge:notice.dismiss', {}],
      // A link is accepted by the id main gave it, never by contents the window supplies.
      ['cloudbridge:invite.accept', { link: 'cloudbridge://invite/a.b.c' }],
      ['cloudbridge:invite.accept', { id: 'inv-1', link: 'cloudbridge://invite/a.b.c' }],
      ['cloudbridge:invite.accept', { id: '' }],
      ['cloudbridge:invite.dismiss', { id: 'x'.repeat(201) }],
    ];
    for (const [channel, payload] of refused)
      expect(isValidRequest(channel, payload), `${channel} ${JSON.stringify(payload)}`).toBe(false);
  });

  it("accepts a reply's field problems only as known message keys with small parameters", () => {
    expect(isFieldErrors({})).toBe(true);
    expect(
      isFieldErrors({
        localPort: { key: 'validation.duplicatePort', params: { name: 'SSH box' } },
        name: { key: 'validation.nameLength', params: { max: 64 } },
      }),
    ).toBe(true);
    for (const bad of [
      { localPort: 'Port 22 is already used by "SSH".' },
      { localPort: { key: 'Enter a port.' } },
      { localPort: { key: 'validation.port', extra: 1 } },
      { localPort: { key: 'validation.port', params: { name: { nested: true } } } },
      { localPort: { key: 'validation.port', params: { name: 'x'.repeat(201) } } },
      { 'local port': { key: 'validation.port' } },
      { __proto__: { key: 'validation.port' } },
      [{ key: 'validation.port' }],
      null,
    ])
      expect(isFieldErrors(bad), JSON.stringify(bad)).toBe(false);
  });

  it('recognises only contract channels', () => {
    expect(isRequestChannel('cloudbridge:app.snapshot')).toBe(true);
    expect(isRequestChannel('cloudbridge:app.eval')).toBe(false);
    expect(isRequestChannel('__proto__')).toBe(false);
    expect(isRequestChannel(undefined)).toBe(false);
  });
});

describe('tunnel validation', () => {
  it('checks ports, host syntax and duplicate local ports, per field', () => {
    const existing = [
      {
        id: 't1',
        name: 'RDP',
        kind: 'rdp' as const,
        localHost: '127.0.0.1',
        localPort: 3390,
        remoteHost: 'pc',
        remotePort: 3389,
        enabled: true,
      },
    ];
    expect(validateTunnelDraft({ ...draft, kind: 'ssh' }, existing)).toEqual({});
    expect(
      validateTunnelDraft({ ...draft, kind: 'ssh', localPort: 3390 }, existing).localPort,
    ).toEqual({ key: 'validation.duplicatePort', params: { name: 'RDP' } });
    expect(
      validateTunnelDraft({ ...draft, kind: 'ssh', id: 't1', localPort: 3390 }, existing),
    ).toEqual({});
    expect(
      Object.keys(
        validateTunnelDraft(
          { ...draft, kind: 'ssh', localPort: 0, remotePort: 65_536, remoteHost: 'a..b' },
          existing,
        ),
      ).sort(),
    ).toEqual(['localPort', 'remoteHost', 'remotePort']);
    for (const good of [
      'localhost',
      'db-1.corp.example',
      '10.0.0.1',
      '::1',
      'fe80::1%eth0',
      '2001:db8::8a2e:370:7334',
    ])
      expect(isValidHost(good), good).toBe(true);
    for (const bad of [
      '',
      'bad host',
      '-x.com',
      '999.1.1.1',
      '1.2.3',
      'a_b.com',
      ':::1',
      `${'a'.repeat(64)}.com`,
    ])
      expect(isValidHost(bad), bad).toBe(false);
  });
});

describe('ipc router', () => {
  const calls: string[] = [];
  const controller = {
    handle(channel: RequestChannel, request: unknown): Promise<never> {
      calls.push(channel);
      if (channel === 'cloudbridge:tunnel.save') {
        return Promise.reject(
          new ServiceError('invalid_tunnel_info', 'Check fields', 'localPort', {
            localPort: { key: 'validation.port' },
          }),
        );
      }
      if (channel === 'cloudbridge:session.connect') throw new TypeError('synchronous bug');
      return Promise.resolve(request as never);
    },
  };
  const router = createIpcRouter(controller, { clock: { now: () => 0 } });

  it('rejects unknown channels without calling the controller', async () => {
    calls.length = 0;
    const result = await router.handle('cloudbridge:shell.exec', { cmd: 'rm' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('protocol_error');
    expect(calls).toEqual([]);
  });

  it('refuses a bad payload before the controller sees it', async () => {
    calls.length = 0;
    const result = await router.handle('cloudbridge:tunnel.remove', { id: 5 });
    expect(result.ok).toBe(false);
    expect(calls).toEqual([]);
  });

  it('passes field errors through and turns thrown bugs into internal_error', async () => {
    const saved = await router.handle('cloudbridge:tunnel.save', draft);
    expect(saved).toMatchObject({
      ok: false,
      error: { code: 'invalid_tunnel_info' },
      fields: { localPort: { key: 'validation.port' } },
    });
    const connect = await router.handle('cloudbridge:session.connect', undefined);
    expect(connect).toMatchObject({ ok: false, error: { code: 'internal_error' } });
    expect(await router.handle('cloudbridge:tunnel.remove', { id: 't9' })).toEqual({
      ok: true,
      value: { id: 't9' },
    });
  });

  it('never throws for any channel string and any payload', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom(...REQUEST_CHANNELS), fc.string()),
        fc.anything(),
        async (channel, payload) => {
          const result = await router.handle(channel, payload);
          expect(typeof result.ok).toBe('boolean');
        },
      ),
      { numRuns: 300 },
    );
  });
});

// Publishing across the engine host channel without a process: the guards for the publish
// options, setPublish, listServers and a key made in the child; the child building the
// engine's PublishOptions with a key store that hands a new key back to main; the proxy in main
// loading the kept key before it tells the child, and keeping a new one in its store.

import { describe, expect, it } from 'vitest';
import { startChildRuntime, type ChildPort } from '../../src-main/engine-host/child-runtime';
import { createEngineProxy, type EngineCommand } from '../../src-main/engine-host/engine-proxy';
import {
  isTunnelConfig,
  parseHostCommand,
  parseHostEvent,
  readListedServers,
  type HostEvent,
  type HostPublish,
} from '../../src-main/engine-host/host-protocol';
import type { Engine, EngineOptions, PublishOptions } from '../../src-main/engine/types';
import type { EngineSnapshot } from '../../src-main/shared/model';

const PUBLISH: HostPublish = {
  name: 'office-pc',
  ports: [{ port: 3389 }, { port: 22, targetHost: '10.0.0.5', targetPort: 2222 }],
  allowSubs: ['alice'],
  keyed: true,
  keyPem: null,
  maxStreams: null,
};

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('publishing over the engine host channel', () => {
  it('takes well-formed publish options, commands and events, and drops the rest', () => {
    expect(parseHostCommand({ type: 'setPublish', id: 1, publish: PUBLISH })).not.toBeNull();
    expect(parseHostCommand({ type: 'setPublish', id: 1, publish: null })).not.toBeNull();
    expect(parseHostCommand({ type: 'listServers', id: 2 })).not.toBeNull();
    for (const bad of [
      { ...PUBLISH, name: 'Office PC' },
      { ...PUBLISH, ports: [] },
      { ...PUBLISH, ports: [{ port: 0 }] },
      { ...PUBLISH, keyed: 'yes' },
      { ...PUBLISH, keyPem: 'x'.repeat(20_000) },
    ])
      expect(parseHostCommand({ type: 'setPublish', id: 1, publish: bad })).toBeNull();
    expect(parseHostEvent({ type: 'serverKey.created', pem: 'PEM' })).not.toBeNull();
    expect(parseHostEvent({ type: 'serverKey.created', pem: 7 })).toBeNull();
    const tunnel = {
      id: 't1',
      name: 'rdp',
      kind: 'rdp',
      localHost: '127.0.0.1',
      localPort: 13389,
      remoteHost: '@office-pc',
      remotePort: 3389,
      enabled: true,
    };
    expect(isTunnelConfig({ ...tunnel, server: 'office-pc' })).toBe(true);
    expect(isTunnelConfig({ ...tunnel, server: 'Office' })).toBe(false);
    expect(
      readListedServers(
        JSON.stringify([{ name: 'office-pc', ports: [22], keyed: true, online: false }]),
      ),
    ).toEqual([{ name: 'office-pc', ports: [22], keyed: true, online: false }]);
    expect(readListedServers(JSON.stringify([{ name: 'x', ports: 'all' }]))).toBeNull();
    expect(readListedServers('not json')).toBeNull();
  });

  it('gives the engine a key store in the child whose new key goes back to main', async () => {
    const sent: HostEvent[] = [];
    let deliver: (m: unknown) => void = () => undefined;
    const port: ChildPort = { send: (e) => sent.push(e), onMessage: (l) => (deliver = l) };
    const published: Array<PublishOptions | null> = [];
    startChildRuntime({
      port,
      pid: 1,
      createEngine: (options: EngineOptions) => {
        published.push(options.publish ?? null);
        return {
          snapshot: () => ({}) as EngineSnapshot,
          on: () => () => undefined,
          close: () => Promise.resolve(),
          setPublish: (p: PublishOptions | null) => published.push(p),
          listServers: () =>
            Promise.resolve([{ name: 'office-pc', ports: [22], keyed: true, online: true }]),
        } as unknown as Engine;
      },
      runBuiltinRelay: () => Promise.reject(new Error('not here')),
      exit: () => undefined,
    });
    deliver({
      type: 'init',
      id: 1,
      options: {
        relay: { host: 'relay', port: 443 },
        tunnels: [],
        allowDirect: false,
        poolSize: null,
        mux: null,
        clientVersion: null,
        heartbeatIntervalMs: null,
        heartbeatTimeoutMs: null,
        sessionStatePath: null,
        publish: PUBLISH,
      },
    });
    await settle();
    const options = published[0];
    expect(options).toMatchObject({
      name: 'office-pc',
      allowSubs: ['alice'],
      ports: PUBLISH.ports,
    });
    expect(await options?.keyStore?.load()).toBeNull();
    await options?.keyStore?.save('NEW KEY');
    expect(sent).toContainEqual({ type: 'serverKey.created', pem: 'NEW KEY' });
    expect(await options?.keyStore?.load()).toBe('NEW KEY');

    deliver({ type: 'setPublish', id: 2, publish: { ...PUBLISH, keyed: false } });
    deliver({ type: 'listServers', id: 3 });
    await settle();
    expect(published[1]).toMatchObject({ name: 'office-pc', keyStore: null });
    const listed = sent.find((e) => e.type === 'reply' && e.id === 3);
    expect(listed).toMatchObject({ error: null });
    expect(readListedServers(listed?.type === 'reply' ? listed.value : null)).toHaveLength(1);
  });

  it('tells the child the kept key from main, replays it, and keeps a key made in the child', async () => {
    const posted: EngineCommand[] = [];
    const saved: string[] = [];
    const proxy = createEngineProxy(
      {
        post: (command) => posted.push(command),
        request: () => Promise.resolve(null),
        detach: () => undefined,
      },
      {
        relay: { host: 'relay', port: 443 },
        tunnels: [],
        getToken: () => Promise.resolve('t'),
        publish: {
          name: 'office-pc',
          ports: [{ port: 22 }],
          keyStore: {
            load: () => Promise.resolve('KEPT KEY'),
            save: (pem) => {
              saved.push(pem);
              return Promise.resolve();
            },
          },
        },
      },
      { sessionStatePath: null },
    );
    await settle();
    expect(posted).toContainEqual({
      type: 'setPublish',
      publish: {
        name: 'office-pc',
        ports: [{ port: 22 }],
        allowSubs: null,
        keyed: true,
        keyPem: 'KEPT KEY',
        maxStreams: null,
      },
    });
    proxy.handleServerKey('MADE IN CHILD');
    expect(saved).toEqual(['MADE IN CHILD']);
    const init = proxy.replay()[0];
    expect(init?.type === 'init' ? init.options.publish?.keyPem : null).toBe('MADE IN CHILD');
    proxy.setPublish(null);
    expect(posted.at(-1)).toEqual({ type: 'setPublish', publish: null });
    const replayed = proxy.replay()[0];
    expect(replayed?.type === 'init' ? replayed.options.publish : 'none').toBeNull();
  });
});

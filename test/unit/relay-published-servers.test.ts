// The published-server registry on an injected clock (docs/protocol.md "Names across
// reconnects"): names per tenant, the grace period and its expiry, hand-backs, serve tokens,
// the newest serving connection taking streams, the listing, and access ending at the token's
// expiry. No sockets: serving connections are stand-ins.

import { describe, expect, it } from 'vitest';
import { ServerRegistry, type ServingLink } from '../../src-main/relay/published-servers';
import { FakeClock } from './engine-fake-clock';

const INFO = { name: 'office-pc', ports: [22], publicKey: null, allowedSubs: null };

function link(): ServingLink & { drained: boolean; closed: boolean } {
  const state = {
    drained: false,
    closed: false,
    open: () => null,
    drain: () => {
      state.drained = true;
    },
    released: () => undefined,
    close: () => {
      state.closed = true;
    },
  };
  return state;
}

function registry(clock = new FakeClock()) {
  const removed: Array<[string, string]> = [];
  const servers = new ServerRegistry({
    clock,
    graceMs: 60_000,
    onRemoved: (server, why) => removed.push([server.name, why]),
  });
  return { clock, servers, removed };
}

describe('published server registry', () => {
  it('holds a name per tenant: the same name in two tenants is two servers', () => {
    const { servers } = registry();
    const a = servers.create(INFO, 'acme', 'office', 1, null);
    const b = servers.create(INFO, 'globex', 'office', 2, null);
    expect(a.tunnelId).not.toBe(b.tunnelId);
    expect(a.tunnelId).toMatch(/^srv-[0-9a-f-]{36}$/);
    expect(servers.find('acme', 'office-pc')).toBe(a);
    expect(servers.find('globex', 'office-pc')).toBe(b);
    expect(servers.find('initech', 'office-pc')).toBeUndefined();
    expect(servers.countForTenant('acme')).toBe(1);
    expect(servers.countForClient('acme', 'office')).toBe(1);
    expect(servers.countForClient('acme', 'lab')).toBe(0);
  });

  it('keeps a dropped session’s server through the grace period and expires it after, closing its serving connections', () => {
    const { clock, servers, removed } = registry();
    const server = servers.create(INFO, 'acme', 'office', 1, null);
    const serving = link();
    servers.attach(server, serving);
    expect(servers.releaseSession(1)).toEqual([server]);
    clock.advance(59_999);
    expect(servers.find('acme', 'office-pc')).toBe(server);
    expect(servers.isOnline(server)).toBe(true);
    clock.advance(1);
    expect(servers.find('acme', 'office-pc')).toBeUndefined();
    expect(servers.byTunnelId(server.tunnelId)).toBeUndefined();
    expect(serving.closed).toBe(true);
    expect(removed).toEqual([['office-pc', 'expired']]);
  });

  it('hands a server back within the grace period with the same id and token, and new lists', () => {
    const { clock, servers, removed } = registry();
    const server = servers.create(INFO, 'acme', 'office', 1, null);
    servers.releaseSession(1);
    clock.advance(30_000);
    servers.handBack(server, { ...INFO, ports: [22, 3389], allowedSubs: ['alice'] }, 2, null);
    clock.advance(120_000);
    expect(servers.find('acme', 'office-pc')).toBe(server);
    expect(server).toMatchObject({ sessionId: 2, ports: [22, 3389], allowedSubs: ['alice'] });
    expect(removed).toEqual([]);
    // The grace timer went with the hand-back.
    expect(clock.pending).toBe(0);
  });

  it('finds a server for a serving connection only with its token and while access lasts', () => {
    const { clock, servers } = registry();
    const server = servers.create(INFO, 'acme', 'office', 1, clock.now() + 1_000);
    expect(servers.forServe(server.tunnelId, server.serveToken)).toBe(server);
    expect(servers.forServe(server.tunnelId, server.serveToken.slice(1) + 'x')).toBeUndefined();
    expect(servers.forServe('srv-other', server.serveToken)).toBeUndefined();
    expect(server.serveToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    servers.attach(server, link());
    expect(servers.isOnline(server)).toBe(true);
    clock.advance(1_000);
    expect(servers.forServe(server.tunnelId, server.serveToken)).toBeUndefined();
    expect(servers.isOnline(server)).toBe(false);
  });

  it('gives new streams to the newest serving connection and tells the older ones to drain', () => {
    const { servers } = registry();
    const server = servers.create(INFO, 'acme', 'office', 1, null);
    const first = link();
    const second = link();
    servers.attach(server, first);
    servers.attach(server, second);
    expect(first.drained).toBe(true);
    expect(second.drained).toBe(false);
    expect(servers.newestLink(server)).toBe(second);
    servers.detach(server, second);
    expect(servers.newestLink(server)).toBe(first);
    servers.detach(server, first);
    expect(servers.isOnline(server)).toBe(false);
    // The name stays: only the session's end (and the grace period) or unregister release it.
    expect(servers.find('acme', 'office-pc')).toBe(server);
  });

  it('lists the published servers an identity may reach, by name', () => {
    const { servers } = registry();
    const zeta = servers.create({ ...INFO, name: 'zeta' }, 'acme', 'a', 1, null);
    const alpha = servers.create({ ...INFO, name: 'alpha' }, 'acme', 'a', 1, null);
    const bobs = servers.create(
      { ...INFO, name: 'bobs', allowedSubs: ['bob'] },
      'acme',
      'a',
      1,
      null,
    );
    servers.create({ ...INFO, name: 'unserved' }, 'acme', 'a', 1, null);
    const other = servers.create({ ...INFO, name: 'elsewhere' }, 'globex', 'a', 1, null);
    for (const server of [zeta, alpha, bobs, other]) servers.attach(server, link());
    expect(servers.listFor('acme', 'alice').map((s) => s.name)).toEqual(['alpha', 'zeta']);
    expect(servers.listFor('acme', 'bob').map((s) => s.name)).toEqual(['alpha', 'bobs', 'zeta']);
    expect(servers.mayReach(bobs, 'alice')).toBe(false);
  });

  it('releases a server at once when it is removed, and forgets every timer on clear', () => {
    const { clock, servers, removed } = registry();
    const server = servers.create(INFO, 'acme', 'office', 1, null);
    servers.remove(server, 'unregistered');
    servers.remove(server, 'unregistered');
    expect(removed).toEqual([['office-pc', 'unregistered']]);
    servers.create(INFO, 'acme', 'office', 2, null);
    servers.releaseSession(2);
    servers.clear();
    expect(clock.pending).toBe(0);
    expect(servers.size).toBe(0);
  });
});

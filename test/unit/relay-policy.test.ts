// CIDR parsing and the allow-list decision: IPv4, IPv6, IPv4-mapped spellings, sensitive
// (link-local and metadata) ranges that broad rules never open, and bad input.

import { describe, expect, it } from 'vitest';
import { cidrContains, parseCidr, parseIp } from '../../src-main/relay/cidr';
import {
  DEFAULT_TENANT_ID,
  isAddressAllowed,
  PolicyError,
  TenantTable,
} from '../../src-main/relay/policy';

const allow = (...rules: string[]) => rules.map(parseCidr);

describe('parseIp', () => {
  it('reads IPv4 and IPv6, and treats IPv4-mapped IPv6 as IPv4', () => {
    expect(parseIp('10.1.2.3')).toEqual({ family: 4, value: 0x0a010203n });
    expect(parseIp('::1')).toEqual({ family: 6, value: 1n });
    expect(parseIp('::ffff:10.1.2.3')).toEqual({ family: 4, value: 0x0a010203n });
    expect(parseIp('::ffff:a01:203')).toEqual({ family: 4, value: 0x0a010203n });
    expect(parseIp('[2001:db8::1]')).toEqual({ family: 6, value: (0x20010db8n << 96n) | 1n });
    expect(parseIp('fe80::1%eth0')).toEqual({ family: 6, value: (0xfe80n << 112n) | 1n });
  });

  it('rejects what is not an address', () => {
    for (const text of [
      '',
      '10.1.2',
      '10.1.2.256',
      '1.2.3.4.5',
      'localhost',
      '::g',
      '1:2:3:4:5:6:7:8:9',
      '01.2.3.4x',
    ]) {
      expect(parseIp(text), text).toBeNull();
    }
  });
});

describe('parseCidr and matching', () => {
  it('matches IPv4 networks at their boundaries', () => {
    const net = parseCidr('192.168.10.0/23');
    expect(cidrContains(net, parseIp('192.168.10.0')!)).toBe(true);
    expect(cidrContains(net, parseIp('192.168.11.255')!)).toBe(true);
    expect(cidrContains(net, parseIp('192.168.12.0')!)).toBe(false);
    expect(cidrContains(net, parseIp('192.168.9.255')!)).toBe(false);
  });

  it('clears host bits and treats a bare address as a single host', () => {
    expect(parseCidr('10.1.2.3/8').network).toBe(0x0a000000n);
    const host = parseCidr('10.1.2.3');
    expect(host.prefix).toBe(32);
    expect(cidrContains(host, parseIp('10.1.2.3')!)).toBe(true);
    expect(cidrContains(host, parseIp('10.1.2.4')!)).toBe(false);
  });

  it('matches IPv6 networks and never mixes families', () => {
    const net = parseCidr('2001:db8:abcd::/48');
    expect(cidrContains(net, parseIp('2001:db8:abcd:ffff::1')!)).toBe(true);
    expect(cidrContains(net, parseIp('2001:db8:abce::1')!)).toBe(false);
    expect(cidrContains(parseCidr('0.0.0.0/0'), parseIp('::1')!)).toBe(false);
    expect(cidrContains(parseCidr('::/0'), parseIp('10.0.0.1')!)).toBe(false);
  });

  it('matches an IPv4 rule against the IPv4-mapped spelling of an address, and a mapped rule against plain IPv4', () => {
    expect(isAddressAllowed(allow('10.0.0.0/8'), '::ffff:10.9.8.7')).toBe(true);
    expect(isAddressAllowed(allow('::ffff:10.0.0.0/104'), '10.9.8.7')).toBe(true);
    expect(isAddressAllowed(allow('::ffff:10.0.0.0/104'), '11.0.0.1')).toBe(false);
  });

  it('rejects malformed CIDRs with a message naming the input', () => {
    for (const text of [
      '10.0.0.0/33',
      '10.0.0.0/-1',
      '10.0.0/8',
      '::/129',
      '10.0.0.0/8/8',
      'ten/8',
      '::ffff:10.0.0.0/64',
    ]) {
      expect(() => parseCidr(text), text).toThrow(/CIDR/);
    }
  });
});

describe('isAddressAllowed', () => {
  it('refuses everything with an empty allow-list', () => {
    expect(isAddressAllowed([], '127.0.0.1')).toBe(false);
    expect(isAddressAllowed([], '::1')).toBe(false);
  });

  it('never opens link-local or metadata addresses through a broad rule', () => {
    const broad = allow('0.0.0.0/0', '::/0');
    expect(isAddressAllowed(broad, '8.8.8.8')).toBe(true);
    expect(isAddressAllowed(broad, '169.254.169.254')).toBe(false);
    expect(isAddressAllowed(broad, '::ffff:169.254.169.254')).toBe(false);
    expect(isAddressAllowed(broad, '169.254.1.1')).toBe(false);
    expect(isAddressAllowed(broad, 'fe80::1')).toBe(false);
    expect(isAddressAllowed(broad, 'fd00:ec2::254')).toBe(false);
    expect(isAddressAllowed(broad, '100.100.100.200')).toBe(false);
    expect(isAddressAllowed(allow('100.64.0.0/10'), '100.100.100.200')).toBe(false);
  });

  it('opens a sensitive address only when a rule inside its range names it', () => {
    expect(isAddressAllowed(allow('169.254.169.254/32'), '169.254.169.254')).toBe(true);
    expect(isAddressAllowed(allow('169.254.0.0/16'), '169.254.3.4')).toBe(true);
    expect(isAddressAllowed(allow('fe80::/10'), 'fe80::1234')).toBe(true);
    expect(isAddressAllowed(allow('169.254.169.254/32'), '169.254.169.253')).toBe(false);
  });

  it('refuses names and garbage (the caller resolves first)', () => {
    expect(isAddressAllowed(allow('0.0.0.0/0'), 'example.com')).toBe(false);
    expect(isAddressAllowed(allow('0.0.0.0/0'), '')).toBe(false);
  });
});

describe('TenantTable', () => {
  it('has one implicit tenant that reaches nothing until an allow-list is given', () => {
    const table = new TenantTable({});
    expect(table.multiTenant).toBe(false);
    const tenant = table.resolve('anything');
    expect(tenant?.id).toBe(DEFAULT_TENANT_ID);
    expect(isAddressAllowed(tenant!.allow, '127.0.0.1')).toBe(false);
    expect(isAddressAllowed(tenant!.allow, '10.0.0.1')).toBe(false);
    const loopback = new TenantTable({ allow: ['127.0.0.0/8'] }).resolve(null);
    expect(isAddressAllowed(loopback!.allow, '127.0.0.1')).toBe(true);
    expect(isAddressAllowed(loopback!.allow, '10.0.0.1')).toBe(false);
  });

  it('resolves configured tenants by id only', () => {
    const table = new TenantTable({
      tenants: [{ id: 'acme', maxTunnels: 1, maxConnections: 2, allow: ['10.0.0.0/8'] }],
    });
    expect(table.multiTenant).toBe(true);
    expect(table.resolve('acme')?.maxConnections).toBe(2);
    expect(table.resolve('other')).toBeUndefined();
    expect(table.resolve(null)).toBeUndefined();
  });

  it('refuses a bad tenant table', () => {
    expect(
      () =>
        new TenantTable({
          tenants: [{ id: 'a', maxTunnels: 1, maxConnections: 1, allow: ['bad'] }],
        }),
    ).toThrow(PolicyError);
    expect(
      () =>
        new TenantTable({ tenants: [{ id: 'a', maxTunnels: -1, maxConnections: 1, allow: [] }] }),
    ).toThrow(/maxTunnels/);
    const twice = { id: 'a', maxTunnels: 1, maxConnections: 1, allow: [] };
    expect(() => new TenantTable({ tenants: [twice, twice] })).toThrow(/twice/);
  });
});

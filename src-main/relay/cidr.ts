// CIDR parsing and address matching for the relay's allow-lists (PROTOCOL.md §3: the relay
// checks allowed networks before it dials). Pure functions over bigints; IPv4-mapped IPv6
// addresses (::ffff:a.b.c.d) are matched as the IPv4 address they carry. No DNS, no I/O.

import { isIP } from 'node:net';

export type IpFamily = 4 | 6;

/** An address as family + 32- or 128-bit integer. */
export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

export interface Cidr {
  readonly family: IpFamily;
  /** Network address (host bits cleared). */
  readonly network: bigint;
  readonly prefix: number;
  /** The text it was parsed from, for logs and errors. */
  readonly text: string;
}

const V4_BITS = 32;
const V6_BITS = 128;

function parseV4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseV6(text: string): bigint | null {
  // Drop a zone index (fe80::1%eth0): it names an interface, not part of the address.
  const zoneless = text.split('%')[0] ?? '';
  let head = zoneless;
  let tailV4: bigint | null = null;
  const lastColon = zoneless.lastIndexOf(':');
  if (zoneless.includes('.', lastColon)) {
    tailV4 = parseV4(zoneless.slice(lastColon + 1));
    if (tailV4 === null) return null;
    head = zoneless.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const toGroups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const left = toGroups(halves[0] ?? '');
  const right = halves.length === 2 ? toGroups(halves[1] ?? '') : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  if (tailV4 !== null) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

/**
 * Parses an IPv4 or IPv6 address. IPv4-mapped IPv6 (::ffff:10.0.0.1) becomes the IPv4
 * address, so one IPv4 allow rule covers both spellings.
 */
export function parseIp(text: string): IpAddress | null {
  const trimmed = text.trim().replace(/^\[(.*)\]$/, '$1');
  if (isIP(trimmed) === 4) {
    const v4 = parseV4(trimmed);
    return v4 === null ? null : { family: 4, value: v4 };
  }
  if (isIP(trimmed.split('%')[0] ?? '') !== 6) return null;
  const v6 = parseV6(trimmed);
  if (v6 === null) return null;
  if (v6 >> 32n === 0xffffn) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

function mask(bits: number, prefix: number): bigint {
  return prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
}

/** Parses `a.b.c.d/n`, `x::y/n`, or a bare address (a /32 or /128). Throws on bad input. */
export function parseCidr(text: string): Cidr {
  const [addressText, prefixText, extra] = text.trim().split('/');
  if (addressText === undefined || extra !== undefined) throw new Error(`invalid CIDR "${text}"`);
  const address = parseIp(addressText);
  if (address === null) throw new Error(`invalid address in CIDR "${text}"`);
  const mappedV4 = address.family === 4 && isIP(addressText.trim()) === 6;
  const bits = address.family === 4 ? V4_BITS : V6_BITS;
  let prefix = bits;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) throw new Error(`invalid prefix length in CIDR "${text}"`);
    prefix = Number(prefixText);
    // ::ffff:10.0.0.0/104 is written against 128 bits; bring it onto the IPv4 scale.
    if (mappedV4) {
      if (prefix < 96) throw new Error(`prefix of an IPv4-mapped CIDR must be >= 96 in "${text}"`);
      prefix -= 96;
    }
    if (prefix > bits) throw new Error(`prefix length ${prefix} too long in CIDR "${text}"`);
  }
  return {
    family: address.family,
    network: address.value & mask(bits, prefix),
    prefix,
    text: text.trim(),
  };
}

export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  if (cidr.family !== address.family) return false;
  const bits = cidr.family === 4 ? V4_BITS : V6_BITS;
  return (address.value & mask(bits, cidr.prefix)) === cidr.network;
}

/** True when every address of `inner` lies inside `outer`. */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  return (
    inner.family === outer.family &&
    inner.prefix >= outer.prefix &&
    cidrContains(outer, { family: inner.family, value: inner.network })
  );
}

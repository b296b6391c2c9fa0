// CIDR parsing and address matching for the relay's allow-lists (docs/protocol.md#target-addresses:
// the relay checks allowed networks before it dials). Pure functions over bigints; IPv4-mapped IPv6
// addresses (::ffff:a.b.c.d) are matched as the IPv4 address they carry, and the other IPv6 forms
// that carry an IPv4 address give it up for checking (embeddedIpv4). No DNS, no I/O.

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

/** The 128-bit value of an IPv6 address (IPv4-mapped kept as IPv6), or null. */
export function parseV6(text: string): bigint | null {
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

/**
 * The IPv4 addresses an IPv6 address carries, for the sensitive-range check
 * (docs/protocol.md#target-addresses): SIIT `::ffff:0:a.b.c.d`, IPv4-compatible `::a.b.c.d`
 * (not `::` or `::1`), NAT64 `64:ff9b::/96`, local-use NAT64 `64:ff9b:1::/48` (every RFC 6052
 * position a /48../96 prefix can put it at), 6to4 `2002::/16`, and Teredo `2001::/32` (server
 * and client; the client is stored inverted). IPv4-mapped `::ffff:a.b.c.d` never gets here:
 * parseIp already makes it IPv4.
 */
export function embeddedIpv4(value: bigint): bigint[] {
  const low32 = value & 0xffffffffn;
  const top96 = value >> 32n;
  if (top96 === 0xffff0000n) return [low32];
  if (top96 === 0n) return value > 1n ? [low32] : [];
  if (top96 === 0x0064ff9b0000000000000000n) return [low32];
  if (value >> 80n === 0x0064ff9b0001n) {
    const bits = (from: number, count: number): bigint =>
      (value >> BigInt(128 - from - count)) & ((1n << BigInt(count)) - 1n);
    // RFC 6052 section 2.2: bits 64-71 (the "u" octet) are skipped. The operator's prefix
    // length is not known here, so every position counts, except that the zeros one form
    // leaves in another position read as 0.x.x.x, which is no address a translator reaches.
    const positions = [
      (bits(48, 16) << 16n) | bits(72, 16),
      (bits(56, 8) << 24n) | bits(72, 24),
      bits(72, 32),
      low32,
    ];
    const real = positions.filter((candidate) => candidate >= 0x01000000n);
    return real.length > 0 ? real : positions;
  }
  if (value >> 112n === 0x2002n) return [(value >> 80n) & 0xffffffffn];
  if (value >> 96n === 0x20010000n) return [(value >> 64n) & 0xffffffffn, low32 ^ 0xffffffffn];
  return [];
}

/**
 * The classic inet_aton spellings getaddrinfo also accepts (`127.1`, `0`, `2130706433`,
 * `0x7f.0.0.1`, `0177.0.0.1`): one to four parts, decimal, octal (leading 0) or hex (0x), the
 * last part filling the remaining bytes. Returns the dotted-quad form, or null. Lets the relay
 * check such a "name" as the address it is instead of sending it to DNS.
 */
export function parseInetAton(text: string): string | null {
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    let n: number;
    if (/^0x[0-9a-f]+$/i.test(part)) n = parseInt(part.slice(2), 16);
    else if (/^0[0-7]*$/.test(part)) n = part === '0' ? 0 : parseInt(part.slice(1) || '0', 8);
    else if (/^[1-9][0-9]*$/.test(part)) n = Number(part);
    else return null;
    if (!Number.isSafeInteger(n)) return null;
    numbers.push(n);
  }
  const last = numbers.pop() ?? 0;
  if (numbers.some((n) => n > 255)) return null;
  const lastBytes = 4 - numbers.length;
  if (last >= 256 ** lastBytes) return null;
  const bytes = [...numbers];
  for (let i = lastBytes - 1; i >= 0; i--) bytes.push(Math.floor(last / 256 ** i) % 256);
  return bytes.join('.');
}

// The strict parsers and tolerant readers of published servers' messages
// (src-main/protocol/server-messages.ts, docs/protocol.md "Register"): what a public key must
// be, the name rule, a tunnel that names a server, a serving mux_open, the relay's OPEN, and
// the v1 number of an error. Readers never throw, whatever they are given.

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { v1CodeFor } from '../../src-main/protocol/errors';
import {
  checkPublicKey,
  encodeServerOpen,
  FieldError,
  isServerName,
  parseRegister,
  parseServeOpen,
  parseServerTunnel,
  readRegisterResponse,
  readServerOpen,
  readServersResponse,
} from '../../src-main/protocol/server-messages';

function spki(pair: { publicKey: KeyObject }): string {
  return pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}

const EC256 = spki(generateKeyPairSync('ec', { namedCurve: 'P-256' }));

describe('public keys', () => {
  it('accepts EC P-256 and P-384, Ed25519 and RSA 2048-4096, as canonical base64 DER SPKI', () => {
    expect(checkPublicKey(EC256)).toBeNull();
    expect(checkPublicKey(spki(generateKeyPairSync('ec', { namedCurve: 'P-384' })))).toBeNull();
    expect(checkPublicKey(spki(generateKeyPairSync('ed25519')))).toBeNull();
    expect(checkPublicKey(spki(generateKeyPairSync('rsa', { modulusLength: 2048 })))).toBeNull();
  });

  it('names why any other key is refused', () => {
    expect(checkPublicKey('')).toBe('not_base64');
    expect(checkPublicKey(EC256.slice(0, -1))).toBe('not_base64');
    expect(checkPublicKey(EC256.replace(/=*$/, '') + '====')).toBe('not_base64');
    expect(checkPublicKey(' ' + EC256)).toBe('not_base64');
    expect(checkPublicKey(Buffer.alloc(3000).toString('base64'))).toBe('too_large');
    expect(checkPublicKey(Buffer.from('not a key').toString('base64'))).toBe('not_spki');
    expect(checkPublicKey(spki(generateKeyPairSync('ec', { namedCurve: 'secp256k1' })))).toBe(
      'key_type_not_allowed',
    );
    expect(checkPublicKey(spki(generateKeyPairSync('rsa', { modulusLength: 1024 })))).toBe(
      'key_type_not_allowed',
    );
    expect(checkPublicKey(spki(generateKeyPairSync('x25519')))).toBe('key_type_not_allowed');
    // Trailing bytes after the DER: not the key as the computer holds it.
    const padded = Buffer.concat([Buffer.from(EC256, 'base64'), Buffer.from([0, 0])]);
    expect(checkPublicKey(padded.toString('base64'))).not.toBeNull();
  });
});

describe('register', () => {
  const good = { name: 'office-pc', protocol: 'tcp', ports: [3389, 22] };

  it('reads a keyless server for the whole tenant, and a keyed one for some subs', () => {
    expect(parseRegister({ tunnel_info: good })).toEqual({
      name: 'office-pc',
      ports: [3389, 22],
      publicKey: null,
      allowedSubs: null,
    });
    expect(
      parseRegister({
        tunnel_info: { ...good, public_key: EC256, allowed_subs: ['alice', 'bob'] },
      }),
    ).toMatchObject({ publicKey: EC256, allowedSubs: ['alice', 'bob'] });
    expect(parseRegister({ tunnel_info: { ...good, public_key: null } }).publicKey).toBeNull();
  });

  it('keeps names to one spelling that no other reads differently', () => {
    for (const name of ['a', 'office-pc', 'server_name', 'pc1', 'a'.repeat(63)])
      expect(isServerName(name), name).toBe(true);
    for (const name of ['', 'Office', '-pc', 'pc-', '_pc', 'a'.repeat(64), 'a.b', 'é', 'a b'])
      expect(isServerName(name), name).toBe(false);
  });

  it('throws FieldError naming the field for each bad value', () => {
    const fieldOf = (info: unknown): string => {
      try {
        parseRegister({ tunnel_info: info });
      } catch (error) {
        if (error instanceof FieldError) return `${error.field}:${error.reason}`;
        throw error;
      }
      return 'accepted';
    };
    expect(fieldOf(undefined)).toBe('tunnel_info:invalid_field');
    expect(fieldOf([good])).toBe('tunnel_info:invalid_field');
    expect(fieldOf({ ...good, name: 'Bad' })).toBe('tunnel_info.name:invalid_name');
    expect(fieldOf({ ...good, protocol: 'TCP' })).toBe('tunnel_info.protocol:unsupported_protocol');
    expect(fieldOf({ ...good, ports: [1.5] })).toBe('tunnel_info.ports:invalid_ports');
    expect(fieldOf({ ...good, public_key: 12 })).toBe('tunnel_info.public_key:not_base64');
    expect(fieldOf({ ...good, allowed_subs: 'alice' })).toBe(
      'tunnel_info.allowed_subs:invalid_subs',
    );
    expect(fieldOf({ ...good, allowed_subs: ['x'.repeat(257)] })).toBe(
      'tunnel_info.allowed_subs:invalid_subs',
    );
    expect(fieldOf({ ...good, allowed_subs: Array.from({ length: 65 }, (_, i) => `s${i}`) })).toBe(
      'tunnel_info.allowed_subs:invalid_subs',
    );
  });

  it('never throws anything but FieldError, whatever tunnel_info holds', () => {
    fc.assert(
      fc.property(fc.anything(), (info) => {
        try {
          parseRegister({ tunnel_info: info });
        } catch (error) {
          if (!(error instanceof FieldError)) throw error;
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('tunnels to servers and serving connections', () => {
  it('reads a server tunnel, refusing one that also names remote_host', () => {
    expect(parseServerTunnel({ server: 'office-pc', remote_port: 22 })).toEqual({
      server: 'office-pc',
      remotePort: 22,
    });
    expect(() =>
      parseServerTunnel({ server: 'office-pc', remote_host: 'office-pc', remote_port: 22 }),
    ).toThrow(FieldError);
    expect(() => parseServerTunnel({ server: 'office.example.com', remote_port: 22 })).toThrow(
      /published server/,
    );
    expect(() => parseServerTunnel({ server: 'pc', remote_port: 0 })).toThrow(FieldError);
  });

  it('tells a serving mux_open from an ordinary one', () => {
    expect(parseServeOpen({ type: 'mux_open' })).toBeNull();
    expect(parseServeOpen({ type: 'mux_open', serve: 'srv-1', serve_token: 't' })).toEqual({
      tunnelId: 'srv-1',
      serveToken: 't',
    });
    expect(() => parseServeOpen({ serve: 'srv 1', serve_token: 't' })).toThrow(FieldError);
    expect(() => parseServeOpen({ serve: 'srv-1' })).toThrow(/serve_token/);
  });

  it('round-trips the relay’s OPEN and reads nothing from a payload that is not one', () => {
    const open = { tunnel_id: 'srv-1', port: 22, sub: 'alice', tenant_id: 'acme', remote: '::1' };
    expect(readServerOpen(encodeServerOpen(open))).toEqual(open);
    for (const bad of ['', 'null', '[]', '{"port":22}', '{"tunnel_id":"x","port":0,"sub":"a"}'])
      expect(readServerOpen(Buffer.from(bad))).toBeNull();
  });

  it('reads the relay’s answers tolerantly: ok or success, skipping entries it cannot read', () => {
    expect(
      readRegisterResponse({
        type: 'register_response',
        status: 'OK',
        tunnel_id: 'srv-1',
        serve_token: 't',
        config: { endpoint: 'relay:443', public_key: 'pin' },
      }),
    ).toEqual({
      tunnelId: 'srv-1',
      serveToken: 't',
      handedBack: false,
      endpoint: 'relay:443',
      relayPin: 'pin',
    });
    expect(readRegisterResponse({ type: 'register_response', status: 'failed' })).toBeNull();
    expect(
      readServersResponse({
        type: 'servers_response',
        servers: [{ name: 'pc', ports: [22, 'x'], keyed: true, online: 1 }, { name: 'Bad' }, 3],
      }),
    ).toEqual([{ name: 'pc', ports: [22], keyed: true, online: false }]);
    expect(readServersResponse({ type: 'servers_response' })).toBeNull();
  });
});

describe('v1 error numbers', () => {
  it('gives the v1 number where protocol v1 has one and none elsewhere', () => {
    expect(v1CodeFor('invalid_token')).toBe(1002);
    expect(v1CodeFor('invalid_token', 'token_expired')).toBe(1003);
    expect(v1CodeFor('tunnel_exists')).toBe(2001);
    expect(v1CodeFor('invalid_tunnel_info')).toBe(2002);
    expect(v1CodeFor('rate_limit_exceeded')).toBe(3001);
    expect(v1CodeFor('server_unavailable')).toBe(5000);
    expect(v1CodeFor('ip_not_allowed')).toBeNull();
    expect(v1CodeFor('constructor')).toBeNull();
  });
});

// The forms' pure checks: ports, hosts (names, IPv4, IPv6), duplicates, the draft; and every
// shared case (validation-cases.ts, which main's router runs too) gives the same problems here.
import { describe, expect, it } from 'vitest';
import type { TunnelConfig } from '../../src-main/shared/model';
import { relayForm, validateRelayForm } from '../../src-renderer/validation/relay-form';
import {
  emptyTunnelForm,
  isValidHost,
  parsePort,
  toTunnelDraft,
  tunnelFormFrom,
  validateTunnelForm,
} from '../../src-renderer/validation/tunnel-form';
import { CONFIGURED, RELAY_CASES, TUNNEL_CASES } from '../harness/validation-cases';

const existing: TunnelConfig[] = [
  {
    id: 'a',
    name: 'SSH box',
    kind: 'ssh',
    localHost: '127.0.0.1',
    localPort: 2222,
    remoteHost: 'box',
    remotePort: 22,
    enabled: true,
  },
];

describe('tunnel form checks', () => {
  it('accepts ports 1-65535 written as plain digits only', () => {
    expect(parsePort('1')).toBe(1);
    expect(parsePort(' 65535 ')).toBe(65535);
    for (const bad of ['0', '65536', '-1', '1e3', '22.0', '0x16', '', 'abc', '123456'])
      expect(parsePort(bad), bad).toBeNull();
  });

  it('accepts names, IPv4 and IPv6, rejects the rest', () => {
    for (const good of [
      'localhost',
      'db.corp.example',
      'a-b.example.',
      '10.0.0.1',
      '::1',
      '[::1]',
      'fe80::1:2',
      '2001:db8::8a2e:370:7334',
      '::ffff:192.0.2.1',
    ]) {
      expect(isValidHost(good), good).toBe(true);
    }
    for (const bad of [
      '',
      'bad host',
      '-lead.example',
      'trail-.example',
      'a..b',
      '999.1.1.1',
      '1.2.3',
      '1::2::3',
      'under_score.example',
      'x'.repeat(64),
    ]) {
      expect(isValidHost(bad), bad).toBe(false);
    }
  });

  it('flags a local port another tunnel uses on the same address, but not the tunnel being edited', () => {
    const values = {
      ...emptyTunnelForm(),
      name: 'x',
      localPort: '2222',
      remoteHost: 'h',
      remotePort: '22',
    };
    expect(validateTunnelForm(values, existing, null).localPort).toEqual({
      key: 'validation.duplicatePort',
      params: { name: 'SSH box' },
    });
    expect(validateTunnelForm(values, existing, 'a')).toEqual({});
    // An empty port is "required" as typed, whatever main would call a 0.
    expect(validateTunnelForm({ ...values, localPort: ' ' }, existing, null).localPort).toEqual({
      key: 'validation.required',
    });
    expect(validateTunnelForm({ ...values, localHost: '127.0.0.2' }, existing, null)).toEqual({});
    expect(
      validateTunnelForm({ ...values, localHost: '0.0.0.0' }, existing, null).localPort?.key,
    ).toBe('validation.duplicatePort');
  });

  it('fills the usual remote port for RDP and SSH, and builds a trimmed draft', () => {
    expect(emptyTunnelForm('rdp').remotePort).toBe('3389');
    expect(emptyTunnelForm('ssh').remotePort).toBe('22');
    const draft = toTunnelDraft(
      { ...emptyTunnelForm('ssh'), name: ' Box ', localPort: '2200', remoteHost: ' [::1] ' },
      'a',
    );
    expect(draft).toEqual({
      id: 'a',
      name: 'Box',
      kind: 'ssh',
      localHost: '127.0.0.1',
      localPort: 2200,
      remoteHost: '::1',
      remotePort: 22,
      enabled: true,
    });
  });
});

describe('the forms give the problems main gives, case by case', () => {
  for (const c of TUNNEL_CASES) {
    it(`tunnel: ${c.name}`, () => {
      const values = tunnelFormFrom({ ...c.draft, id: c.draft.id ?? 'unsaved' });
      expect(validateTunnelForm(values, CONFIGURED, c.draft.id ?? null)).toEqual(c.expected);
    });
  }
  for (const c of RELAY_CASES) {
    it(`relay: ${c.name}`, () => {
      expect(validateRelayForm(relayForm(c.profile), c.profile)).toEqual(c.expected);
    });
  }
});

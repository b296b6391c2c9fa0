// The roots a profile without a CA file trusts (docs/protocol.md#transport): Node's default
// roots and the OS store, each certificate once; an OS store that cannot be read leaves
// Node's roots and says why. The reader is injected, so no real store is read here.
import { describe, expect, it } from 'vitest';
import { readTrustStore, type CaSource } from '../../src-main/engine/trust-store';

const pem = (name: string): string =>
  `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`;

describe('trust store', () => {
  it("joins Node's default roots and the OS store, each certificate once", () => {
    const asked: CaSource[] = [];
    const store = readTrustStore((source) => {
      asked.push(source);
      if (source === 'default') return [pem('mozilla-a'), pem('extra-b')];
      if (source === 'system') return [pem('company-ca'), `${pem('mozilla-a')}\n`];
      return [];
    });
    expect(asked).toEqual(['default', 'system']);
    expect(store.certs).toEqual([pem('mozilla-a'), pem('extra-b'), pem('company-ca')]);
    expect(store.systemCount).toBe(2);
    expect(store.systemError).toBeNull();
  });

  it("keeps Node's roots and names the reason when the OS store cannot be read", () => {
    const store = readTrustStore((source) => {
      if (source === 'system') throw new Error('keychain locked');
      return [pem('mozilla-a')];
    });
    expect(store.certs).toEqual([pem('mozilla-a')]);
    expect(store.systemCount).toBe(0);
    expect(store.systemError).toBe('keychain locked');
  });
});

// Certificates without the openssl CLI (certs.ts) and the test PKI built on them: names,
// validity, chains, the SPKI pin cross-checked with openssl, and the development certificate
// kept in a data directory.

import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEV_CERT_FILE,
  DEV_KEY_FILE,
  loadOrCreateDevCertificate,
} from '../../src-main/relay/certs';
import { createTestPki, type TestPki } from '../harness/pki';

let pki: TestPki;
let dir: string;

beforeAll(async () => {
  pki = await createTestPki();
  dir = mkdtempSync(join(tmpdir(), 'relay-certs-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('test PKI', () => {
  it('issues EC and RSA server certificates for 127.0.0.1, ::1 and localhost, signed by the CA', () => {
    const ca = new X509Certificate(pki.caPem);
    expect(ca.ca).toBe(true);
    for (const [pair, type] of [
      [pki.serverEc, 'ec'],
      [pki.serverRsa, 'rsa'],
    ] as const) {
      const cert = new X509Certificate(pair.cert);
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(cert.checkHost('localhost')).toBe('localhost');
      expect(cert.checkIP('::1')).toBeDefined();
      expect(cert.ca).toBe(false);
      expect(cert.publicKey.asymmetricKeyType).toBe(type);
      expect(createPrivateKey(pair.key).asymmetricKeyType).toBe(type);
      expect(cert.checkPrivateKey(createPrivateKey(pair.key))).toBe(true);
    }
  });

  it('has a wrong-name, an expired and an unknown-CA certificate that fail as they should', () => {
    const ca = new X509Certificate(pki.caPem);
    const wrong = new X509Certificate(pki.wrongName.cert);
    expect(wrong.verify(ca.publicKey)).toBe(true);
    expect(wrong.checkHost('localhost')).toBeUndefined();
    expect(wrong.checkIP('127.0.0.1')).toBeUndefined();
    const expired = new X509Certificate(pki.expired.cert);
    expect(expired.verify(ca.publicKey)).toBe(true);
    expect(new Date(expired.validTo).getTime()).toBeLessThan(Date.now());
    const foreign = new X509Certificate(pki.unknownCa.cert);
    expect(foreign.verify(ca.publicKey)).toBe(false);
    expect(foreign.verify(new X509Certificate(pki.unknownCaPem).publicKey)).toBe(true);
  });

  it('computes the SPKI SHA-256 pin the way openssl does, for EC and RSA keys', () => {
    for (const pair of [pki.serverEc, pki.serverRsa]) {
      const spki = execFileSync(
        'sh',
        [
          '-c',
          'openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64',
        ],
        {
          input: pair.cert,
        },
      )
        .toString()
        .trim();
      expect(pki.pin(pair.cert)).toBe(spki);
    }
    expect(pki.pin(pki.serverEc.cert)).not.toBe(pki.pin(pki.serverRsa.cert));
  });
});

describe('development certificate', () => {
  it('is made on first start, kept with an owner-only key, and reused afterwards', async () => {
    const first = await loadOrCreateDevCertificate(dir);
    expect(first.created).toBe(true);
    expect(statSync(join(dir, DEV_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, DEV_CERT_FILE), 'utf8')).toBe(first.cert);
    const cert = new X509Certificate(first.cert);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.verify(cert.publicKey)).toBe(true);
    const second = await loadOrCreateDevCertificate(dir);
    expect(second).toEqual({ cert: first.cert, key: first.key, created: false });
  });

  it('replaces a damaged or mismatched pair instead of failing', async () => {
    const own = mkdtempSync(join(tmpdir(), 'relay-certs-bad-'));
    try {
      const original = await loadOrCreateDevCertificate(own);
      writeFileSync(join(own, DEV_CERT_FILE), 'not a certificate');
      const repaired = await loadOrCreateDevCertificate(own);
      expect(repaired.created).toBe(true);
      expect(
        new X509Certificate(repaired.cert).checkPrivateKey(createPrivateKey(repaired.key)),
      ).toBe(true);
      // A key that does not belong to the certificate is replaced as well.
      writeFileSync(join(own, DEV_KEY_FILE), original.key);
      const again = await loadOrCreateDevCertificate(own);
      expect(again.created).toBe(true);
      expect(new X509Certificate(again.cert).checkPrivateKey(createPrivateKey(again.key))).toBe(
        true,
      );
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});

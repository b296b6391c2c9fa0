// X.509 certificates for the relay without the openssl CLI (the desktop app embeds the relay
// on Windows and macOS too): issue certificates with @peculiar/x509 on Node's WebCrypto, and
// keep a self-signed development certificate in a data directory across restarts.
// Owns key and certificate files; never logs private keys.

import 'reflect-metadata';
import { createPrivateKey, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { DEV_CERT_FILE, DEV_KEY_FILE } from './dev-cert-files';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;

export type KeyKind = 'ec' | 'rsa';

export interface KeyAndCert {
  /** PEM certificate. */
  readonly cert: string;
  /** PEM PKCS#8 private key. */
  readonly key: string;
}

/** An issuer: a certificate with its private key kept as a CryptoKey for signing. */
export interface Issuer extends KeyAndCert {
  readonly signingKey: CryptoKey;
  readonly certificate: x509.X509Certificate;
  readonly keyKind: KeyKind;
}

export interface IssueOptions {
  readonly commonName: string;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly keyKind?: KeyKind;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Signs with this issuer; self-signed when absent. */
  readonly issuer?: Issuer;
  /** Makes a CA certificate (basicConstraints cA, keyCertSign). */
  readonly isCa?: boolean;
}

const DAY_MS = 86_400_000;

function algorithmFor(kind: KeyKind): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  return kind === 'rsa'
    ? {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      }
    : { name: 'ECDSA', namedCurve: 'P-256' };
}

function signingAlgorithm(kind: KeyKind): webcrypto.Algorithm & { hash?: string } {
  return kind === 'rsa'
    ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
    : { name: 'ECDSA', hash: 'SHA-256' };
}

function toPem(der: ArrayBuffer, label: string): string {
  const body = Buffer.from(der)
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive INTEGER
  return Buffer.from(bytes).toString('hex');
}

/** Issues one certificate (self-signed, or signed by `options.issuer`). */
export async function issueCertificate(options: IssueOptions): Promise<Issuer> {
  const keyKind = options.keyKind ?? 'ec';
  const keys = await webcrypto.subtle.generateKey(algorithmFor(keyKind), true, ['sign', 'verify']);
  const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + 365 * DAY_MS);
  const names: x509.JsonGeneralNames = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(options.isCa === true, undefined, true),
    new x509.KeyUsagesExtension(
      options.isCa === true
        ? x509.KeyUsageFlags.keyCertSign |
            x509.KeyUsageFlags.cRLSign |
            x509.KeyUsageFlags.digitalSignature
        : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (options.isCa !== true)
    extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]));
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  if (options.issuer)
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(options.issuer.certificate));

  const subject = `CN=${options.commonName.replace(/[,=+<>#;"\\]/g, '_')}`;
  const certificate = options.issuer
    ? await x509.X509CertificateGenerator.create({
        serialNumber: randomSerial(),
        subject,
        issuer: options.issuer.certificate.subject,
        notBefore,
        notAfter,
        publicKey: keys.publicKey,
        signingKey: options.issuer.signingKey,
        signingAlgorithm: signingAlgorithm(options.issuer.keyKind),
        extensions,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: randomSerial(),
        name: subject,
        notBefore,
        notAfter,
        keys,
        signingAlgorithm: signingAlgorithm(keyKind),
        extensions,
      });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    cert: certificate.toString('pem') + '\n',
    key: toPem(pkcs8, 'PRIVATE KEY'),
    signingKey: keys.privateKey,
    certificate,
    keyKind,
  };
}

// Re-exported: certificate callers and tests name the files from here.
export { DEV_CERT_FILE, DEV_KEY_FILE };

/**
 * Returns the development certificate kept in `dataDir`, making a self-signed one (EC P-256,
 * names localhost, 127.0.0.1, ::1 and this host) on first start. Files are written
 * atomically; the key is readable by the owner only.
 */
export async function loadOrCreateDevCertificate(
  dataDir: string,
  extraNames: readonly string[] = [],
): Promise<KeyAndCert & { created: boolean }> {
  const certPath = join(dataDir, DEV_CERT_FILE);
  const keyPath = join(dataDir, DEV_KEY_FILE);
  if (existsSync(certPath) && existsSync(keyPath)) {
    const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    // A damaged, mismatched or nearly expired pair is replaced rather than failing start-up:
    // it is a development certificate, and clients pin whatever the relay reports.
    try {
      const parsed = new NodeX509(cert);
      const usable =
        new Date(parsed.validTo).getTime() > Date.now() + DAY_MS &&
        parsed.checkPrivateKey(createPrivateKey(key));
      if (usable) return { cert, key, created: false };
    } catch {
      // fall through to a new certificate
    }
  }
  await mkdir(dataDir, { recursive: true });
  const host = hostname();
  const issued = await issueCertificate({
    commonName: 'CloudBridge development relay',
    dnsNames: [...new Set(['localhost', host, ...extraNames.filter((n) => !/^[\d.:]+$/.test(n))])],
    ipAddresses: [
      ...new Set(['127.0.0.1', '::1', ...extraNames.filter((n) => /^[\d.:]+$/.test(n))]),
    ],
  });
  await writeAtomic(keyPath, issued.key, 0o600);
  await writeAtomic(certPath, issued.cert, 0o644);
  return { cert: issued.cert, key: issued.key, created: true };
}

async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode });
  await chmod(temp, mode);
  await rename(temp, path);
}

// Makes a connection link for this relay (docs/protocol.md#connection-links): pins the key of
// the certificate it serves, carries that certificate as the CA when it is self-signed (or a
// private CA the operator names), checks that the certificate names the public host, and signs
// with the relay's TLS key; with a secret, mints the token too. Pure apart from crypto; never
// logs the token or the key.

import { X509Certificate, createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { signInviteLink, spkiPinOf, type InviteContent } from '../protocol/invite-link';
import { mintDevToken } from './tokens';

export class InviteIssueError extends Error {
  override readonly name = 'InviteIssueError';
}

export interface InviteRequest {
  readonly certPem: string;
  readonly keyPem: string;
  /** A private CA to carry; a self-signed certificate is carried without being asked. */
  readonly extraCaPem: string | null;
  readonly host: string;
  readonly port: number;
  readonly serverName: string | null;
  readonly subject: string;
  readonly tenant: string | null;
  readonly ttlSec: number;
  readonly token: {
    readonly secret: string;
    readonly ttlSec: number;
    readonly issuer: string | null;
    readonly audience: string | null;
  } | null;
  readonly nowSec: number;
  /** The link's id; default 16 random bytes. */
  readonly id?: string;
}

export interface IssuedInvite {
  readonly link: string;
  readonly content: InviteContent;
}

function parseCertificate(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new InviteIssueError(`${what} is not a PEM certificate`);
  }
}

/**
 * Names itself as issuer and carries its own signature. Not checkIssued(): OpenSSL refuses a
 * certificate without keyCertSign as an issuer, and the development certificate has none.
 */
function isSelfSigned(cert: X509Certificate): boolean {
  return cert.issuer === cert.subject && cert.verify(cert.publicKey);
}

/** The certificate must name what the client checks it against, or no client gets through. */
function checkNames(cert: X509Certificate, name: string, flag: string): void {
  const ok =
    isIP(name) !== 0 ? cert.checkIP(name) !== undefined : cert.checkHost(name) !== undefined;
  if (!ok)
    throw new InviteIssueError(
      `the relay's certificate does not name ${name} (${flag}); it names ${cert.subjectAltName ?? cert.subject}. ` +
        'Pass --server-name with one of those names, or a --public-host it names',
    );
}

function privateKeyOf(pem: string, cert: X509Certificate): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new InviteIssueError("the relay's key is not a PEM private key");
  }
  if (!cert.checkPrivateKey(key))
    throw new InviteIssueError("the relay's key does not belong to its certificate");
  return key;
}

export async function issueInvite(request: InviteRequest): Promise<IssuedInvite> {
  const cert = parseCertificate(request.certPem, "the relay's certificate");
  const key = privateKeyOf(request.keyPem, cert);
  if (request.serverName !== null) checkNames(cert, request.serverName, '--server-name');
  else checkNames(cert, request.host, 'the public host');
  let caPem: string | null = null;
  if (request.extraCaPem !== null) {
    caPem = parseCertificate(request.extraCaPem, 'the CA file').toString();
  } else if (isSelfSigned(cert)) {
    caPem = cert.toString();
  }
  const token =
    request.token === null
      ? null
      : await mintDevToken({
          secret: request.token.secret,
          sub: request.subject,
          ...(request.tenant !== null ? { tenant: request.tenant } : {}),
          ttlSec: request.token.ttlSec,
          ...(request.token.issuer !== null ? { issuer: request.token.issuer } : {}),
          ...(request.token.audience !== null ? { audience: request.token.audience } : {}),
          nowSec: request.nowSec,
        });
  const content: InviteContent = {
    host: request.host,
    port: request.port,
    serverName: request.serverName,
    pinSha256: spkiPinOf(key),
    caPem,
    subject: request.subject,
    tenant: request.tenant,
    issuedAtSec: request.nowSec,
    expiresAtSec: request.nowSec + request.ttlSec,
    id: request.id ?? randomBytes(16).toString('base64url'),
    token,
  };
  return { link: await signInviteLink(content, key), content };
}

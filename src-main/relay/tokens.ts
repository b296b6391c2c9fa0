// Mints HS256 development tokens (for `cloudbridge token`, the demo and tests). The relay's
// verifier (auth.ts) is the other half; this module never logs what it mints.

import { SignJWT } from 'jose';

export interface DevTokenOptions {
  readonly secret: string;
  readonly sub: string;
  /** Written as the `tenant_id` claim. */
  readonly tenant?: string;
  readonly ttlSec: number;
  readonly issuer?: string;
  readonly audience?: string;
  /** Seconds since the epoch to count from (tests pass their clock); default now. */
  readonly nowSec?: number;
  readonly kid?: string;
}

export async function mintDevToken(options: DevTokenOptions): Promise<string> {
  const now = options.nowSec ?? Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {};
  if (options.tenant !== undefined) claims['tenant_id'] = options.tenant;
  let jwt = new SignJWT(claims)
    .setProtectedHeader(
      options.kid !== undefined
        ? { alg: 'HS256', typ: 'JWT', kid: options.kid }
        : { alg: 'HS256', typ: 'JWT' },
    )
    .setSubject(options.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + options.ttlSec);
  if (options.issuer !== undefined) jwt = jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}

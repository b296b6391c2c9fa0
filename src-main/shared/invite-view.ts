// What the window may know of a connection link waiting for the user's answer
// (docs/protocol.md#connection-links): what accepting it sets, never the link or its token.
// Part of the AppSnapshot; main owns the link itself (services/invite-links.ts). Types only.

import type { ErrorInfo } from './model';

/** The fields of the configured relay that accepting would change (services/token-binding.ts). */
export type InviteChangedField = 'host' | 'port' | 'serverName' | 'caFile' | 'pinSha256';

/** The relay configured now, which accepting replaces or updates. */
export interface InviteReplaces {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly builtin: boolean;
  /**
   * The link names this very profile (same relay and identity): its stored token stays, but
   * goes to a changed key or CA only once the user confirms.
   */
  readonly sameProfile: boolean;
  readonly changedFields: readonly InviteChangedField[];
}

export interface PendingInvite {
  /** What accept and dismiss name; new for every link handed to the app. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly serverName: string | null;
  /** Base64 SHA-256 of the relay's key: from now on only a relay presenting it is used. */
  readonly pinSha256: string;
  /** The link brings the certificate to trust (a self-signed or private-CA relay). */
  readonly hasCa: boolean;
  readonly subject: string;
  readonly tenant: string | null;
  /** ISO 8601. */
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly hasToken: boolean;
  /** ISO 8601 expiry of the carried token, when it has one. */
  readonly tokenExpiresAt: string | null;
  /** Null when no relay is configured, or accepting leaves it exactly as it is. */
  readonly replaces: InviteReplaces | null;
}

/** Why the last link handed to the app was refused, until dismissed or another arrives. */
export interface InviteProblem {
  readonly id: string;
  readonly error: ErrorInfo;
}

export interface InviteState {
  readonly pending: PendingInvite | null;
  readonly problem: InviteProblem | null;
}

export const NO_INVITE: InviteState = { pending: null, problem: null };

// The connection link waiting for the user's answer (docs/protocol.md#connection-links): links
// and .cloudbridge files handed to the app are read (bounded), verified on the injected clock
// and kept here as one pending invite, the newest winning; the window sees only what the link
// sets (shared/invite-view.ts), never the link or its token, and answers by the invite's id.
// Accepting takes the invite out (invite-requests.ts applies it); nothing here touches the
// settings, the keychain or the engine, and nothing logged names a token.

import { open } from 'node:fs/promises';
import {
  INVITE_FILE_EXTENSION,
  InviteLinkError,
  MAX_INVITE_BYTES,
  verifyInviteLink,
  type VerifiedInvite,
} from '../protocol/invite-link';
import type { RelayProfile } from '../shared/ipc-contract';
import type { Clock } from '../shared/clock';
import type { InviteReplaces, InviteState, PendingInvite } from '../shared/invite-view';
import { ServiceError, errnoCode, messageOf, toErrorInfo } from './errors';
import { inviteCaFilePath, inviteProfileId } from './invite-profile';
import type { Logger } from './logger';
import { identityChanges, relayIdentity } from './token-binding';

/** Accepted links refused when handed over again, for the app's run. */
export const MAX_REMEMBERED_INVITES = 64;

/** What the OS hands over: a link (argv, open-url) or a file path (argv, open-file). */
export type InviteInput =
  | { readonly kind: 'link'; readonly text: string }
  | { readonly kind: 'file'; readonly path: string };

export interface InviteLinksOptions {
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  readonly dataDir: string;
  /** The relay profile in the settings now, for what accepting would replace. */
  readonly settingsProfile: () => RelayProfile | null;
  /** Link or file size bound (docs/protocol.md#connection-links); default 32 KiB. */
  readonly maxBytes?: number;
  readonly readFile?: (path: string, maxBytes: number) => Promise<string>;
  /** Told about a token a link carries, for the diagnostics redaction. */
  readonly onSecret?: (token: string) => void;
  readonly onChange: () => void;
}

export interface InviteLinks {
  /** Reads and verifies what was handed over; never throws: a refusal becomes the problem. */
  receive(input: InviteInput): Promise<void>;
  view(): InviteState;
  /** Takes the pending invite with this id out; `invite_used` when there is none. */
  take(id: string): VerifiedInvite;
  /** An accepted link: handed over again, it is refused. */
  markUsed(invite: VerifiedInvite): void;
  /** Drops the pending invite or the problem with this id; false when neither has it. */
  dismiss(id: string): boolean;
}

/** Reads at most `maxBytes` (+1 to notice more) of a regular `.cloudbridge` file. */
export async function readInviteFile(path: string, maxBytes: number): Promise<string> {
  if (!path.toLowerCase().endsWith(INVITE_FILE_EXTENSION))
    throw new InviteLinkError('wrong_scheme', `only ${INVITE_FILE_EXTENSION} files are links`);
  const handle = await open(path, 'r');
  try {
    if (!(await handle.stat()).isFile())
      throw new InviteLinkError('wrong_scheme', 'a connection link is a file, not a folder');
    const buffer = Buffer.alloc(maxBytes + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > maxBytes)
      throw new InviteLinkError('too_large', `the file is larger than ${maxBytes} bytes`);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

export function createInviteLinks(options: InviteLinksOptions): InviteLinks {
  const { clock, logger } = options;
  const maxBytes = options.maxBytes ?? MAX_INVITE_BYTES;
  const readFile = options.readFile ?? readInviteFile;
  let pending: { readonly id: string; readonly invite: VerifiedInvite } | null = null;
  let problem: InviteState['problem'] = null;
  const used: string[] = [];
  let latest = 0;
  let count = 0;

  const newId = () => `inv-${(count += 1)}-${Math.floor(options.random() * 2 ** 32).toString(36)}`;

  function refusal(error: unknown): ServiceError {
    if (error instanceof ServiceError) return error;
    if (error instanceof InviteLinkError)
      return new ServiceError(
        error.code,
        `The connection link was refused: ${error.message}.`,
        error.reason,
      );
    const code = errnoCode(error);
    return new ServiceError(
      'io_error',
      'The connection link file could not be read.',
      code ?? messageOf(error),
    );
  }

  function replacesFor(invite: VerifiedInvite): InviteReplaces | null {
    const current = options.settingsProfile();
    if (current === null) return null;
    const id = inviteProfileId(invite);
    const caFile = invite.caPem === null ? null : inviteCaFilePath(options.dataDir, invite.caPem);
    const next = relayIdentity({
      ...current,
      host: invite.host,
      port: invite.port,
      serverName: invite.serverName,
      caFile,
      pinSha256: invite.pinSha256,
      insecure: false,
    });
    const was = relayIdentity(current);
    // Every difference, including a pin added where there was none (the binding lets that pass).
    const changedFields = [
      ...new Set([
        ...identityChanges(was, next),
        ...(was.pinSha256 !== next.pinSha256 ? (['pinSha256'] as const) : []),
      ]),
    ].filter((field) => field !== 'insecure');
    const sameProfile = current.id === id;
    if (sameProfile && changedFields.length === 0) return null;
    return {
      name: current.name,
      host: current.host,
      port: current.port,
      builtin: current.builtin,
      sameProfile,
      changedFields,
    };
  }

  function pendingView(entry: NonNullable<typeof pending>): PendingInvite {
    const { invite } = entry;
    return {
      id: entry.id,
      host: invite.host,
      port: invite.port,
      serverName: invite.serverName,
      pinSha256: invite.pinSha256,
      hasCa: invite.caPem !== null,
      subject: invite.subject,
      tenant: invite.tenant,
      issuedAt: iso(invite.issuedAtSec),
      expiresAt: iso(invite.expiresAtSec),
      hasToken: invite.token !== null,
      tokenExpiresAt: invite.tokenExpiresAtSec === null ? null : iso(invite.tokenExpiresAtSec),
      replaces: replacesFor(invite),
    };
  }

  return {
    async receive(input) {
      const ticket = (latest += 1);
      try {
        const text = input.kind === 'file' ? await readFile(input.path, maxBytes) : input.text;
        const invite = await verifyInviteLink(text, { nowMs: clock.now(), maxBytes });
        if (used.includes(invite.id))
          throw new ServiceError(
            'invite_used',
            'This connection link was already accepted.',
            'already_used',
          );
        // A slower read of an older hand-over never replaces a newer one.
        if (ticket !== latest) return;
        if (invite.token !== null) options.onSecret?.(invite.token);
        if (pending !== null) logger.log('info', 'invite_replaced', { relay: pending.invite.host });
        pending = { id: newId(), invite };
        problem = null;
        logger.log('info', 'invite_received', {
          relay: `${invite.host}:${invite.port}`,
          subject: invite.subject,
          tenant: invite.tenant,
          with_token: invite.token !== null,
          expires_at: iso(invite.expiresAtSec),
        });
      } catch (error) {
        if (ticket !== latest) return;
        const refused = refusal(error);
        problem = { id: newId(), error: toErrorInfo(refused, clock.now()).error };
        logger.log('warn', 'invite_refused', {
          code: refused.code,
          reason: refused.detail ?? null,
        });
      }
      options.onChange();
    },
    view: () => ({
      pending: pending === null ? null : pendingView(pending),
      problem,
    }),
    take(id) {
      if (pending === null || pending.id !== id)
        throw new ServiceError(
          'invite_used',
          'This connection link was already answered; open it again to see it.',
          'not_pending',
        );
      const { invite } = pending;
      pending = null;
      return invite;
    },
    markUsed(invite) {
      used.push(invite.id);
      if (used.length > MAX_REMEMBERED_INVITES) used.shift();
    },
    dismiss(id) {
      if (pending?.id === id) {
        logger.log('info', 'invite_dismissed', { relay: pending.invite.host });
        pending = null;
        return true;
      }
      if (problem?.id === id) {
        problem = null;
        return true;
      }
      return false;
    },
  };
}

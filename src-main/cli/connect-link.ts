// `cloudbridge connect --link`: reads a connection link, or the .cloudbridge file it names, and
// verifies it (protocol/invite-link.ts) on the caller's clock. Every refusal is a UsageError
// (exit 2) in plain words with the reason of docs/protocol.md#connection-links; the token a
// link carries never appears in one.

import {
  InviteLinkError,
  MAX_INVITE_BYTES,
  verifyInviteLink,
  type VerifiedInvite,
} from '../protocol/invite-link';
import { UsageError } from './args';

export interface LinkIo {
  readonly readTextFile: (path: string) => Promise<string>;
  readonly now: () => number;
}

/** A link itself starts with a scheme; anything else names a file (Windows paths included). */
function isLinkText(text: string): boolean {
  return /^[a-z][a-z0-9+.-]+:\/\//i.test(text.trim());
}

export async function readConnectLink(link: string, io: LinkIo): Promise<VerifiedInvite> {
  let text = link;
  if (!isLinkText(link)) {
    try {
      text = await io.readTextFile(link);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new UsageError(`--link: cannot read ${link} (${code})`);
    }
  }
  try {
    return await verifyInviteLink(text, { nowMs: io.now(), maxBytes: MAX_INVITE_BYTES });
  } catch (error) {
    if (error instanceof InviteLinkError)
      throw new UsageError(`--link: ${error.message} (${error.code}: ${error.reason})`);
    throw error;
  }
}

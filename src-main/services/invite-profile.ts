// The relay profile a connection link names (docs/protocol.md#connection-links): its id, from
// host, port, tenant and subject, so a link for another relay or identity is another profile
// and never receives a token stored for this one; the CA file it brings, named by its content,
// so another CA is another path and the token binding sees the change; and the profile itself.
// Pure apart from writing the CA file.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { VerifiedInvite } from '../protocol/invite-link';
import type { RelayProfile } from '../shared/ipc-contract';
import { writeTextAtomic, type StoreFs } from './atomic-json';

/** Under the data dir: the CA certificates links brought. */
export const INVITE_CA_DIR = 'relay-ca';
export const INVITE_PROFILE_PREFIX = 'link-';

type InviteTarget = Pick<VerifiedInvite, 'host' | 'port' | 'tenant' | 'subject'>;

function normaliseHost(host: string): string {
  const h = host.trim().toLowerCase();
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

function digest(text: string, chars: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, chars);
}

export function inviteProfileId(invite: InviteTarget): string {
  const key = [normaliseHost(invite.host), invite.port, invite.tenant ?? '', invite.subject];
  return `${INVITE_PROFILE_PREFIX}${digest(JSON.stringify(key), 16)}`;
}

/** Named by content: the same CA is the same file, whichever profile brought it. */
export function inviteCaFilePath(dataDir: string, caPem: string): string {
  return join(dataDir, INVITE_CA_DIR, `${digest(caPem, 24)}.pem`);
}

/** Writes the link's CA where inviteCaFilePath says. */
export async function writeInviteCaFile(
  fs: StoreFs,
  dataDir: string,
  caPem: string,
): Promise<string> {
  const path = inviteCaFilePath(dataDir, caPem);
  await fs.mkdir(join(dataDir, INVITE_CA_DIR));
  await writeTextAtomic(fs, path, caPem);
  return path;
}

/**
 * The profile accepting sets. One the user already has for the same relay and identity keeps
 * its name and opener (learned or chosen); everything that decides who receives the token
 * comes from the link.
 */
export function inviteProfile(
  invite: VerifiedInvite,
  caFile: string | null,
  existing: RelayProfile | null,
): RelayProfile {
  const id = inviteProfileId(invite);
  const same = existing !== null && existing.id === id ? existing : null;
  return {
    id,
    name: same?.name ?? invite.host,
    host: invite.host,
    port: invite.port,
    caFile,
    pinSha256: invite.pinSha256,
    serverName: invite.serverName,
    insecure: false,
    opener: same?.opener ?? 'auto',
    builtin: false,
  };
}

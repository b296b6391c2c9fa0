// How a connection link reaches the app from the OS (docs/protocol.md#connection-links): found
// in a command line (the first instance's own, or a second instance's handed over on Windows
// and Linux) as a `cloudbridge:` link, a `.cloudbridge` path or a file:// URL of one; and held
// until the services have started. Plain Node: the Electron events are wired in
// electron/app-lifecycle.ts. Reads no file; the services verify what it passes on.

import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INVITE_FILE_EXTENSION } from '../protocol/invite-link';
import type { InviteInput } from './invite-links';

const LINK_SCHEME = /^cloudbridge:/i;

/**
 * The connection link in a command line, if any: the last argument that is one (the OS adds a
 * single `%1`/`%U`; Chromium's own switches and the executable are skipped). A path is made
 * absolute against the directory the instance was started in.
 */
export function inviteInputFromArgv(argv: readonly string[], cwd: string): InviteInput | null {
  for (const text of [...argv.slice(1)].reverse()) {
    if (LINK_SCHEME.test(text)) return { kind: 'link', text };
    if (/^file:\/\//i.test(text) && text.toLowerCase().endsWith(INVITE_FILE_EXTENSION)) {
      try {
        return { kind: 'file', path: fileURLToPath(text) };
      } catch {
        continue;
      }
    }
    if (!text.startsWith('-') && text.toLowerCase().endsWith(INVITE_FILE_EXTENSION))
      return { kind: 'file', path: isAbsolute(text) ? text : resolve(cwd, text) };
  }
  return null;
}

export interface InviteInbox {
  /** A hand-over: delivered at once once attached, else kept (the newest only) until then. */
  push(input: InviteInput): void;
  /** The services are up: what was kept goes now, everything later at once. */
  attach(deliver: (input: InviteInput) => void): void;
}

/**
 * Links can arrive before the services exist (macOS sends open-url before `ready`, and the
 * first instance's own argv is read at once). Only the newest is kept, like the one pending
 * invite it becomes.
 */
export function createInviteInbox(): InviteInbox {
  let kept: InviteInput | null = null;
  let deliver: ((input: InviteInput) => void) | null = null;
  return {
    push(input) {
      if (deliver !== null) deliver(input);
      else kept = input;
    },
    attach(next) {
      deliver = next;
      const first = kept;
      kept = null;
      if (first !== null) next(first);
    },
  };
}

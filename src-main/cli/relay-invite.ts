// `cloudbridge-relay invite`: parses its command line (relay/invite-config.ts), issues the link
// (relay/invite-issuer.ts), prints it alone on stdout, writes the .cloudbridge file (0600 when
// it carries a token) and says on stderr what the link sets. Exit codes: 0 done, 1 the file
// could not be written, 2 bad arguments. Takes its I/O as options so tests drive it directly.

import { ConfigError } from '../relay/config';
import { INVITE_USAGE, parseInviteArgs } from '../relay/invite-config';
import { InviteIssueError, issueInvite } from '../relay/invite-issuer';
import { inviteFileText } from '../protocol/invite-link';

export interface RelayInviteIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly nowMs: () => number;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly writeFile: (path: string, text: string, mode: number) => Promise<void>;
}

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

export async function runRelayInvite(argv: readonly string[], io: RelayInviteIo): Promise<number> {
  let config;
  try {
    config = parseInviteArgs(argv, io.env, io.cwd);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(`cloudbridge-relay invite: ${error.message}\n\n${INVITE_USAGE}`);
    return EXIT_USAGE;
  }
  if (config.help) {
    io.out(INVITE_USAGE);
    return EXIT_OK;
  }
  for (const warning of config.warnings) io.err(`cloudbridge-relay: warning: ${warning}\n`);
  let issued;
  try {
    issued = await issueInvite({ ...config, nowSec: Math.floor(io.nowMs() / 1000) });
  } catch (error) {
    if (!(error instanceof InviteIssueError)) throw error;
    io.err(`cloudbridge-relay invite: ${error.message}\n`);
    return EXIT_USAGE;
  }
  const { link, content } = issued;
  const mode = content.token === null ? 0o644 : 0o600;
  try {
    await io.writeFile(config.outPath, inviteFileText(link), mode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    io.err(`cloudbridge-relay invite: cannot write ${config.outPath}: ${code}\n`);
    return EXIT_FAILURE;
  }
  io.out(`${link}\n`);
  const who =
    content.tenant === null ? content.subject : `${content.subject} (tenant ${content.tenant})`;
  const relay = `${content.host.includes(':') ? `[${content.host}]` : content.host}:${content.port}`;
  io.err(
    [
      `cloudbridge-relay invite: a link for ${who} to ${relay}` +
        `${content.serverName === null ? '' : ` (server name ${content.serverName})`}, ` +
        `key sha256/${content.pinSha256}${content.caPem === null ? '' : ', with its CA certificate'}`,
      `  valid until ${new Date(content.expiresAtSec * 1000).toISOString()}; written to ${config.outPath} (mode ${mode.toString(8)})`,
      content.token === null
        ? '  it carries no token: the user signs in with one of their own'
        : `  it carries a token: hand it to ${content.subject} only, over a private channel`,
      '',
    ].join('\n'),
  );
  return EXIT_OK;
}

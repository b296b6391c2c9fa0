// Command-line parsing for `cloudbridge`: turns argv into a typed command or a UsageError
// (exit code 2). Pure: no I/O, no process access; reading files and the environment is the
// caller's job, so every rule here has a unit test without a filesystem.

import type { OpenerMode } from '../engine/types';
import { MAX_ALLOWED_SUBS, MAX_SERVER_PORTS } from '../protocol/server-messages';
import {
  one,
  parseHost,
  parseHostPort,
  parsePin,
  parsePort,
  parseServerName,
  readFlags,
  UsageError,
  type FlagKind,
  type HostPort,
} from './arg-values';

export { parseHostPort, parsePin, parsePort, parseServerName, UsageError, type HostPort };

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_AUTH_REFUSED = 3;
export const EXIT_GAVE_UP = 4;
/**
 * The relay refused what was asked and no retry changes it: a published name that is taken, a
 * field it refuses, a limit, or (connect) every tunnel refused (a port the server does not
 * publish, a server this identity may not reach, a server whose key changed).
 */
export const EXIT_REFUSED = 5;

export interface TunnelSpec {
  readonly localPort: number;
  readonly remoteHost: string;
  readonly remotePort: number;
  /** `LOCAL:@name:PORT`: a published server (docs/protocol.md#reaching-a-published-server). */
  readonly server?: string;
}

/** How to reach the relay: the flags `connect`, `serve` and `servers` share. */
export interface RelayArgs {
  /** Null with --link, which names the relay itself. */
  readonly relay: HostPort | null;
  /** A `cloudbridge://invite/...` link or a .cloudbridge file (docs/protocol.md#connection-links). */
  readonly link: string | null;
  readonly caFile: string | null;
  readonly serverName: string | null;
  readonly pinSha256: string | null;
  readonly insecure: boolean;
  readonly opener: OpenerMode;
  /** null: the token comes from the link or CLOUDBRIDGE_TOKEN. */
  readonly tokenFile: string | null;
  readonly json: boolean;
  readonly stateFile: string | null;
}

/** One `--port`: the published port, and where this computer dials for it. */
export interface ServePort {
  readonly port: number;
  readonly targetHost: string | null;
  readonly targetPort: number | null;
}

export interface ServeArgs extends RelayArgs {
  readonly name: string;
  readonly ports: readonly ServePort[];
  /** null: the whole tenant. */
  readonly allowSubs: readonly string[] | null;
  /** The computer's key (PKCS#8 PEM, mode 0600); null: the default place. */
  readonly keyFile: string | null;
  /** Publish without the end-to-end layer (`--no-key`). */
  readonly keyless: boolean;
  /** Consumers' streams carried at once; null: the engine's default (256). */
  readonly maxStreams: number | null;
}

export type ServersArgs = RelayArgs;

export interface ConnectArgs extends RelayArgs {
  readonly allowDirect: boolean;
  readonly tunnels: readonly TunnelSpec[];
  readonly bind: string;
}

export interface TokenArgs {
  /** The secret itself (from --secret or CLOUDBRIDGE_JWT_SECRET); null when it is in a file. */
  readonly secret: string | null;
  /** File holding the secret (--secret-file or CLOUDBRIDGE_JWT_SECRET_FILE). */
  readonly secretFile: string | null;
  readonly subject: string;
  readonly tenant: string | null;
  readonly ttlSeconds: number;
  /** Write the token here (mode 0600) instead of stdout. */
  readonly out: string | null;
  /** Printed on stderr: things that work but leak (a secret on the command line). */
  readonly warnings: readonly string[];
}

export type CliCommand =
  | { readonly kind: 'connect'; readonly args: ConnectArgs }
  | { readonly kind: 'token'; readonly args: TokenArgs }
  | { readonly kind: 'serve'; readonly args: ServeArgs }
  | { readonly kind: 'servers'; readonly args: ServersArgs }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' };

export const USAGE = `Usage:
  cloudbridge connect --relay HOST:PORT --token-file FILE --tunnel LOCAL_PORT:REMOTE_HOST:REMOTE_PORT [...]
                      [--ca FILE] [--servername NAME] [--pin SHA256] [--insecure]
                      [--opener auto|client|server] [--allow-direct] [--bind 127.0.0.1]
                      [--json] [--state-file FILE]
  cloudbridge connect --link URL|FILE --tunnel LOCAL_PORT:REMOTE_HOST:REMOTE_PORT [...] [options]
      The token may come from the environment variable CLOUDBRIDGE_TOKEN instead of --token-file.
      --link takes a connection link (cloudbridge://invite/...) or a .cloudbridge file from
      \`cloudbridge-relay invite\`: the relay, its pinned key, its CA and the token it carries.
      --token-file wins over the link's token, which wins over CLOUDBRIDGE_TOKEN.
      --tunnel may be given several times. LOCAL_PORT:@NAME:PORT reaches the published server
      NAME of your tenant (see serve), end to end when it registered a key.
  cloudbridge serve --relay HOST:PORT --token-file FILE --name NAME --port PORT [--port PORT ...]
                    [--allow-sub SUB ...] [--key-file FILE | --no-key] [--max-streams 256]
                    [relay options as for connect]
      Publishes this computer as NAME: clients of your tenant reach NAME:PORT through the relay,
      and this computer dials its own 127.0.0.1:PORT (--port PORT=HOST:TARGET dials HOST:TARGET).
      --allow-sub limits it to those identities (default: the whole tenant). Streams are TLS 1.3
      end to end with this computer's key, made on first use in --key-file (mode 600; default
      $XDG_CONFIG_HOME/cloudbridge/server-key.pem); --no-key publishes without that layer.
      --max-streams caps the connections this computer carries at once (default 256, also the
      most the relay carries to one server); lower it to spare a small machine.
  cloudbridge servers --relay HOST:PORT --token-file FILE [--json] [relay options as for connect]
      Lists the published servers of your tenant that this token may reach.
  cloudbridge token --sub NAME [--tenant TENANT] [--ttl 1h] [--out FILE]
                    [--secret-file FILE | --secret SECRET]
      Mints a development token signed with the relay's secret, read from CLOUDBRIDGE_JWT_SECRET,
      CLOUDBRIDGE_JWT_SECRET_FILE or --secret-file (--secret shows it in ps). Printed on stdout,
      or written to --out FILE readable by you only.
  cloudbridge --help | --version

Exit codes: 0 closed cleanly, 1 failure, 2 bad arguments, 3 authentication refused,
4 gave up reconnecting or refused the relay's TLS identity, 5 the relay refused the published
name or every tunnel (a name that is taken, a port not published, not allowed, a changed key,
over a limit).`;

const DEFAULT_TTL_SECONDS = 3600;
const MAX_TTL_SECONDS = 366 * 24 * 3600;
/** A relay's default longest token lifetime (relay/auth.ts DEFAULT_MAX_TOKEN_LIFETIME_SEC). */
const RELAY_DEFAULT_MAX_LIFETIME_SECONDS = 30 * 24 * 3600;

/**
 * `LOCAL_PORT:REMOTE_HOST:REMOTE_PORT`, remote host may be `[v6]`; `LOCAL_PORT:@NAME:PORT`
 * names a published server (`@` cannot begin a host name).
 */
export function parseTunnelSpec(text: string): TunnelSpec {
  const match = /^(\d+):(\[[^\]]+\]|[^:]+):(\d+)$/.exec(text);
  if (!match?.[1] || !match[2] || !match[3]) {
    throw new UsageError(`--tunnel: expected LOCAL_PORT:REMOTE_HOST:REMOTE_PORT, got "${text}"`);
  }
  const server = match[2].startsWith('@')
    ? parseServerName(match[2].slice(1), '--tunnel server')
    : null;
  return {
    localPort: parsePort(match[1], '--tunnel local port'),
    remoteHost: server !== null ? match[2] : parseHost(match[2], '--tunnel remote host'),
    remotePort: parsePort(match[3], '--tunnel remote port'),
    ...(server !== null ? { server } : {}),
  };
}

/** `PORT`, or `PORT=HOST:TARGET_PORT` for a service elsewhere than 127.0.0.1:PORT. */
export function parseServePort(text: string): ServePort {
  const eq = text.indexOf('=');
  if (eq === -1) return { port: parsePort(text, '--port'), targetHost: null, targetPort: null };
  const target = parseHostPort(text.slice(eq + 1), '--port target');
  return {
    port: parsePort(text.slice(0, eq), '--port'),
    targetHost: target.host,
    targetPort: target.port,
  };
}

/** `90`, `90s`, `30m`, `1h`, `2d` -> seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match?.[1])
    throw new UsageError(`--ttl: "${text}" is not a duration (e.g. 90s, 30m, 1h, 2d)`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] ?? ''] ?? 1;
  const seconds = Number(match[1]) * unit;
  if (seconds < 1 || seconds > MAX_TTL_SECONDS)
    throw new UsageError(`--ttl: ${text} is outside 1s-366d`);
  return seconds;
}

const RELAY_FLAGS: Readonly<Record<string, FlagKind>> = {
  relay: 'value',
  link: 'value',
  ca: 'value',
  servername: 'value',
  pin: 'value',
  insecure: 'switch',
  opener: 'value',
  'token-file': 'value',
  json: 'switch',
  'state-file': 'value',
};

/** The relay, its trust and the token source, for every command that talks to a relay. */
function parseRelayArgs(
  flags: Map<string, string[]>,
  env: Readonly<Record<string, string | undefined>>,
): RelayArgs {
  const relayText = one(flags, 'relay');
  const link = one(flags, 'link');
  if (link !== null) {
    const clash = ['relay', 'ca', 'servername', 'pin', 'insecure'].filter((f) => flags.has(f));
    if (clash.length > 0)
      throw new UsageError(
        `--link sets the relay, its CA, pin and server name: leave out ${clash.map((f) => `--${f}`).join(', ')}`,
      );
  } else if (relayText === null) {
    throw new UsageError('--relay HOST:PORT (or --link URL|FILE) is required');
  }
  const tokenFile = one(flags, 'token-file');
  const envToken = env['CLOUDBRIDGE_TOKEN'];
  // A link may carry the token; whether it does is known once it is read (connect-link.ts).
  if (link === null && tokenFile === null && (envToken === undefined || envToken.trim() === '')) {
    throw new UsageError(
      'a token is required: --token-file FILE or the environment variable CLOUDBRIDGE_TOKEN',
    );
  }
  const opener = one(flags, 'opener') ?? 'auto';
  if (opener !== 'auto' && opener !== 'client' && opener !== 'server') {
    throw new UsageError(`--opener: expected auto, client or server, got "${opener}"`);
  }
  const insecure = flags.has('insecure');
  const caFile = one(flags, 'ca');
  const pin = one(flags, 'pin');
  if (insecure && (caFile !== null || pin !== null)) {
    throw new UsageError('--insecure (plaintext) cannot be combined with --ca or --pin');
  }
  return {
    relay: relayText === null ? null : parseHostPort(relayText, '--relay'),
    link,
    caFile,
    serverName: one(flags, 'servername'),
    pinSha256: pin === null ? null : parsePin(pin),
    insecure,
    opener,
    tokenFile,
    json: flags.has('json'),
    stateFile: one(flags, 'state-file'),
  };
}

function parseServe(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ServeArgs {
  const flags = readFlags(argv, {
    ...RELAY_FLAGS,
    name: 'value',
    port: 'repeat',
    'allow-sub': 'repeat',
    'key-file': 'value',
    'no-key': 'switch',
    'max-streams': 'value',
  });
  const relay = parseRelayArgs(flags, env);
  const nameText = one(flags, 'name');
  if (nameText === null) throw new UsageError('--name NAME is required (the name clients reach)');
  const name = parseServerName(nameText, '--name');
  const portTexts = flags.get('port') ?? [];
  if (portTexts.length === 0) throw new UsageError('at least one --port PORT is required');
  if (portTexts.length > MAX_SERVER_PORTS)
    throw new UsageError(`--port: at most ${MAX_SERVER_PORTS} ports can be published`);
  const ports = portTexts.map(parseServePort);
  if (new Set(ports.map((p) => p.port)).size !== ports.length)
    throw new UsageError('--port: a port is given twice');
  const subs = flags.get('allow-sub') ?? [];
  if (subs.length > MAX_ALLOWED_SUBS)
    throw new UsageError(`--allow-sub: at most ${MAX_ALLOWED_SUBS} identities`);
  if (subs.some((sub) => sub.length === 0 || sub.length > 256))
    throw new UsageError('--allow-sub: an identity is 1-256 characters');
  const keyless = flags.has('no-key');
  const keyFile = one(flags, 'key-file');
  if (keyless && keyFile !== null)
    throw new UsageError('--no-key publishes without a key: leave out --key-file');
  const maxText = one(flags, 'max-streams');
  if (maxText !== null && !/^[1-9]\d{0,5}$/.test(maxText))
    throw new UsageError(`--max-streams: "${maxText}" is not a count from 1 to 999999`);
  return {
    ...relay,
    name,
    ports,
    allowSubs: subs.length === 0 ? null : [...new Set(subs)],
    keyFile,
    keyless,
    maxStreams: maxText === null ? null : Number(maxText),
  };
}

function parseConnect(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ConnectArgs {
  const flags = readFlags(argv, {
    ...RELAY_FLAGS,
    'allow-direct': 'switch',
    tunnel: 'repeat',
    bind: 'value',
  });
  const relay = parseRelayArgs(flags, env);
  const tunnelTexts = flags.get('tunnel') ?? [];
  if (tunnelTexts.length === 0)
    throw new UsageError('at least one --tunnel LOCAL_PORT:REMOTE_HOST:REMOTE_PORT is required');
  const tunnels = tunnelTexts.map(parseTunnelSpec);
  const seen = new Set<number>();
  for (const tunnel of tunnels) {
    if (seen.has(tunnel.localPort))
      throw new UsageError(`--tunnel: local port ${tunnel.localPort} is used twice`);
    seen.add(tunnel.localPort);
  }
  return {
    ...relay,
    allowDirect: flags.has('allow-direct'),
    tunnels,
    bind: parseHost(one(flags, 'bind') ?? '127.0.0.1', '--bind'),
  };
}

function parseToken(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): TokenArgs {
  const flags = readFlags(argv, {
    secret: 'value',
    'secret-file': 'value',
    sub: 'value',
    tenant: 'value',
    ttl: 'value',
    out: 'value',
  });
  const warnings: string[] = [];
  const flagSecret = one(flags, 'secret');
  const flagFile = one(flags, 'secret-file');
  if (flagSecret !== null && flagFile !== null)
    throw new UsageError('--secret and --secret-file exclude each other');
  if (flagSecret !== null)
    warnings.push(
      '--secret shows the secret to every user of this machine (ps); use CLOUDBRIDGE_JWT_SECRET or --secret-file',
    );
  // The relay reads the same variables; they keep the secret out of `ps` and shell history.
  const envSecret = env['CLOUDBRIDGE_JWT_SECRET'];
  const secret = flagFile !== null ? null : (flagSecret ?? (envSecret ? envSecret : null));
  const secretFile =
    flagFile ?? (secret === null ? (env['CLOUDBRIDGE_JWT_SECRET_FILE'] ?? null) : null);
  if ((secret === null || secret.length === 0) && (secretFile === null || secretFile === '')) {
    throw new UsageError(
      'a secret is required: CLOUDBRIDGE_JWT_SECRET, CLOUDBRIDGE_JWT_SECRET_FILE or --secret-file FILE',
    );
  }
  const subject = one(flags, 'sub');
  if (subject === null || subject.length === 0) throw new UsageError('--sub NAME is required');
  const ttl = one(flags, 'ttl');
  const ttlSeconds = ttl === null ? DEFAULT_TTL_SECONDS : parseDuration(ttl);
  if (ttlSeconds > RELAY_DEFAULT_MAX_LIFETIME_SECONDS)
    warnings.push(
      `--ttl ${ttl ?? ''}: a relay refuses tokens that live longer than 30 days unless its --max-token-lifetime allows them`,
    );
  return {
    secret,
    secretFile,
    subject,
    tenant: one(flags, 'tenant'),
    ttlSeconds,
    out: one(flags, 'out'),
    warnings,
  };
}

/** argv without `node script`. Throws UsageError for anything it does not accept. */
export function parseCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliCommand {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      throw new UsageError('no command given');
    case '--help':
    case '-h':
    case 'help':
      return { kind: 'help' };
    case '--version':
      return { kind: 'version' };
    case 'connect':
      return { kind: 'connect', args: parseConnect(rest, env) };
    case 'token':
      return { kind: 'token', args: parseToken(rest, env) };
    case 'serve':
      return { kind: 'serve', args: parseServe(rest, env) };
    case 'servers':
      return { kind: 'servers', args: parseRelayArgs(readFlags(rest, RELAY_FLAGS), env) };
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

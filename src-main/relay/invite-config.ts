// `cloudbridge-relay invite`'s command line: its own flags, and the relay's flags and config file
// (config.ts) for the certificate, key, data dir and JWT options, so the link pins the key the
// relay serves and its token passes the relay's checks. Reads those files; starts nothing and
// never creates a certificate (a relay that has not made its development certificate yet
// has nothing to pin).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSeconds, JwtConfigError } from './config-jwt';
import { ConfigError, parseHostPort, parseRelayArgs } from './config';
import { DEFAULT_MAX_TOKEN_LIFETIME_SEC } from './auth';
import { DEV_CERT_FILE, DEV_KEY_FILE } from './dev-cert-files';
import { MAX_INVITE_LIFETIME_SEC } from '../protocol/invite-link';

export const DEFAULT_INVITE_TTL_SEC = 7 * 86_400;

export const INVITE_USAGE = `Usage: cloudbridge-relay invite --sub NAME [options] [the relay's own options]

Prints a connection link (docs/protocol.md#connection-links) and writes it to a .cloudbridge
file. Run it where the relay's key and secret are, with the relay's --config, --cert/--key or
--data-dir and JWT options: the link pins the key the relay serves, and a token in it passes
the relay's checks. The relay need not be running; nothing is started.

  --sub NAME                who the link is for (the token's "sub")
  --tenant T                their tenant (the token's "tenant_id")
  --ttl D                   how long the link can be opened, e.g. 2d (default 7d, at most 30d)
  --with-token              put a token for NAME in the link: the link is then a secret
  --token-ttl D             that token's lifetime (default and most: the relay's
                            --max-token-lifetime, 30d; at least --ttl)
  --public-host HOST:PORT   where clients reach the relay (default: --listen, unless that is
                            a wildcard address or port 0)
  --server-name NAME        TLS server name when it differs from the public host
  --ca FILE                 a private CA the relay's certificate chains to, for the link to
                            carry (a self-signed certificate is carried by itself)
  --out FILE                the .cloudbridge file (default ./NAME.cloudbridge; mode 600 with
                            a token)
  --help                    this text
`;

export interface InviteCliConfig {
  readonly help: boolean;
  readonly subject: string;
  readonly tenant: string | null;
  readonly ttlSec: number;
  /** Null without --with-token. */
  readonly token: {
    readonly secret: string;
    readonly ttlSec: number;
    readonly issuer: string | null;
    readonly audience: string | null;
  } | null;
  readonly host: string;
  readonly port: number;
  readonly serverName: string | null;
  readonly certPem: string;
  readonly keyPem: string;
  readonly extraCaPem: string | null;
  readonly outPath: string;
  readonly warnings: readonly string[];
}

const VALUE_FLAGS = new Set([
  'sub',
  'tenant',
  'ttl',
  'token-ttl',
  'public-host',
  'server-name',
  'ca',
  'out',
]);

/** Splits argv into the invite's own flags and the rest, which are the relay's. */
function splitArgs(argv: readonly string[]): {
  own: Map<string, string>;
  relay: string[];
} {
  const own = new Map<string, string>();
  const relay: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? arg.slice(2, eq === -1 ? undefined : eq) : '';
    if (name === 'with-token' || name === 'help') {
      if (eq !== -1) throw new ConfigError(`--${name} takes no value`);
      own.set(name, 'true');
    } else if (VALUE_FLAGS.has(name)) {
      const value = eq !== -1 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq === -1 && value.startsWith('--')))
        throw new ConfigError(`--${name} needs a value`);
      if (own.has(name)) throw new ConfigError(`--${name} given more than once`);
      own.set(name, value);
    } else {
      relay.push(arg);
    }
  }
  return { own, relay };
}

function duration(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  try {
    return parseSeconds(text, flag);
  } catch (error) {
    if (error instanceof JwtConfigError) throw new ConfigError(error.message);
    throw error;
  }
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/**
 * The relay's options for the invite's purposes. Its --listen is needed only as the default
 * public address: a command line that fails is parsed again with a stand-in listen address,
 * and if that parses, the listen address was all that was missing.
 */
function relayConfig(
  relayArgs: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
) {
  try {
    return { config: parseRelayArgs(relayArgs, env), listenKnown: true };
  } catch (error) {
    const listenGiven = relayArgs.some((arg) => arg === '--listen' || arg.startsWith('--listen='));
    if (!(error instanceof ConfigError) || listenGiven) throw error;
    // A second failure is past the listen check, so it names the real problem.
    return {
      config: parseRelayArgs([...relayArgs, '--listen', '0.0.0.0:0'], env),
      listenKnown: false,
    };
  }
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

export function parseInviteArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): InviteCliConfig | { readonly help: true } {
  const { own, relay } = splitArgs(argv);
  if (own.has('help')) return { help: true };
  const subject = own.get('sub');
  if (subject === undefined || subject.trim() === '')
    throw new ConfigError('--sub NAME is required');
  const { config, listenKnown } = relayConfig(relay, env);
  const options = config.options;
  if (options.insecure === true)
    throw new ConfigError('a plaintext relay (--insecure) has no TLS key to pin: links need TLS');

  const publicText = own.get('public-host');
  let address: { host: string; port: number };
  if (publicText !== undefined) {
    address = parseHostPort(publicText, '--public-host');
    if (address.port === 0) throw new ConfigError('--public-host needs a port other than 0');
  } else if (
    listenKnown &&
    options.host !== undefined &&
    !WILDCARDS.has(options.host) &&
    options.port !== undefined &&
    options.port !== 0
  ) {
    address = { host: options.host, port: options.port };
  } else {
    throw new ConfigError(
      '--public-host HOST:PORT is required: the address the relay listens on is not one clients can dial',
    );
  }

  let certPem: string;
  let keyPem: string;
  if (options.tls) {
    ({ cert: certPem, key: keyPem } = options.tls);
  } else if (options.dataDir !== undefined) {
    certPem = readText(join(options.dataDir, DEV_CERT_FILE), 'the development certificate');
    keyPem = readText(join(options.dataDir, DEV_KEY_FILE), 'the development key');
  } else {
    throw new ConfigError(
      'the relay keeps no certificate to pin: give its --cert and --key, or its --data-dir',
    );
  }

  const ttlSec = duration(own.get('ttl'), '--ttl', DEFAULT_INVITE_TTL_SEC);
  if (ttlSec > MAX_INVITE_LIFETIME_SEC)
    throw new ConfigError(`--ttl: a link lives at most ${MAX_INVITE_LIFETIME_SEC / 86_400} days`);
  const maxTokenSec = options.jwt.maxLifetimeSec ?? DEFAULT_MAX_TOKEN_LIFETIME_SEC;
  let token: InviteCliConfig['token'] = null;
  if (own.has('with-token')) {
    const secret = options.jwt.hs256Secret;
    if (secret === undefined)
      throw new ConfigError(
        'this relay has no HS256 secret to sign a token with (it verifies with a JWKS): leave out --with-token and hand out tokens your own way',
      );
    const tokenTtl = duration(own.get('token-ttl'), '--token-ttl', maxTokenSec);
    if (tokenTtl > maxTokenSec)
      throw new ConfigError(
        `--token-ttl: the relay refuses tokens that live longer than ${maxTokenSec} s (--max-token-lifetime)`,
      );
    if (tokenTtl < ttlSec)
      throw new ConfigError(
        '--token-ttl must be at least --ttl: the token would expire before the link',
      );
    const audience: string | readonly string[] | undefined = options.jwt.audience;
    token = {
      secret,
      ttlSec: tokenTtl,
      issuer: options.jwt.issuer ?? null,
      audience: (typeof audience === 'string' ? audience : audience?.[0]) ?? null,
    };
  } else if (own.has('token-ttl')) {
    throw new ConfigError('--token-ttl goes with --with-token');
  }

  const caPath = own.get('ca');
  const safeName = subject.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return {
    help: false,
    subject,
    tenant: own.get('tenant') ?? null,
    ttlSec,
    token,
    host: address.host,
    port: address.port,
    serverName: own.get('server-name') ?? null,
    certPem,
    keyPem,
    extraCaPem: caPath === undefined ? null : readText(caPath, 'the CA file'),
    outPath: own.get('out') ?? join(cwd, `${safeName}.cloudbridge`),
    warnings: config.warnings,
  };
}

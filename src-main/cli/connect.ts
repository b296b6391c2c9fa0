// `cloudbridge connect`: builds the engine options from parsed arguments or a connection link
// (connect-link.ts), prints state and counter lines, and turns the engine's end state into an
// exit code (3 auth refused, 4 gave up reconnecting, 5 every tunnel refused, 0 after a clean
// close on a signal). Takes the engine factory and process I/O as options so tests drive it
// without a real process. Also runs the engine for `serve` (serve.ts). Never prints the token.

import type { EngineSnapshot, TunnelConfig, TunnelKind } from '../shared/model';
import type { Engine, EngineOptions, RelayEndpoint } from '../engine/types';
import {
  EXIT_AUTH_REFUSED,
  EXIT_FAILURE,
  EXIT_GAVE_UP,
  EXIT_OK,
  EXIT_REFUSED,
  UsageError,
  type ConnectArgs,
  type RelayArgs,
  type TunnelSpec,
} from './args';
import { readConnectLink } from './connect-link';
import { Reporter } from './format';
import { createFileStatePersistence } from './state-file';
import { isCredentialRefusal } from '../shared/error-codes';

const CLOSE_TIMEOUT_MS = 5_000;

export interface ConnectIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readTextFile: (path: string) => Promise<string>;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Registers a handler for SIGINT/SIGTERM; returns an unsubscribe. */
  readonly onSignal: (handler: (signal: string) => void) => () => void;
  readonly now: () => number;
  readonly createEngine: (options: EngineOptions) => Engine;
}

function kindFor(remotePort: number): TunnelKind {
  if (remotePort === 22) return 'ssh';
  if (remotePort === 3389) return 'rdp';
  return 'other';
}

/** The tunnel id is derived from the local port, so it stays the same across runs (docs/protocol.md#reconnect). */
export function tunnelConfigFor(spec: TunnelSpec, bind: string): TunnelConfig {
  const id = `t-${spec.localPort}`;
  return {
    id,
    name: id,
    kind: kindFor(spec.remotePort),
    localHost: bind,
    localPort: spec.localPort,
    remoteHost: spec.remoteHost,
    remotePort: spec.remotePort,
    enabled: true,
    ...(spec.server !== undefined ? { server: spec.server } : {}),
  };
}

/** Codes with which a relay refuses a tunnel for good: asking again gets the same answer. */
const TUNNEL_REFUSALS: ReadonlySet<string> = new Set([
  'invalid_tunnel_info',
  'tunnel_exists',
  'ip_not_allowed',
  'tenant_limit_exceeded',
  'tls_pin_mismatch',
]);

/** Exit 5 once every tunnel is refused for good: nothing is left for the CLI to carry. */
export function refusedTunnels(snapshot: EngineSnapshot): { code: number; message: string } | null {
  if (snapshot.state !== 'active' || snapshot.tunnels.length === 0) return null;
  const refused = snapshot.tunnels.filter(
    (t) => t.status === 'error' && t.error !== null && TUNNEL_REFUSALS.has(t.error.code),
  );
  if (refused.length !== snapshot.tunnels.length) return null;
  const reasons = refused.map((t) => {
    const where =
      t.server !== undefined ? `@${t.server}:${t.remotePort}` : `${t.remoteHost}:${t.remotePort}`;
    const detail = t.error?.detail !== undefined ? ` (${t.error.detail})` : '';
    return `tunnel ${t.id} to ${where} refused: ${t.error?.code}: ${t.error?.message ?? ''}${detail}`;
  });
  return { code: EXIT_REFUSED, message: `cloudbridge: ${reasons.join('; ')}` };
}

/** Replaces every occurrence of a secret, should any layer ever echo it. */
function redactor(secrets: readonly string[]): (text: string) => string {
  const live = secrets.filter((s) => s.length >= 8);
  return (text) => live.reduce((acc, secret) => acc.split(secret).join('[redacted]'), text);
}

export async function readToken(
  args: RelayArgs,
  io: ConnectIo,
  linkToken: string | null,
): Promise<string> {
  let token: string;
  if (args.tokenFile !== null) {
    try {
      token = (await io.readTextFile(args.tokenFile)).trim();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new UsageError(`--token-file: cannot read ${args.tokenFile} (${code})`);
    }
  } else if (linkToken !== null) {
    token = linkToken;
  } else {
    token = (io.env['CLOUDBRIDGE_TOKEN'] ?? '').trim();
    if (token.length === 0 && args.link !== null)
      throw new UsageError(
        'the link carries no token: give one with --token-file FILE or CLOUDBRIDGE_TOKEN',
      );
  }
  if (token.length === 0) throw new UsageError('the token is empty');
  if (/\s/.test(token)) throw new UsageError('the token contains white space; expected one JWT');
  return token;
}

async function readCa(args: RelayArgs, io: ConnectIo): Promise<string | undefined> {
  if (args.caFile === null) return undefined;
  try {
    return await io.readTextFile(args.caFile);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`--ca: cannot read ${args.caFile} (${code})`);
  }
}

/** Exit code for a snapshot, or null while the engine is still working. */
export function exitCodeFor(snapshot: EngineSnapshot, hasLeftDisconnected: boolean): number | null {
  if (snapshot.state !== 'disconnected' || !hasLeftDisconnected) return null;
  const code = snapshot.lastError?.code;
  // The user needs a new token or tenant (shared/error-codes.ts, docs/protocol.md#errors).
  if (code !== undefined && isCredentialRefusal(code)) return EXIT_AUTH_REFUSED;
  return EXIT_GAVE_UP;
}

/** The relay to dial: from the flags, or every TLS fact from a verified link. */
export async function relayFor(
  args: RelayArgs,
  io: ConnectIo,
): Promise<{ relay: RelayEndpoint; linkToken: string | null }> {
  if (args.link !== null) {
    const invite = await readConnectLink(args.link, { readTextFile: io.readTextFile, now: io.now });
    return {
      relay: {
        host: invite.host,
        port: invite.port,
        ...(invite.caPem === null ? {} : { ca: invite.caPem }),
        pinSha256: invite.pinSha256,
        ...(invite.serverName === null ? {} : { serverName: invite.serverName }),
        insecure: false,
        opener: args.opener,
      },
      linkToken: invite.token,
    };
  }
  if (args.relay === null) throw new UsageError('--relay HOST:PORT is required');
  const ca = await readCa(args, io);
  return {
    relay: {
      host: args.relay.host,
      port: args.relay.port,
      ...(ca === undefined ? {} : { ca }),
      ...(args.pinSha256 === null ? {} : { pinSha256: args.pinSha256 }),
      ...(args.serverName === null ? {} : { serverName: args.serverName }),
      insecure: args.insecure,
      opener: args.opener,
    },
    linkToken: null,
  };
}

/** Runs until a signal, a refused authentication, or the engine giving up. Returns the exit code. */
export async function runConnect(args: ConnectArgs, io: ConnectIo): Promise<number> {
  const { relay, linkToken } = await relayFor(args, io);
  const token = await readToken(args, io, linkToken);
  const options: EngineOptions = {
    relay,
    tunnels: args.tunnels.map((spec) => tunnelConfigFor(spec, args.bind)),
    getToken: () => Promise.resolve(token),
    allowDirect: args.allowDirect,
    clientVersion: 'cloudbridge-cli',
    ...(args.stateFile === null ? {} : { persistence: createFileStatePersistence(args.stateFile) }),
  };
  return runEngine(io, {
    options,
    token,
    json: args.json,
    insecure: args.insecure,
    decide: refusedTunnels,
  });
}

export interface RunEngineOptions {
  readonly options: EngineOptions;
  readonly token: string;
  readonly json: boolean;
  readonly insecure: boolean;
  /** An exit the command decides on from a snapshot (refusals), besides auth and giving up. */
  readonly decide: (snapshot: EngineSnapshot) => { code: number; message: string } | null;
}

/** Runs an engine until a signal, a refused token, giving up or `decide`; returns the exit code. */
export function runEngine(io: ConnectIo, run: RunEngineOptions): Promise<number> {
  const redact = redactor([run.token]);
  const out = (line: string): void => io.out(redact(line));
  const err = (line: string): void => io.err(redact(line));
  if (run.insecure)
    err(
      'warning: --insecure: the relay connection is PLAINTEXT; use only with a development relay',
    );

  const engine = io.createEngine(run.options);
  const reporter = new Reporter({ json: run.json, write: out, now: io.now });
  let hasLeftDisconnected = false;

  return new Promise<number>((resolve) => {
    let finished = false;
    const flushTimer = setInterval(() => reporter.flush(), 1_000);
    const finish = (code: number, message: string | null): void => {
      if (finished) return;
      finished = true;
      clearInterval(flushTimer);
      offSignal();
      offSnapshot();
      reporter.flush();
      offLog();
      if (message !== null) err(message);
      // A close that hangs (a peer that never answers) must not keep the CLI alive forever.
      const closeTimer = setTimeout(() => {
        err(
          `cloudbridge: close did not finish within ${CLOSE_TIMEOUT_MS / 1000} s; exiting anyway`,
        );
        resolve(code === EXIT_OK ? EXIT_FAILURE : code);
      }, CLOSE_TIMEOUT_MS);
      engine.close().then(
        () => {
          clearTimeout(closeTimer);
          resolve(code);
        },
        (error: unknown) => {
          clearTimeout(closeTimer);
          err(`error while closing: ${error instanceof Error ? error.message : String(error)}`);
          resolve(code === EXIT_OK ? EXIT_FAILURE : code);
        },
      );
    };
    const offLog = engine.on('log', (record) => reporter.log(record));
    const offSnapshot = engine.on('snapshot', (snapshot) => {
      reporter.snapshot(snapshot);
      if (snapshot.state !== 'disconnected') hasLeftDisconnected = true;
      const code = exitCodeFor(snapshot, hasLeftDisconnected);
      if (code === EXIT_AUTH_REFUSED) {
        finish(
          code,
          `cloudbridge: authentication refused (${snapshot.lastError?.code}): ${snapshot.lastError?.message ?? ''}; get a new token`,
        );
      } else if (code !== null) {
        const reason =
          snapshot.lastError === null
            ? ''
            : ` (last error ${snapshot.lastError.code}: ${snapshot.lastError.message})`;
        finish(code, `cloudbridge: gave up reconnecting${reason}`);
      } else {
        const decided = run.decide(snapshot);
        if (decided !== null) finish(decided.code, decided.message);
      }
    });
    const offSignal = io.onSignal((signal) => {
      err(`cloudbridge: ${signal}, closing`);
      finish(EXIT_OK, null);
    });
    engine.connect();
  });
}

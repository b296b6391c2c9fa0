// `cloudbridge serve`: publishes this computer under a name (docs/protocol.md "Published
// servers") and keeps the registration up with the same reconnect rules as `connect`; the
// computer's key lives in a 0600 file (key-file.ts). Exits 5 when the relay refuses the name
// for good (taken, a field, a limit), 3 for the token, 4 after giving up, 0 on a signal.

import type { EngineOptions, PublishOptions } from '../engine/types';
import type { EngineSnapshot } from '../shared/model';
import { EXIT_FAILURE, EXIT_REFUSED, type ServeArgs } from './args';
import { readToken, relayFor, runEngine, type ConnectIo } from './connect';
import { checkKeyFile, createKeyFileStore, defaultKeyFile } from './key-file';
import { createFileStatePersistence } from './state-file';

export interface ServeIo extends ConnectIo {
  /** The user's home directory, for the default key file. */
  readonly homeDir: string;
}

/** Refusals no retry changes (docs/protocol.md "Register": the table of refusals). */
const PUBLISH_REFUSALS: ReadonlySet<string> = new Set([
  'tunnel_exists',
  'invalid_tunnel_info',
  'tenant_limit_exceeded',
  'rate_limit_exceeded',
  'unknown_message_type',
]);

/** The exit a publish error means, or null while publishing may still succeed. */
export function publishRefused(snapshot: EngineSnapshot): { code: number; message: string } | null {
  const publish = snapshot.publish;
  if (
    publish === null ||
    publish === undefined ||
    publish.status !== 'error' ||
    publish.error === null
  )
    return null;
  const { error } = publish;
  const detail = error.detail !== undefined ? ` (${error.detail})` : '';
  const refusal = PUBLISH_REFUSALS.has(error.code);
  return {
    code: refusal ? EXIT_REFUSED : EXIT_FAILURE,
    message: `cloudbridge: ${refusal ? 'the relay refused to publish' : 'cannot publish'} "${publish.name}": ${error.code}: ${error.message}${detail}`,
  };
}

/** What the engine publishes for these arguments; `--max-streams` left out keeps its default. */
export function publishOptionsFor(
  args: ServeArgs,
  keyStore: PublishOptions['keyStore'],
): PublishOptions {
  return {
    name: args.name,
    ports: args.ports.map((p) => ({
      port: p.port,
      ...(p.targetHost !== null ? { targetHost: p.targetHost } : {}),
      ...(p.targetPort !== null ? { targetPort: p.targetPort } : {}),
    })),
    allowSubs: args.allowSubs,
    keyStore,
    ...(args.maxStreams !== null ? { maxStreams: args.maxStreams } : {}),
  };
}

export async function runServe(args: ServeArgs, io: ServeIo): Promise<number> {
  const { relay, linkToken } = await relayFor(args, io);
  const token = await readToken(args, io, linkToken);
  let keyStore: PublishOptions['keyStore'] = null;
  if (args.keyless) {
    io.err(
      `warning: --no-key: streams to "${args.name}" are not end to end; the relay can read and change them`,
    );
  } else {
    const path = args.keyFile ?? defaultKeyFile(io.env, io.homeDir);
    await checkKeyFile(path);
    keyStore = createKeyFileStore(path);
  }
  const options: EngineOptions = {
    relay,
    tunnels: [],
    getToken: () => Promise.resolve(token),
    clientVersion: 'cloudbridge-cli',
    ...(args.stateFile === null ? {} : { persistence: createFileStatePersistence(args.stateFile) }),
    publish: publishOptionsFor(args, keyStore),
  };
  return runEngine(io, {
    options,
    token,
    json: args.json,
    insecure: args.insecure,
    decide: publishRefused,
  });
}

// The engine host child's message loop: builds the engine from `init`, runs each command in
// order, forwards snapshots and logs, asks main for the token at every authentication, and
// runs the built-in relay. Knows nothing of how it was started (host-child.ts picks the port).

import type { Engine, EngineOptions, PublishOptions } from '../engine/types';
import { EngineError } from '../engine/errors';
import type { ErrorCode } from '../shared/model';
import type { RunningBuiltinRelay } from './builtin-relay-runner';
import {
  describeDropped,
  errorCodeOf,
  parseHostCommand,
  type BuiltinRelayRequest,
  type HostCommand,
  type HostEngineInit,
  type HostEvent,
  type HostPublish,
  type HostReplyValue,
} from './host-protocol';
import { createSessionStateFile } from './session-state-file';

/** The child's end of the channel (parentPort in a utilityProcess, process.send in a fork). */
export interface ChildPort {
  send(event: HostEvent): void;
  onMessage(listener: (message: unknown) => void): void;
}

/** How long the engine waits for main to hand over the token (a keychain prompt takes a while). */
export const TOKEN_REQUEST_TIMEOUT_MS = 30_000;

export interface ChildRuntimeOptions {
  readonly port: ChildPort;
  readonly pid: number;
  readonly createEngine: (options: EngineOptions) => Engine;
  readonly runBuiltinRelay: (request: BuiltinRelayRequest) => Promise<RunningBuiltinRelay>;
  /** Called after `shutdown` was answered. */
  readonly exit: () => void;
  readonly tokenTimeoutMs?: number;
  readonly setTimeout?: (fn: () => void, ms: number) => unknown;
  readonly clearTimeout?: (handle: unknown) => void;
}

type Command = Exclude<HostCommand, { type: 'token.reply' }>;

export function startChildRuntime(options: ChildRuntimeOptions): void {
  const { port } = options;
  const tokenTimeoutMs = options.tokenTimeoutMs ?? TOKEN_REQUEST_TIMEOUT_MS;
  const setTimer = options.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer =
    options.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  let engine: Engine | null = null;
  let engineOff: (() => void)[] = [];
  let builtin: RunningBuiltinRelay | null = null;
  let queue: Promise<void> = Promise.resolve();
  let nextTokenRequest = 1;
  const tokenWaits = new Map<
    number,
    { resolve: (token: string) => void; reject: (e: Error) => void; timer: unknown }
  >();

  function log(level: 'warn' | 'error', event: string, details: Record<string, unknown>): void {
    port.send({
      type: 'log',
      record: { timestamp: new Date().toISOString(), level, event, tunnel_id: null, details },
    });
  }

  /** The token lives in this closure only until the engine has it (types.ts: asked per connect). */
  function getToken(): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const requestId = nextTokenRequest++;
      const timer = setTimer(() => {
        tokenWaits.delete(requestId);
        reject(new EngineError('keychain_unavailable', 'The token was not handed over in time.'));
      }, tokenTimeoutMs);
      tokenWaits.set(requestId, { resolve, reject, timer });
      port.send({ type: 'token.request', requestId });
    });
  }

  function onTokenReply(reply: Extract<HostCommand, { type: 'token.reply' }>): void {
    const wait = tokenWaits.get(reply.requestId);
    if (wait === undefined) return;
    tokenWaits.delete(reply.requestId);
    clearTimer(wait.timer);
    if (reply.token !== null) wait.resolve(reply.token);
    // main's code is kept, so the engine's retry rules see keychain trouble as such.
    else
      wait.reject(
        new EngineError(reply.error?.code ?? 'token_missing', reply.error?.message ?? ''),
      );
  }

  async function closeEngine(): Promise<void> {
    const old = engine;
    engine = null;
    for (const off of engineOff) off();
    engineOff = [];
    await old?.close();
  }

  /** The key stays in main's keychain: the child has the kept one and reports a new one. */
  function publishOptions(publish: HostPublish | null | undefined): PublishOptions | null {
    if (publish === null || publish === undefined) return null;
    let pem = publish.keyPem;
    return {
      name: publish.name,
      ports: publish.ports,
      allowSubs: publish.allowSubs,
      ...(publish.maxStreams !== null ? { maxStreams: publish.maxStreams } : {}),
      keyStore: publish.keyed
        ? {
            load: () => Promise.resolve(pem),
            save: (created) => {
              pem = created;
              port.send({ type: 'serverKey.created', pem: created });
              return Promise.resolve();
            },
          }
        : null,
    };
  }

  function buildEngine(init: HostEngineInit): Engine {
    const created = options.createEngine({
      relay: init.relay,
      tunnels: init.tunnels,
      getToken,
      allowDirect: init.allowDirect,
      ...(init.poolSize !== null ? { poolSize: init.poolSize } : {}),
      ...(init.mux !== null ? { mux: init.mux } : {}),
      ...(init.clientVersion !== null ? { clientVersion: init.clientVersion } : {}),
      ...(init.heartbeatIntervalMs !== null
        ? { heartbeatIntervalMs: init.heartbeatIntervalMs }
        : {}),
      ...(init.heartbeatTimeoutMs !== null ? { heartbeatTimeoutMs: init.heartbeatTimeoutMs } : {}),
      ...(init.sessionStatePath !== null
        ? { persistence: createSessionStateFile(init.sessionStatePath) }
        : {}),
      publish: publishOptions(init.publish),
    });
    engineOff = [
      created.on('snapshot', (snapshot) => port.send({ type: 'snapshot', snapshot })),
      created.on('log', (record) => port.send({ type: 'log', record })),
    ];
    port.send({ type: 'snapshot', snapshot: created.snapshot() });
    return created;
  }

  function requireEngine(): Engine {
    if (engine === null) throw new EngineError('internal_error', 'No engine in the host yet.');
    return engine;
  }

  async function run(command: Command): Promise<HostReplyValue> {
    switch (command.type) {
      case 'init':
        await closeEngine();
        engine = buildEngine(command.options);
        return null;
      case 'connect':
        requireEngine().connect();
        return null;
      case 'disconnect':
        await engine?.disconnect();
        return null;
      case 'reconnectNow':
        requireEngine().reconnectNow();
        return null;
      case 'setTunnels':
        requireEngine().setTunnels(command.tunnels);
        return null;
      case 'setTunnelEnabled':
        requireEngine().setTunnelEnabled(command.tunnelId, command.enabled);
        return null;
      case 'setRelay':
        requireEngine().setRelay(command.relay);
        return null;
      case 'setPublish':
        requireEngine().setPublish(publishOptions(command.publish));
        return null;
      case 'listServers':
        return JSON.stringify(await requireEngine().listServers());
      case 'metrics':
        return engine === null ? '' : engine.metrics();
      case 'close':
        await closeEngine();
        return null;
      case 'builtin.start': {
        await builtin?.close();
        builtin = null;
        const started = await options.runBuiltinRelay(command.request);
        builtin = started;
        return { profile: started.profile, token: started.token, demoTarget: started.demoTarget };
      }
      case 'builtin.stop':
        await builtin?.close();
        builtin = null;
        return null;
      case 'shutdown':
        await closeEngine().catch(() => undefined);
        await builtin?.close().catch(() => undefined);
        builtin = null;
        return null;
    }
  }

  function reply(id: number, value: HostReplyValue): void {
    port.send({ type: 'reply', id, value, error: null });
  }

  function replyError(id: number, error: unknown): void {
    const code: ErrorCode = errorCodeOf(error, 'internal_error');
    const message = error instanceof Error ? error.message : String(error);
    port.send({ type: 'reply', id, value: null, error: { code, message } });
  }

  port.onMessage((message) => {
    const command = parseHostCommand(message);
    if (command === null) {
      log('warn', 'host_message_dropped', { reason: describeDropped(message) });
      return;
    }
    if (command.type === 'token.reply') {
      onTokenReply(command);
      return;
    }
    // One command at a time, in order: a setTunnels never races the init it follows.
    queue = queue.then(async () => {
      try {
        reply(command.id, await run(command));
      } catch (error) {
        replyError(command.id, error);
      }
      if (command.type === 'shutdown') options.exit();
    });
  });

  port.send({ type: 'ready', pid: options.pid });
}

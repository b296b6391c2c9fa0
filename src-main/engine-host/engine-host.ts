// main's supervisor of the engine host child: starts it, routes its messages (replies by id,
// snapshots and logs to the engine proxy, token requests to the proxy's getToken), restarts
// it with backoff when it exits and replays what it ran, and says so. One child at a time.

import type { Engine, EngineOptions } from '../engine/types';
import { EngineError } from '../engine/errors';
import { systemClock, type Clock } from '../shared/clock';
import type { RunningBuiltinRelay } from './builtin-relay-runner';
import { createEngineProxy, type EngineCommand, type HostedEngine } from './engine-proxy';
import {
  describeDropped,
  parseHostEvent,
  type BuiltinRelayRequest,
  type HostCommand,
  type HostEvent,
  type HostReplyValue,
} from './host-protocol';
import { describeExit, nextRestartDelay, type RestartPolicy } from './restart-policy';
import type { HostExit, HostTransport } from './transport';

export interface HostRestart {
  /** Plain words from the exit: "killed by SIGKILL", "exited with code 70". */
  readonly reason: string;
  readonly code: number | null;
  readonly signal: string | null;
  /** ISO 8601 time the exit was seen. */
  readonly at: string;
  /** Restarts since the host was created. */
  readonly count: number;
  readonly delayMs: number;
}

export interface EngineHostStatus {
  readonly pid: number | null;
  readonly ready: boolean;
  readonly restarts: number;
  readonly lastRestart: HostRestart | null;
  /** Times the child asked for the token (once per authentication). */
  readonly tokenRequests: number;
}

export interface EngineHostOptions {
  /** Starts one child (createForkTransport, or the utility transport in the app). */
  readonly start: () => HostTransport;
  readonly clock?: Clock;
  readonly restartPolicy?: Partial<RestartPolicy>;
  /** Where the child keeps the engine's reconnect state; null: not kept. */
  readonly sessionStatePath?: string | null;
  /** A child that is not ready in this time is killed (and restarted). Default 15 s. */
  readonly readyTimeoutMs?: number;
  /** close() waits this long for a clean exit before it kills. Default 3 s. */
  readonly shutdownTimeoutMs?: number;
  readonly log?: (level: 'info' | 'warn' | 'error', event: string, details: object) => void;
}

export interface EngineHost {
  /** Starts the child unless it runs or is waiting to restart. */
  start(): void;
  /** An Engine in the child; the controller cannot tell it from createEngine's. */
  createEngine(options: EngineOptions): Engine;
  startBuiltinRelay(request: BuiltinRelayRequest): Promise<RunningBuiltinRelay>;
  status(): EngineHostStatus;
  onRestart(listener: (restart: HostRestart) => void): () => void;
  /** Shuts the child down (killed if it does not exit in time); no restart after this. */
  close(): Promise<void>;
}

interface Child {
  readonly transport: HostTransport;
  readonly startedAt: number;
  ready: boolean;
  readyTimer: unknown;
}

interface Pending {
  resolve(value: HostReplyValue): void;
  reject(error: Error): void;
  /** What a child exit means for this request: nothing left to stop, or a failure. */
  readonly onGone: 'resolve' | 'reject';
}

export function createEngineHost(options: EngineHostOptions): EngineHost {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? (() => undefined);
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 3_000;
  let child: Child | null = null;
  let restartTimer: unknown = null;
  let failures = 0;
  let restarts = 0;
  let lastRestart: HostRestart | null = null;
  let tokenRequests = 0;
  let closing = false;
  let nextId = 1;
  let proxy: HostedEngine | null = null;
  let builtinRequest: BuiltinRelayRequest | null = null;
  const pending = new Map<number, Pending>();
  const readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const exitWaiters: (() => void)[] = [];
  const restartListeners = new Set<(restart: HostRestart) => void>();

  function send(command: HostCommand): boolean {
    return child !== null && child.ready && child.transport.send(command);
  }

  function request(command: WithoutIdCommand, onGone: Pending['onGone']): Promise<HostReplyValue> {
    const id = nextId++;
    return new Promise<HostReplyValue>((resolve, reject) => {
      pending.set(id, { resolve, reject, onGone });
      if (!send({ ...command, id })) {
        pending.delete(id);
        if (onGone === 'resolve') resolve(null);
        else reject(new EngineError('internal_error', 'The engine host is not running.'));
      }
    });
  }

  function onReady(current: Child): void {
    current.ready = true;
    clock.clearTimeout(current.readyTimer);
    log('info', 'engine_host_ready', { pid: current.transport.pid });
    // Replay in order (the child runs commands one by one): the relay the engine may dial
    // first, then the engine as it was.
    if (builtinRequest !== null) {
      const wanted = builtinRequest;
      void request({ type: 'builtin.start', request: wanted }, 'reject').then(
        (value) => {
          const got = value !== null && typeof value === 'object' ? value : null;
          if (
            got?.profile.port !== wanted.preferredPort ||
            got.demoTarget.port !== wanted.preferredTargetPort
          )
            log('warn', 'builtin_relay_port_changed', {
              relay: [wanted.preferredPort, got?.profile.port ?? null],
              demo_target: [wanted.preferredTargetPort ?? null, got?.demoTarget.port ?? null],
            });
        },
        (error: unknown) => log('error', 'builtin_relay_restart_failed', { error: String(error) }),
      );
    }
    if (proxy !== null) for (const command of proxy.replay()) post(command);
    for (const w of readyWaiters.splice(0)) w.resolve();
  }

  function post(command: EngineCommand): void {
    send({ ...command, id: nextId++ });
  }

  function onMessage(current: Child, raw: unknown): void {
    if (child !== current) return;
    const event: HostEvent | null = parseHostEvent(raw);
    if (event === null) {
      log('warn', 'engine_host_message_dropped', { reason: describeDropped(raw) });
      return;
    }
    switch (event.type) {
      case 'ready':
        onReady(current);
        return;
      case 'reply': {
        const waiting = pending.get(event.id);
        if (waiting === undefined) return;
        pending.delete(event.id);
        if (event.error === null) waiting.resolve(event.value);
        else waiting.reject(new EngineError(event.error.code, event.error.message));
        return;
      }
      case 'snapshot':
        proxy?.handleSnapshot(event.snapshot);
        return;
      case 'log':
        proxy?.handleLog(event.record);
        return;
      case 'serverKey.created':
        proxy?.handleServerKey(event.pem);
        return;
      case 'token.request': {
        tokenRequests += 1;
        const asker = proxy;
        const answer = asker
          ? asker.answerToken()
          : Promise.resolve({
              token: null,
              error: { code: 'token_missing' as const, message: 'No engine is configured.' },
            });
        void answer.then((a) => {
          if (child === current)
            current.transport.send({ type: 'token.reply', requestId: event.requestId, ...a });
        });
        return;
      }
    }
  }

  function onExit(current: Child, exit: HostExit): void {
    if (child !== current) return;
    child = null;
    clock.clearTimeout(current.readyTimer);
    for (const [id, waiting] of pending) {
      pending.delete(id);
      if (waiting.onGone === 'resolve') waiting.resolve(null);
      else waiting.reject(new EngineError('internal_error', 'The engine host exited.'));
    }
    for (const w of exitWaiters.splice(0)) w();
    if (closing) return;
    const now = clock.now();
    const uptimeMs = now - current.startedAt;
    const { delayMs, failures: nextFailures } = nextRestartDelay(
      failures,
      uptimeMs,
      options.restartPolicy,
    );
    failures = nextFailures;
    restarts += 1;
    const at = new Date(now).toISOString();
    const restart: HostRestart = {
      reason: describeExit(exit),
      code: exit.code,
      signal: exit.signal,
      at,
      count: restarts,
      delayMs,
    };
    lastRestart = restart;
    log('warn', 'engine_host_exited', {
      reason: restart.reason,
      uptime_ms: uptimeMs,
      restart_in_ms: delayMs,
      restarts,
    });
    proxy?.childGone(restart.reason, at);
    for (const l of [...restartListeners]) l(restart);
    restartTimer = clock.setTimeout(() => {
      restartTimer = null;
      spawn();
    }, delayMs);
  }

  function spawn(): void {
    if (closing || child !== null) return;
    let transport: HostTransport;
    try {
      transport = options.start();
    } catch (error) {
      log('error', 'engine_host_spawn_failed', { error: String(error) });
      transport = failedTransport();
    }
    const current: Child = { transport, startedAt: clock.now(), ready: false, readyTimer: null };
    child = current;
    current.readyTimer = clock.setTimeout(() => {
      if (child === current && !current.ready) {
        log('error', 'engine_host_not_ready', { timeout_ms: readyTimeoutMs });
        transport.kill();
      }
    }, readyTimeoutMs);
    transport.onMessage((message) => onMessage(current, message));
    transport.onExit((exit) => onExit(current, exit));
  }

  function whenReady(): Promise<void> {
    if (child?.ready) return Promise.resolve();
    if (closing)
      return Promise.reject(new EngineError('internal_error', 'The engine host is closed.'));
    if (child === null && restartTimer === null) spawn();
    return new Promise((resolve, reject) => readyWaiters.push({ resolve, reject }));
  }

  const channel = {
    post,
    request: (command: EngineCommand) => request(command, 'resolve'),
    detach(which: HostedEngine) {
      if (proxy === which) proxy = null;
    },
  };

  return {
    start() {
      if (child === null && restartTimer === null) spawn();
    },
    createEngine(engineOptions) {
      const created = createEngineProxy(channel, engineOptions, {
        sessionStatePath: options.sessionStatePath ?? null,
      });
      proxy = created;
      if (child === null && restartTimer === null) spawn();
      else if (child?.ready) for (const command of created.replay()) post(command);
      return created;
    },
    async startBuiltinRelay(req) {
      await whenReady();
      const value = await request({ type: 'builtin.start', request: req }, 'reject');
      if (value === null || typeof value !== 'object')
        throw new EngineError('internal_error', 'The engine host did not start the relay.');
      // Replayed on restart with the port it got, so the saved profile keeps matching.
      builtinRequest = {
        ...req,
        preferredPort: value.profile.port,
        preferredTargetPort: value.demoTarget.port,
      };
      return {
        ...value,
        close: async () => {
          builtinRequest = null;
          await request({ type: 'builtin.stop' }, 'resolve');
        },
      };
    },
    status: () => ({
      pid: child?.transport.pid ?? null,
      ready: child?.ready ?? false,
      restarts,
      lastRestart,
      tokenRequests,
    }),
    onRestart(listener) {
      restartListeners.add(listener);
      return () => restartListeners.delete(listener);
    },
    async close() {
      if (closing) return;
      closing = true;
      for (const w of readyWaiters.splice(0))
        w.reject(new EngineError('internal_error', 'The engine host is closed.'));
      if (restartTimer !== null) clock.clearTimeout(restartTimer);
      restartTimer = null;
      const current = child;
      if (current === null) return;
      const exited = new Promise<void>((resolve) => exitWaiters.push(resolve));
      const within = async (ms: number): Promise<boolean> => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), ms);
        });
        const done = await Promise.race([exited.then(() => true), late]);
        clearTimeout(timer);
        return done;
      };
      if (current.ready) void request({ type: 'shutdown' }, 'resolve');
      if (!(await within(shutdownTimeoutMs))) {
        log('warn', 'engine_host_killed', { timeout_ms: shutdownTimeoutMs });
        current.transport.kill();
        await within(shutdownTimeoutMs);
      }
    },
  };
}

/** A child that could not be started: it "exits" at once, so the restart policy applies. */
function failedTransport(): HostTransport {
  return {
    pid: null,
    send: () => false,
    onMessage: () => undefined,
    onExit: (listener) => queueMicrotask(() => listener({ code: null, signal: null })),
    kill: () => undefined,
  };
}

type WithoutIdCommand =
  Exclude<HostCommand, { type: 'token.reply' }> extends infer T
    ? T extends unknown
      ? Omit<T, 'id'>
      : never
    : never;

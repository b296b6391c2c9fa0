// "Test connection" in Settings: dials the relay a profile names, without saving the profile,
// through the engine's own dialling (engine/tls-options.ts openTransport: TLS 1.3, CA, SNI,
// pin) and one control-session handshake (engine/control-session.ts), and reports each step
// as a code (shared/relay-test.ts). The stored token goes only to a relay it is bound to
// (token-binding.ts); it is never logged or returned. One test at a time; nothing persists.

import type net from 'node:net';
import tls from 'node:tls';
import { ControlSession } from '../engine/control-session';
import { EngineError, errorInfo as engineErrorInfo } from '../engine/errors';
import { openTransport, trustLabel } from '../engine/tls-options';
import type { RelayEndpoint } from '../engine/types';
import { spkiSha256 } from '../protocol/tls';
import type { Clock } from '../shared/clock';
import type { RelayProfile } from '../shared/ipc-contract';
import type { ErrorInfo } from '../shared/model';
import type { RelayTestReport, RelayTestStep } from '../shared/relay-test';
import { endpointFor } from './engine-session';
import { ServiceError, errorInfo, messageOf } from './errors';
import type { Logger } from './logger';

/** What the token store lets a test send to a profile's relay. */
export type ProbeToken =
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'none' }
  | { readonly kind: 'other_relay' };

export interface RelayProbeOptions {
  readonly clock: Clock;
  readonly readText: (path: string) => Promise<string>;
  /** The stored token, only when it is bound to this profile's relay identity. */
  readonly tokenFor: (profile: RelayProfile) => Promise<ProbeToken>;
  readonly clientVersion: string;
  readonly logger: Logger;
  /** TCP and TLS together (default: the engine's 10 s). */
  readonly connectTimeoutMs?: number;
  /** Each of hello and auth (default: the control session's 10 s). */
  readonly requestTimeoutMs?: number;
}

export interface RelayProbe {
  /** Rejects only when a test is already running (a ServiceError); every failure is a step. */
  test(profile: RelayProfile): Promise<RelayTestReport>;
}

/** The pin a mismatch reports, from the engine's detail `got sha256/<base64>`. */
function pinFromDetail(error: EngineError): string | null {
  return /sha256\/([A-Za-z0-9+/=]+)/.exec(error.detail ?? '')?.[1] ?? null;
}

function peerPin(socket: net.Socket): string | null {
  if (!(socket instanceof tls.TLSSocket)) return null;
  const raw = (socket.getPeerCertificate() as Partial<tls.PeerCertificate>).raw;
  try {
    return raw === undefined ? null : spkiSha256(raw);
  } catch {
    return null;
  }
}

const skipped = (step: RelayTestStep['step']): RelayTestStep => ({
  step,
  outcome: 'skipped',
  code: 'not_reached',
});

export function createRelayProbe(options: RelayProbeOptions): RelayProbe {
  const { clock, logger } = options;
  let running = false;

  const info = (error: unknown): ErrorInfo => {
    if (error instanceof EngineError) return engineErrorInfo(error, clock.now());
    if (error instanceof ServiceError)
      return errorInfo(error.code, error.message, clock.now(), error.detail);
    return errorInfo(
      'internal_error',
      'The test failed inside the app.',
      clock.now(),
      messageOf(error),
    );
  };

  /** hello and auth on an open transport; the session is closed whatever happens. */
  async function signIn(
    socket: net.Socket,
    profile: RelayProfile,
    token: string,
  ): Promise<RelayTestStep> {
    const session = new ControlSession({
      socket,
      clock,
      // The control session's own notes on the relay's dialect, at debug and marked as the
      // test's; its details never hold a token (engine/log.ts scrubs them as well).
      log: (_level, event, _tunnelId, details) =>
        logger.log('debug', event, { ...details, during: 'relay_test' }),
      opener: profile.opener,
      clientVersion: options.clientVersion,
      ...(options.requestTimeoutMs !== undefined
        ? { requestTimeoutMs: options.requestTimeoutMs }
        : {}),
    });
    try {
      await session.handshake(token, null);
      return { step: 'auth', outcome: 'ok', code: 'auth_ok' };
    } catch (error) {
      return { step: 'auth', outcome: 'failed', code: 'auth_failed', error: info(error) };
    } finally {
      session.close();
    }
  }

  async function run(profile: RelayProfile): Promise<RelayTestStep[]> {
    const address = `${profile.host}:${profile.port}`;
    let endpoint: RelayEndpoint;
    try {
      endpoint = await endpointFor(profile, options.readText);
    } catch (error) {
      // The CA file cannot be used: nothing is dialled with a trust the user did not mean.
      return [
        skipped('reach'),
        { step: 'tls', outcome: 'failed', code: 'tls_failed', error: info(error) },
        skipped('pin'),
        skipped('auth'),
      ];
    }
    let reached = false;
    let socket: net.Socket;
    try {
      socket = await openTransport({
        endpoint,
        clock,
        ...(options.connectTimeoutMs !== undefined ? { timeoutMs: options.connectTimeoutMs } : {}),
        // A TLS socket over a dialled TCP socket says 'connect' once TCP is up.
        onSocket: (s) => s.once('connect', () => (reached = true)),
      });
    } catch (error) {
      const failure = info(error);
      if (!reached)
        return [
          {
            step: 'reach',
            outcome: 'failed',
            code: 'reach_failed',
            params: { address },
            error: failure,
          },
          skipped('tls'),
          skipped('pin'),
          skipped('auth'),
        ];
      const reach: RelayTestStep = {
        step: 'reach',
        outcome: 'ok',
        code: 'reach_ok',
        params: { address },
      };
      if (error instanceof EngineError && error.code === 'tls_pin_mismatch')
        return [
          reach,
          { step: 'tls', outcome: 'ok', code: 'tls_ok', params: { trust: trustLabel(endpoint) } },
          {
            step: 'pin',
            outcome: 'failed',
            code: 'pin_mismatch',
            params: { pin: pinFromDetail(error) ?? '—' },
            error: failure,
          },
          skipped('auth'),
        ];
      return [
        reach,
        { step: 'tls', outcome: 'failed', code: 'tls_failed', error: failure },
        skipped('pin'),
        skipped('auth'),
      ];
    }
    const steps: RelayTestStep[] = [
      { step: 'reach', outcome: 'ok', code: 'reach_ok', params: { address } },
    ];
    if (profile.insecure) {
      steps.push(
        { step: 'tls', outcome: 'skipped', code: 'tls_plaintext' },
        { step: 'pin', outcome: 'skipped', code: 'tls_plaintext' },
      );
    } else {
      steps.push({
        step: 'tls',
        outcome: 'ok',
        code: 'tls_ok',
        params: { trust: trustLabel(endpoint) },
      });
      const pin = peerPin(socket) ?? '—';
      steps.push(
        endpoint.pinSha256 !== undefined
          ? { step: 'pin', outcome: 'ok', code: 'pin_ok' }
          : { step: 'pin', outcome: 'skipped', code: 'pin_none', params: { pin } },
      );
    }
    const token = await options.tokenFor(profile).catch((): ProbeToken => ({ kind: 'none' }));
    if (token.kind !== 'token') {
      socket.destroy();
      steps.push({
        step: 'auth',
        outcome: 'skipped',
        code: token.kind === 'none' ? 'auth_no_token' : 'auth_other_relay',
      });
      return steps;
    }
    steps.push(await signIn(socket, profile, token.token));
    return steps;
  }

  return {
    async test(profile) {
      if (running)
        throw new ServiceError(
          'internal_error',
          'A connection test is already running; wait for its answer.',
        );
      running = true;
      try {
        const steps = await run(profile);
        const report: RelayTestReport = {
          relay: `${profile.host}:${profile.port}`,
          ok: steps.every((s) => s.outcome !== 'failed'),
          steps,
        };
        logger.log('info', 'relay_tested', {
          relay: report.relay,
          ok: report.ok,
          steps: steps.map((s) => s.code).join(','),
        });
        return report;
      } finally {
        running = false;
      }
    },
  };
}

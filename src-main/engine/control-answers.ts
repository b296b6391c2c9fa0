// What the relay's answers on a control session mean (docs/protocol.md#authentication,
// docs/protocol.md#tunnel-registration), in every dialect the client tolerates
// (docs/protocol.md#relays-in-the-wild-tolerances). Pure: no socket, no timer.

import { actionFor, type ClientAction } from '../protocol/errors';
import type { JsonObject } from '../protocol/codec';
import type { RelayError, RelayMessage } from '../protocol/messages';
import { EngineError } from './errors';

export interface HandshakeResult {
  /** What the relay did, to remember for the next connect (docs/protocol.md#opener). */
  readonly opener: 'client' | 'server';
  readonly relayVersion: string | null;
  readonly features: readonly string[];
  readonly clientId: string | null;
  readonly tenantId: string | null;
  readonly reconnectToken: string | null;
}

export type RegistrationResult =
  | {
      readonly ok: true;
      readonly streamToken: string | null;
      readonly reconnectToken: string | null;
      /** The id the relay echoed, when it differs from ours (we keep ours). */
      readonly echoedId: string | null;
      readonly v1Register: boolean;
      /** The answer's line as sent, for fields of published servers (`public_key`, `server`). */
      readonly raw?: JsonObject;
    }
  | { readonly ok: false; readonly error: EngineError; readonly action: ClientAction };

/** What the hello exchange left before auth. */
export interface HelloOutcome {
  readonly opener: 'client' | 'server';
  readonly version: string | null;
  readonly features: readonly string[];
}

/** Turns a normalised relay error into an EngineError carrying its code and retry_after. */
export function relayErrorToEngine(e: RelayError): EngineError {
  const raw = e.rawCode === null ? '' : ` (wire code ${String(e.rawCode)})`;
  return new EngineError(
    e.code,
    e.message !== '' ? e.message : `relay reported ${e.code}`,
    `relay error${raw}`,
    e.retryAfterSec,
  );
}

/** A relay error with its `details.reason` kept as the detail (the CLI and UI say it). */
export function relayRefusal(line: JsonObject, message: RelayMessage): EngineError | null {
  if (message.type !== 'error') return null;
  const base = relayErrorToEngine(message);
  const details = line['details'];
  const reason =
    typeof details === 'object' && details !== null && !Array.isArray(details)
      ? (details as Record<string, unknown>)['reason']
      : undefined;
  return new EngineError(
    base.code,
    base.message,
    typeof reason === 'string' ? reason : base.detail,
    base.retryAfterSec,
  );
}

function readRawString(obj: JsonObject, key: string): string | null {
  const v = obj[key];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
}

/**
 * One message read while waiting for the auth answer: the result, `late_hello` (a late or
 * duplicate hello, skipped quietly) or `ignored` (logged and skipped). Throws the refusal.
 */
export function readAuthAnswer(
  answer: RelayMessage,
  hello: HelloOutcome,
): HandshakeResult | 'late_hello' | 'ignored' {
  if (answer.type === 'hello_response') return 'late_hello';
  if (answer.type === 'error') throw relayErrorToEngine(answer);
  if (answer.type === 'auth_response') {
    if (answer.status !== 'ok')
      throw new EngineError(
        'invalid_token',
        'relay rejected the token',
        `auth status "${answer.rawStatus ?? ''}"`,
      );
    return {
      opener: hello.opener,
      relayVersion: answer.serverVersion ?? hello.version,
      features: [...new Set([...hello.features, ...answer.features])],
      clientId: answer.clientId,
      tenantId: answer.tenantId,
      reconnectToken: answer.reconnectToken,
    };
  }
  if (answer.type === 'untyped') {
    // Very old relays answer without `type`: read it as the auth answer.
    if (answer.status === 'failed')
      throw new EngineError('invalid_token', 'relay rejected the token', 'untyped failure answer');
    return {
      opener: hello.opener,
      relayVersion: hello.version,
      features: hello.features,
      clientId: readRawString(answer.raw, 'client_id'),
      tenantId: readRawString(answer.raw, 'tenant_id'),
      reconnectToken: readRawString(answer.raw, 'reconnect_token'),
    };
  }
  return 'ignored';
}

/** A failure status on a tunnel answer: only that tunnel fails. */
function tunnelRefused(detail: string): RegistrationResult {
  return {
    ok: false,
    action: 'tunnel',
    error: new EngineError('invalid_tunnel_info', 'relay refused the tunnel', detail),
  };
}

/** One message read while waiting for a tunnel_info answer; null when it is not one. */
export function readRegistrationAnswer(
  answer: RelayMessage,
  tunnelId: string,
): RegistrationResult | null {
  if (answer.type === 'error')
    return { ok: false, action: actionFor(answer.code), error: relayErrorToEngine(answer) };
  if (answer.type === 'tunnel_response') {
    if (answer.status !== 'ok') return tunnelRefused(`status "${answer.rawStatus ?? ''}"`);
    return {
      ok: true,
      streamToken: answer.streamToken,
      reconnectToken: answer.reconnectToken,
      echoedId: answer.tunnelId !== null && answer.tunnelId !== tunnelId ? answer.tunnelId : null,
      v1Register: answer.v1Register,
    };
  }
  if (answer.type === 'untyped') {
    if (answer.status === 'failed') return tunnelRefused('untyped failure answer');
    const echoed = readRawString(answer.raw, 'tunnel_id');
    return {
      ok: true,
      streamToken: readRawString(answer.raw, 'stream_token'),
      reconnectToken: readRawString(answer.raw, 'reconnect_token'),
      echoedId: echoed !== null && echoed !== tunnelId ? echoed : null,
      v1Register: false,
    };
  }
  return null;
}

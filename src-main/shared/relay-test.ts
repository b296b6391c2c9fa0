// What "Test connection" reports (ipc-contract.ts cloudbridge:relay.test): one result per step,
// as a code with values the window words from its catalogue (relayTest.<code>), and for a
// failure the error whose code gives the reason. Never a sentence, never the token. Runs
// anywhere.
import type { ErrorInfo, MessageParams } from './model';

/** In order: TCP to host:port, the TLS 1.3 handshake and certificate, the SPKI pin, sign-in. */
export const RELAY_TEST_STEPS = ['reach', 'tls', 'pin', 'auth'] as const;
export type RelayTestStepName = (typeof RELAY_TEST_STEPS)[number];

export const RELAY_TEST_CODES = [
  /** params: address. */
  'reach_ok',
  /** params: address; error says why. */
  'reach_failed',
  /** params: trust ('ca_file' | 'os_store'). */
  'tls_ok',
  'tls_failed',
  /** The profile is `insecure`: there is no TLS to test. */
  'tls_plaintext',
  'pin_ok',
  /** params: pin, the relay's actual key. */
  'pin_mismatch',
  /** No pin set; params: pin, the relay's actual key, for the user to pin. */
  'pin_none',
  'auth_ok',
  'auth_failed',
  'auth_no_token',
  /** The saved token is bound to another relay identity: it is not sent to this one. */
  'auth_other_relay',
  /** An earlier step failed, so this one was not tried. */
  'not_reached',
] as const;
export type RelayTestCode = (typeof RELAY_TEST_CODES)[number];

export type RelayTestOutcome = 'ok' | 'failed' | 'skipped';

export interface RelayTestStep {
  readonly step: RelayTestStepName;
  readonly outcome: RelayTestOutcome;
  readonly code: RelayTestCode;
  readonly params?: MessageParams;
  /** For a failed step: the error, its code the reason in the user's words. */
  readonly error?: ErrorInfo;
}

export interface RelayTestReport {
  /** host:port as tested. */
  readonly relay: string;
  /** True when no step failed (a step not tried for want of a token is not a failure). */
  readonly ok: boolean;
  readonly steps: readonly RelayTestStep[];
}

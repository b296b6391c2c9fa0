// The relay profile form of Settings: text as typed, turned into the profile main receives
// and checked by the shared rules main enforces (shared/tunnel-validation.ts). Pure.
import type { RelayProfile } from '../../src-main/shared/ipc-contract';
import {
  validateRelayProfile,
  type RelayFieldErrors,
} from '../../src-main/shared/tunnel-validation';
import { parsePort, unbracketHost } from './tunnel-form';

/** docs/protocol.md#transport: the default relay port. */
export const DEFAULT_RELAY_PORT = 443;

export interface RelayFormValues {
  readonly host: string;
  readonly port: string;
  readonly caFile: string;
  readonly pin: string;
  readonly serverName: string;
  readonly insecure: boolean;
}

/** The fields that can show a problem (caFile only from main, which reads the file). */
export type RelayFormField = 'host' | 'port' | 'caFile' | 'pinSha256' | 'serverName';

export function relayForm(relay: RelayProfile | null): RelayFormValues {
  return {
    host: relay?.host ?? '',
    port: String(relay?.port ?? DEFAULT_RELAY_PORT),
    caFile: relay?.caFile ?? '',
    pin: relay?.pinSha256 ?? '',
    serverName: relay?.serverName ?? '',
    insecure: relay?.insecure ?? false,
  };
}

/** The profile main receives; a port that is not a number goes as 0, which the rules refuse. */
export function relayFrom(values: RelayFormValues, base: RelayProfile | null): RelayProfile {
  const host = unbracketHost(values.host);
  return {
    id: base?.id ?? 'default',
    name: base?.name ?? host,
    host,
    port: parsePort(values.port) ?? 0,
    caFile: values.caFile.trim() || null,
    pinSha256: values.pin.trim() || null,
    serverName: values.serverName.trim() || null,
    insecure: values.insecure,
    opener: base?.opener ?? 'auto',
    builtin: false,
  };
}

/** Every problem in the form, as main would find it in the profile; empty means it can go. */
export function validateRelayForm(
  values: RelayFormValues,
  base: RelayProfile | null,
): RelayFieldErrors {
  return validateRelayProfile(relayFrom(values, base));
}

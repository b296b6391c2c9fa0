// The messages between a renderer test and main's host process (main-host.ts): calls with an
// id and their answers, and main's pushes. Types only; both sides run in Node.
import type { EventChannel } from '../../src-main/shared/ipc-contract';
import type { LogLevel } from '../../src-main/shared/model';
import type {
  InviteOptions,
  MainOptions,
  RelayOptions,
  TokenClaims,
} from '../renderer/main-services';

export type HostCall =
  | { readonly op: 'startMain'; readonly options: MainOptions }
  | {
      readonly op: 'request';
      readonly mainId: number;
      readonly channel: string;
      readonly payload: unknown;
    }
  | { readonly op: 'snapshot' | 'settings' | 'outside' | 'closeMain'; readonly mainId: number }
  | {
      readonly op: 'log';
      readonly mainId: number;
      readonly level: LogLevel;
      readonly event: string;
      readonly details: Readonly<Record<string, unknown>>;
      readonly tunnelId: string | null;
    }
  | { readonly op: 'setVisible'; readonly mainId: number; readonly visible: boolean }
  | { readonly op: 'lockKeychain'; readonly mainId: number; readonly locked: boolean }
  | { readonly op: 'handOver'; readonly mainId: number; readonly link: string }
  | { readonly op: 'invite'; readonly relayId: number; readonly options: InviteOptions }
  | { readonly op: 'startRelay'; readonly options: RelayOptions }
  | { readonly op: 'stopRelay' | 'restartRelay'; readonly relayId: number }
  | {
      readonly op: 'token';
      readonly relayId: number;
      readonly claims: TokenClaims;
      readonly foreign: boolean;
    }
  | { readonly op: 'closeRelays' | 'holdPort' | 'releasePorts' | 'freePort' };

export interface StartedRelay {
  readonly relayId: number;
  readonly port: number;
  readonly caFile: string | null;
  readonly movedCaFile: string;
  readonly plaintext: boolean;
}

export type ToHost = { readonly id: number; readonly call: HostCall };
export type FromHost =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly message: string }
  | {
      readonly push: {
        readonly mainId: number;
        readonly event: EventChannel;
        readonly payload: unknown;
      };
    };

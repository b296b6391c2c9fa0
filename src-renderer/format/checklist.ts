// The first-run checklist on Status as a pure function of the snapshot: Relay, Sign in, First
// tunnel, each done, to do (the first one is current) or waiting on an earlier step, and
// whether the list is still wanted: until a tunnel has worked (it is ready now, or has ever
// carried bytes). Also why Connect cannot be pressed yet, and which step fixes that.
import type { AppSnapshot } from '../../src-main/shared/ipc-contract';
import type { TunnelSnapshot } from '../../src-main/shared/model';

export type StepId = 'relay' | 'signIn' | 'tunnel';
export type StepState = 'done' | 'current' | 'todo' | 'blocked';

export interface ChecklistStep {
  readonly id: StepId;
  readonly state: StepState;
}

export interface Checklist {
  readonly steps: readonly ChecklistStep[];
  /** Every step done: the checklist is no longer shown. */
  readonly isComplete: boolean;
  /** The tunnel the third step is about (the first configured), if any. */
  readonly firstTunnel: TunnelSnapshot | null;
}

/** A tunnel that is ready now or has carried bytes at some time has worked. */
export function hasWorked(snapshot: AppSnapshot, tunnel: TunnelSnapshot): boolean {
  const totals = snapshot.totals[tunnel.id];
  const carried = totals !== undefined && totals.allTimeIn + totals.allTimeOut > 0;
  return tunnel.status === 'listening' || carried || tunnel.bytesIn + tunnel.bytesOut > 0;
}

export function checklistOf(snapshot: AppSnapshot): Checklist {
  const tunnels = snapshot.engine.tunnels;
  const hasRelay = snapshot.settings.relay !== null;
  const isSignedIn = snapshot.account.signedIn;
  const worked = tunnels.some((t) => hasWorked(snapshot, t));
  const done: Readonly<Record<StepId, boolean>> = {
    relay: hasRelay,
    signIn: hasRelay && isSignedIn,
    tunnel: worked,
  };
  const needs: Readonly<Record<StepId, readonly StepId[]>> = {
    relay: [],
    signIn: ['relay'],
    tunnel: ['relay'],
  };
  const order: readonly StepId[] = ['relay', 'signIn', 'tunnel'];
  let current: StepId | null = null;
  const steps = order.map((id): ChecklistStep => {
    if (done[id]) return { id, state: 'done' };
    if (needs[id].some((need) => !done[need])) return { id, state: 'blocked' };
    if (current === null) {
      current = id;
      return { id, state: 'current' };
    }
    return { id, state: 'todo' };
  });
  return {
    steps,
    isComplete: steps.every((s) => s.state === 'done'),
    firstTunnel: tunnels.find((t) => t.enabled) ?? tunnels[0] ?? null,
  };
}

export type ConnectBlocker = 'relay' | 'signIn' | null;

/**
 * What Connect waits for: a relay, then a token. A keychain that cannot be read is not a
 * missing token: Connect stays pressable and the error says what is wrong.
 */
export function connectBlocker(snapshot: AppSnapshot): ConnectBlocker {
  if (snapshot.settings.relay === null) return 'relay';
  if (!snapshot.account.signedIn && snapshot.account.keychainError === null) return 'signIn';
  return null;
}

// "Port in use" says who holds the port where the OS lets us find out: looks the holder up
// once per failure (keyed by the error's time) and adds it to the tunnel's error in the shown
// snapshot as a catalogue key with values (the window words it in the user's language; the
// log line names it in English). Owns the lookups only; the engine's snapshot is never changed.

import type { EngineSnapshot, ErrorDetailKey, ErrorInfo, MessageParams } from '../shared/model';
import { describeOwner, type PortOwner } from './port-owner';

export interface PortHoldersOptions {
  readonly findPortOwner?: (port: number) => Promise<PortOwner | null>;
  /** A holder was found after the snapshot was shown: show it again. */
  readonly onFound: () => void;
  /** Told once per holder found, in English (the app's log). */
  readonly onHolder?: (tunnelId: string, port: number, holder: string) => void;
}

export interface PortHolders {
  /** Starts a lookup for every port_in_use error not looked up yet. */
  lookUp(snapshot: EngineSnapshot): void;
  /** The snapshot with each known holder in its tunnel's error (detailKey and params). */
  decorate(snapshot: EngineSnapshot): EngineSnapshot;
  close(): void;
}

interface HolderDetail {
  readonly detailKey: ErrorDetailKey;
  readonly params: MessageParams;
}

/** How the window names a holder: the program and its pid, or the pid alone. */
export function holderDetail(port: number, owner: PortOwner): HolderDetail {
  return owner.command === null
    ? { detailKey: 'errorDetail.portHeldByPid', params: { port, pid: owner.pid } }
    : {
        detailKey: 'errorDetail.portHeldBy',
        params: { port, pid: owner.pid, command: owner.command },
      };
}

export function createPortHolders(options: PortHoldersOptions): PortHolders {
  const known = new Map<string, { at: string; detail: HolderDetail | null }>();
  let closed = false;

  return {
    lookUp(snapshot) {
      const find = options.findPortOwner;
      if (!find) return;
      for (const t of snapshot.tunnels) {
        if (t.error?.code !== 'port_in_use') continue;
        if (known.get(t.id)?.at === t.error.at) continue;
        const at = t.error.at;
        known.set(t.id, { at, detail: null });
        find(t.localPort)
          .then((owner) => {
            const described = describeOwner(owner);
            if (closed || owner === null || described === null) return;
            known.set(t.id, { at, detail: holderDetail(t.localPort, owner) });
            options.onHolder?.(t.id, t.localPort, described);
            options.onFound();
          })
          .catch(() => undefined);
      }
    },
    decorate(snapshot) {
      if (!snapshot.tunnels.some((t) => t.error?.code === 'port_in_use')) return snapshot;
      return {
        ...snapshot,
        tunnels: snapshot.tunnels.map((t) => {
          if (t.error?.code !== 'port_in_use') return t;
          const holder = known.get(t.id);
          if (holder === undefined || holder.at !== t.error.at || holder.detail === null) return t;
          const error: ErrorInfo = { ...t.error, ...holder.detail };
          return { ...t, error };
        }),
      };
    },
    close() {
      closed = true;
    },
  };
}

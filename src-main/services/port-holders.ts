// "Port in use" says who holds the port where the OS lets us find out: looks the holder up
// once per failure (keyed by the error's time) and adds it to the tunnel's error detail in
// the shown snapshot. Owns the lookups only; the engine's snapshot is never changed.

import type { EngineSnapshot } from '../shared/model';
import { describeOwner, type PortOwner } from './port-owner';

export interface PortHoldersOptions {
  readonly findPortOwner?: (port: number) => Promise<PortOwner | null>;
  /** A holder was found after the snapshot was shown: show it again. */
  readonly onFound: () => void;
}

export interface PortHolders {
  /** Starts a lookup for every port_in_use error not looked up yet. */
  lookUp(snapshot: EngineSnapshot): void;
  /** The snapshot with each known holder in its tunnel's error detail. */
  decorate(snapshot: EngineSnapshot): EngineSnapshot;
  close(): void;
}

export function createPortHolders(options: PortHoldersOptions): PortHolders {
  const known = new Map<string, { at: string; detail: string | null }>();
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
            if (closed || described === null) return;
            known.set(t.id, { at, detail: `Port ${t.localPort} is held by ${described}.` });
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
          return { ...t, error: { ...t.error, detail: holder.detail } };
        }),
      };
    },
    close() {
      closed = true;
    },
  };
}

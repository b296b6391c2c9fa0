// The share as the window and the tray say it: one status folded from what the person set
// (AppSettings.share) and what the engine reports (EngineSnapshot.publish), so both say the
// same thing. Pure, runs anywhere.

import type { EngineSnapshot, PublishSnapshot } from './model';
import type { ShareSettings } from './share-model';

/**
 * off: not shared; waiting: shared once the session is up; starting: registering; online:
 * reachable; offline: registered, its link to the relay is being restored; error: refused.
 */
export type ShareStatus = 'off' | 'waiting' | 'starting' | 'online' | 'offline' | 'error';

/** The engine's view of this share, or null when it is about another name or none. */
export function livePublish(
  share: ShareSettings | undefined,
  engine: EngineSnapshot,
): PublishSnapshot | null {
  const publish = engine.publish ?? null;
  return share !== undefined && publish !== null && publish.name === share.name ? publish : null;
}

export function shareStatus(share: ShareSettings | undefined, engine: EngineSnapshot): ShareStatus {
  if (share === undefined || !share.enabled) return 'off';
  const publish = livePublish(share, engine);
  if (publish?.status === 'error') return 'error';
  // A serving connection carries streams through a control session's blip (grace period).
  if (publish?.status === 'online') return 'online';
  if (engine.state !== 'active' && engine.state !== 'registered') return 'waiting';
  if (publish === null || publish.status === 'registering' || publish.tunnelId === null)
    return 'starting';
  return 'offline';
}

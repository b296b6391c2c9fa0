// The connection state as a coloured, labelled badge. Display only.
import type { ConnectionState } from '../../src-main/shared/model';

export interface StateBadgeProps {
  readonly state: ConnectionState;
  readonly label: string;
  /** Announce changes to screen readers; one live badge per window is enough. */
  readonly isLive?: boolean;
}

export function StateBadge({ state, label, isLive = true }: StateBadgeProps) {
  return (
    <span
      className={`badge badge-${state}`}
      data-state={state}
      role={isLive ? 'status' : undefined}
      aria-live={isLive ? 'polite' : undefined}
    >
      <span className="badge-dot" aria-hidden="true" />
      {label}
    </span>
  );
}

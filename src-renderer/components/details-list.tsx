// Label/value pairs as a description list; values may be any node. Display only.
import type { ReactNode } from 'react';

export interface DetailsListProps {
  readonly items: readonly {
    readonly label: string;
    readonly value: ReactNode;
    readonly testId?: string;
  }[];
  /** Tiles in a wrapping grid (label above value) instead of one row per pair. */
  readonly isCompact?: boolean;
}

export function DetailsList({ items, isCompact = false }: DetailsListProps) {
  return (
    <dl className={isCompact ? 'tiles' : 'details'}>
      {items.map((item) => (
        <div className={isCompact ? 'tile' : 'details-row'} key={item.label}>
          <dt>{item.label}</dt>
          <dd data-testid={item.testId}>{item.value}</dd>
        </div>
      ))}
    </dl>
  );
}

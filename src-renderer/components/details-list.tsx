// Label/value pairs as a description list; values may be any node. Display only.
import type { ReactNode } from 'react';

export interface DetailsListProps {
  readonly items: readonly { readonly label: string; readonly value: ReactNode; readonly testId?: string }[];
}

export function DetailsList({ items }: DetailsListProps) {
  return (
    <dl className="details">
      {items.map((item) => (
        <div className="details-row" key={item.label}>
          <dt>{item.label}</dt>
          <dd data-testid={item.testId}>{item.value}</dd>
        </div>
      ))}
    </dl>
  );
}

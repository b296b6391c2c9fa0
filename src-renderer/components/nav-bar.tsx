// The left navigation: one button per view, the current one marked with aria-current.
import type { ReactNode } from 'react';

export interface NavItem<V extends string> {
  readonly view: V;
  readonly label: string;
}

export interface NavBarProps<V extends string> {
  readonly label: string;
  readonly items: readonly NavItem<V>[];
  readonly current: V;
  readonly onSelect: (view: V) => void;
  readonly footer?: ReactNode;
}

export function NavBar<V extends string>({
  label,
  items,
  current,
  onSelect,
  footer,
}: NavBarProps<V>) {
  return (
    <nav className="nav" aria-label={label}>
      <ul className="nav-list">
        {items.map((item) => (
          <li key={item.view}>
            <button
              type="button"
              className="nav-item"
              aria-current={item.view === current ? 'page' : undefined}
              onClick={() => onSelect(item.view)}
            >
              {item.label}
            </button>
          </li>
        ))}
      </ul>
      {footer ? <div className="nav-footer">{footer}</div> : null}
    </nav>
  );
}

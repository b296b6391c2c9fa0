// The sidebar navigation: one button per view (icon and label; the label folds away in the
// narrow icon rail but stays its accessible name), the current one marked with aria-current.
// An item may carry a status dot, described to screen readers by its label. Display only.
import type { ReactNode } from 'react';
import { Icon, type IconName } from './icon';

export type IndicatorTone = 'ok' | 'busy' | 'warn' | 'off';

export interface NavItem<V extends string> {
  readonly view: V;
  readonly label: string;
  readonly icon?: IconName;
  /** A small coloured dot beside the label, e.g. the connection state on Status. */
  readonly indicator?: { readonly tone: IndicatorTone; readonly label: string };
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
        {items.map((item) => {
          const describedBy = item.indicator ? `nav-${item.view}-indicator` : undefined;
          return (
            <li key={item.view}>
              <button
                type="button"
                className="nav-item"
                aria-current={item.view === current ? 'page' : undefined}
                aria-describedby={describedBy}
                title={item.indicator ? `${item.label}: ${item.indicator.label}` : item.label}
                onClick={() => onSelect(item.view)}
              >
                {item.icon ? <Icon name={item.icon} /> : null}
                <span className="nav-label">{item.label}</span>
                {item.indicator ? (
                  <span
                    className={`nav-dot nav-dot-${item.indicator.tone}`}
                    aria-hidden="true"
                    data-testid={`nav-${item.view}-dot`}
                  />
                ) : null}
              </button>
              {item.indicator ? (
                <span id={describedBy} className="visually-hidden">
                  {item.indicator.label}
                </span>
              ) : null}
            </li>
          );
        })}
      </ul>
      {footer ? <div className="nav-footer">{footer}</div> : null}
    </nav>
  );
}

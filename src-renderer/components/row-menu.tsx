// The "..." menu of a tunnel row: a button that opens a short list of actions (menu button
// pattern: arrow keys move, Escape or a click elsewhere closes and focus goes back to the
// button). Display and callbacks only; the caller decides which items there are.
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { Glyph } from './glyph';

export interface RowMenuItem {
  readonly label: string;
  readonly onSelect: () => void;
  readonly isDanger?: boolean;
}

export interface RowMenuProps {
  /** Accessible name of the button ("More for Office PC"). */
  readonly label: string;
  readonly items: readonly RowMenuItem[];
  readonly disabled?: boolean;
}

export function RowMenu({ label, items, disabled = false }: RowMenuProps) {
  const [isOpen, setOpen] = useState(false);
  const menuId = useId();
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLUListElement>(null);

  const entries = () => [...(menu.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };

  useEffect(() => {
    if (!isOpen) return undefined;
    entries()[0]?.focus();
    const onPointer = (event: MouseEvent) => {
      const target = event.target as Node;
      if (!menu.current?.contains(target) && !button.current?.contains(target)) close(false);
    };
    document.addEventListener('mousedown', onPointer);
    return () => document.removeEventListener('mousedown', onPointer);
  }, [isOpen]);

  const onKeyDown = (event: KeyboardEvent) => {
    const all = entries();
    const at = all.indexOf(document.activeElement as HTMLButtonElement);
    if (event.key === 'Escape' || event.key === 'Tab') {
      if (event.key === 'Escape') event.preventDefault();
      close(event.key === 'Escape');
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      all[(at + step + all.length) % all.length]?.focus();
    } else if (event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      (event.key === 'Home' ? all[0] : all.at(-1))?.focus();
    }
  };

  return (
    <div className="row-menu">
      <button
        ref={button}
        type="button"
        className="icon-button"
        aria-label={label}
        title={label}
        aria-haspopup="menu"
        aria-expanded={isOpen}
        aria-controls={isOpen ? menuId : undefined}
        disabled={disabled}
        onClick={() => setOpen((open) => !open)}
      >
        <Glyph name="more" />
      </button>
      {isOpen ? (
        <ul
          ref={menu}
          id={menuId}
          className="row-menu-list"
          role="menu"
          aria-label={label}
          onKeyDown={onKeyDown}
        >
          {items.map((item) => (
            <li key={item.label} role="none">
              <button
                type="button"
                role="menuitem"
                tabIndex={-1}
                className={item.isDanger ? 'row-menu-item row-menu-danger' : 'row-menu-item'}
                onClick={() => {
                  close(true);
                  item.onSelect();
                }}
              >
                {item.label}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

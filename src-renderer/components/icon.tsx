// Small line icons drawn in the text colour (currentColor), always beside words or with an
// accessible name on their button: never the only way something is said. Display only.
export type IconName =
  | 'status'
  | 'tunnels'
  | 'share'
  | 'account'
  | 'logs'
  | 'settings'
  | 'about'
  | 'chevron'
  | 'check'
  | 'cross'
  | 'dash'
  | 'folder';

/** 16x16 paths, 1.5 px strokes, rounded: the look of the platform's own symbols. */
const PATHS: Readonly<Record<IconName, string>> = {
  status: 'M2 8h2.5l1.5-4 3 8 1.5-4H14',
  tunnels: 'M2.5 5.5h10m-2.5-2.5 2.5 2.5-2.5 2.5M13.5 10.5h-10m2.5-2.5-2.5 2.5 2.5 2.5',
  // This computer: a screen on its stand.
  share:
    'M3 2.75h10c.55 0 1 .45 1 1v6c0 .55-.45 1-1 1H3c-.55 0-1-.45-1-1v-6c0-.55.45-1 1-1ZM5.5 13.75h5M8 10.75v3',
  account:
    'M8 8a2.75 2.75 0 1 0 0-5.5A2.75 2.75 0 0 0 8 8Zm-5 5.5c.6-2.4 2.6-3.75 5-3.75s4.4 1.35 5 3.75',
  logs: 'M5.5 4h8M5.5 8h8M5.5 12h8M2.5 4h.01M2.5 8h.01M2.5 12h.01',
  settings:
    'M8 10a2 2 0 1 0 0-4 2 2 0 0 0 0 4Zm5.2-2c0-.4 0-.8-.1-1.1l1.3-1-1.3-2.3-1.6.6c-.6-.5-1.2-.8-1.9-1L9.3 1.5H6.7l-.3 1.7c-.7.2-1.3.5-1.9 1l-1.6-.6-1.3 2.3 1.3 1c-.1.3-.1.7-.1 1.1s0 .8.1 1.1l-1.3 1 1.3 2.3 1.6-.6c.6.5 1.2.8 1.9 1l.3 1.7h2.6l.3-1.7c.7-.2 1.3-.5 1.9-1l1.6.6 1.3-2.3-1.3-1c.1-.3.1-.7.1-1.1Z',
  about: 'M8 14.5a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13ZM8 7.5v3.75M8 4.75h.01',
  chevron: 'M6 3.5 10.5 8 6 12.5',
  check: 'M3 8.5 6.5 12 13 4.5',
  cross: 'M4 4l8 8M12 4l-8 8',
  dash: 'M4 8h8',
  folder:
    'M1.75 4.25c0-.55.45-1 1-1h3.5l1.5 1.5h5.5c.55 0 1 .45 1 1v6.5c0 .55-.45 1-1 1h-10.5c-.55 0-1-.45-1-1Z',
};

/** One 16x16 rounded line drawing in currentColor, hidden from assistive technology. */
export function LineSvg({
  path,
  className,
  strokeWidth = 1.5,
}: {
  readonly path: string;
  readonly className: string;
  readonly strokeWidth?: number;
}) {
  return (
    <svg
      className={className}
      viewBox="0 0 16 16"
      width="16"
      height="16"
      aria-hidden="true"
      focusable="false"
    >
      <path
        d={path}
        fill="none"
        stroke="currentColor"
        strokeWidth={strokeWidth}
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}

export function Icon({
  name,
  className,
}: {
  readonly name: IconName;
  readonly className?: string;
}) {
  return <LineSvg path={PATHS[name]} className={className ? `icon ${className}` : 'icon'} />;
}

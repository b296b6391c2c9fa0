// The few line glyphs the tunnel rows and the first-run checklist draw (copy, more, disclosure,
// done, to do), in the text colour. Always inside a control with an accessible name or next
// to words: never the only way something is said. Display only.
import { LineSvg } from './icon';

export type GlyphName = 'copy' | 'more' | 'chevron' | 'done' | 'todo' | 'open';

/** 16x16 paths, 1.5 px strokes, rounded. */
const PATHS: Readonly<Record<GlyphName, string>> = {
  copy: 'M5.5 5.5V3.25c0-.4.35-.75.75-.75h6.5c.4 0 .75.35.75.75v6.5c0 .4-.35.75-.75.75H10.5M3.25 5.5h6.5c.4 0 .75.35.75.75v6.5c0 .4-.35.75-.75.75h-6.5a.75.75 0 0 1-.75-.75v-6.5c0-.4.35-.75.75-.75Z',
  more: 'M3.5 8h.01M8 8h.01M12.5 8h.01',
  chevron: 'M6 3.5 10.5 8 6 12.5',
  done: 'M3.5 8.5 6.5 11.5 12.5 4.5',
  todo: 'M8 14A6 6 0 1 0 8 2a6 6 0 0 0 0 12Z',
  open: 'M9.5 2.5h4v4M13.5 2.5 7.5 8.5M11.5 9.5v3.25c0 .4-.35.75-.75.75h-7.5a.75.75 0 0 1-.75-.75v-7.5c0-.4.35-.75.75-.75H6.5',
};

export function Glyph({
  name,
  className,
}: {
  readonly name: GlyphName;
  readonly className?: string;
}) {
  return (
    <LineSvg
      path={PATHS[name]}
      className={className ? `glyph ${className}` : 'glyph'}
      strokeWidth={name === 'more' ? 2.5 : 1.5}
    />
  );
}

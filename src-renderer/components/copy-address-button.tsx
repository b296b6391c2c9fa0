// A button that has main copy a tunnel's address (the window itself may not write the
// clipboard) and says "Copied" for a moment. Icon-only or with its words. Display and callback.
import { useEffect, useState } from 'react';
import { Glyph } from './glyph';

export interface CopyAddressButtonProps {
  /** Accessible name (icon-only) or the words shown. */
  readonly label: string;
  readonly copiedLabel: string;
  /** Resolves true once main has copied it. */
  readonly onCopy: () => Promise<boolean>;
  readonly showLabel?: boolean;
  readonly disabled?: boolean;
  readonly testId?: string;
}

const COPIED_SHOWN_MS = 1_500;

export function CopyAddressButton({
  label,
  copiedLabel,
  onCopy,
  showLabel = false,
  disabled = false,
  testId,
}: CopyAddressButtonProps) {
  const [isCopied, setCopied] = useState(false);
  useEffect(() => {
    if (!isCopied) return undefined;
    const timer = setTimeout(() => setCopied(false), COPIED_SHOWN_MS);
    return () => clearTimeout(timer);
  }, [isCopied]);
  return (
    <button
      type="button"
      className={showLabel ? 'button button-small' : 'icon-button'}
      aria-label={showLabel ? undefined : label}
      title={showLabel ? undefined : label}
      disabled={disabled}
      data-testid={testId}
      onClick={() => {
        void onCopy().then(setCopied);
      }}
    >
      <Glyph name={isCopied ? 'done' : 'copy'} />
      {showLabel ? (
        <span aria-live="polite">{isCopied ? copiedLabel : label}</span>
      ) : (
        <span className="visually-hidden" aria-live="polite">
          {isCopied ? copiedLabel : ''}
        </span>
      )}
    </button>
  );
}

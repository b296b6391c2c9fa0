// A button that puts a text on the clipboard and says "Copied" for a moment. Display and the
// page's own clipboard only (no bridge): where the async Clipboard API is refused, the
// selection-based copy of the page is used instead.
import { useEffect, useState } from 'react';

export interface CopyButtonProps {
  readonly text: string;
  readonly label: string;
  readonly copiedLabel: string;
  /** What is copied, for the accessible name: "Copy (raw fields)". */
  readonly describedBy?: string;
}

const COPIED_SHOWN_MS = 1_500;

/** The selection-based copy: works on a click where navigator.clipboard is not allowed. */
function copyBySelection(text: string): boolean {
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
  }
}

export async function copyText(text: string): Promise<boolean> {
  try {
    if (typeof navigator !== 'undefined' && navigator.clipboard) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Refused (permissions denied in the app's window): fall back below.
  }
  return copyBySelection(text);
}

export function CopyButton({ text, label, copiedLabel, describedBy }: CopyButtonProps) {
  const [isCopied, setCopied] = useState(false);
  useEffect(() => {
    if (!isCopied) return undefined;
    const timer = setTimeout(() => setCopied(false), COPIED_SHOWN_MS);
    return () => clearTimeout(timer);
  }, [isCopied]);
  return (
    <button
      type="button"
      className="button button-small"
      aria-describedby={describedBy}
      onClick={() => {
        void copyText(text).then(setCopied);
      }}
    >
      <span aria-live="polite">{isCopied ? copiedLabel : label}</span>
    </button>
  );
}

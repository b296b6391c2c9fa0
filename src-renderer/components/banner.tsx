// A titled message block: info, warning or danger. Danger and warning are announced (role=alert).
// With `onDismiss` it has a close button labelled `dismissLabel`.
import type { ReactNode } from 'react';

export interface BannerProps {
  readonly tone: 'info' | 'warning' | 'danger';
  readonly title: string;
  readonly children?: ReactNode;
  readonly testId?: string;
  readonly onDismiss?: () => void;
  readonly dismissLabel?: string;
}

export function Banner({ tone, title, children, testId, onDismiss, dismissLabel }: BannerProps) {
  return (
    <section
      className={`banner banner-${tone}`}
      role={tone === 'info' ? 'region' : 'alert'}
      aria-label={title}
      data-testid={testId}
    >
      <h3 className="banner-title">{title}</h3>
      {children ? <div className="banner-body">{children}</div> : null}
      {onDismiss ? (
        <div className="actions">
          <button type="button" className="button" onClick={onDismiss}>
            {dismissLabel}
          </button>
        </div>
      ) : null}
    </section>
  );
}

// A tunnel's error on its own row: what happened in plain words, who holds the port when main
// found out, what to do, and the fixes right there: Try again, and Change local port... for a
// port problem. Display and callbacks only.
import type { TunnelSnapshot } from '../../src-main/shared/model';
import type { Translate } from '../i18n/i18n';
import { isPortProblem } from '../format/tunnel-view';
import { ErrorPanel } from './error-panel';

export interface TunnelErrorProps {
  readonly tunnel: TunnelSnapshot;
  readonly t: Translate;
  readonly isBridged: boolean;
  readonly isBusy: boolean;
  readonly onRetry: () => void;
  readonly onChangePort: () => void;
}

export function TunnelError({
  tunnel,
  t,
  isBridged,
  isBusy,
  onRetry,
  onChangePort,
}: TunnelErrorProps) {
  if (!tunnel.error) return null;
  return (
    <div className="tunnel-error">
      <ErrorPanel error={tunnel.error} t={t} testId="tunnel-error" />
      <div className="actions">
        <button
          type="button"
          className="button button-small"
          disabled={!isBridged || isBusy}
          onClick={onRetry}
        >
          {t('tunnels.tryAgain')}
        </button>
        {isPortProblem(tunnel) ? (
          <button
            type="button"
            className="button button-small"
            disabled={!isBridged || isBusy}
            onClick={onChangePort}
          >
            {t('tunnels.changePort')}
          </button>
        ) : null}
      </div>
    </div>
  );
}

// What to do with a tunnel just saved: "Connect Remote Desktop to 127.0.0.1:13389" with Copy
// and Open (Remote Desktop, SSH and the browser for Web tunnels), Open waiting until the
// tunnel is ready and saying so. Display and callbacks only.
import type { TunnelSnapshot } from '../../src-main/shared/model';
import type { Translate } from '../i18n/i18n';
import { canOpen, dialAddress, stateReasonKey } from '../format/tunnel-view';
import { CopyAddressButton } from './copy-address-button';

export interface ConnectHintProps {
  readonly tunnel: TunnelSnapshot;
  readonly t: Translate;
  readonly isBridged: boolean;
  readonly onCopy: () => Promise<boolean>;
  readonly onOpen: () => void;
  readonly onClose?: () => void;
}

export function ConnectHint({ tunnel, t, isBridged, onCopy, onOpen, onClose }: ConnectHintProps) {
  const address = dialAddress(tunnel);
  const reasonId = `connect-hint-${tunnel.id}-wait`;
  const isReady = canOpen(tunnel);
  const hasOpen = tunnel.kind !== 'other';
  return (
    <section className="connect-hint" aria-label={tunnel.name} data-testid="connect-hint">
      <p className="connect-hint-text">
        {t('hint.connect', { type: tunnel.kind, address: '\u0000' })
          .split('\u0000')
          .flatMap((part, i) =>
            i === 0
              ? [part]
              : [
                  <code key="address" translate="no" className="connect-hint-address">
                    {address}
                  </code>,
                  part,
                ],
          )}
      </p>
      <div className="actions">
        <CopyAddressButton
          label={t('hint.copy')}
          copiedLabel={t('hint.copied')}
          showLabel
          disabled={!isBridged}
          onCopy={onCopy}
          testId="connect-hint-copy"
        />
        {hasOpen ? (
          <button
            type="button"
            className="button button-primary button-small"
            disabled={!isBridged || !isReady}
            aria-describedby={isReady ? undefined : reasonId}
            onClick={onOpen}
          >
            {t('hint.open')}
          </button>
        ) : null}
        {hasOpen && !isReady ? (
          <span className="connect-hint-wait" id={reasonId}>
            {t(stateReasonKey(tunnel) ?? `tunnelStatus.${tunnel.status}`)}
          </span>
        ) : null}
        {onClose ? (
          <button type="button" className="button button-small" onClick={onClose}>
            {t('hint.close')}
          </button>
        ) : null}
      </div>
    </section>
  );
}

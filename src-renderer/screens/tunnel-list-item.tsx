// One tunnel in the Tunnels list: its compact row, and under it what belongs to it alone: its
// error with the fixes, the new-port form, the remove confirmation and, when shown, its
// details. Calls main only through the callbacks the screen hands it.
import type { FieldProblem, TunnelTotals } from '../../src-main/shared/ipc-contract';
import type { TunnelSnapshot } from '../../src-main/shared/model';
import { PortChange } from '../components/port-change';
import type { RowMenuItem } from '../components/row-menu';
import { TunnelDetail } from '../components/tunnel-detail';
import { TunnelError } from '../components/tunnel-error';
import { TunnelRow } from '../components/tunnel-row';
import { canOpen } from '../format/tunnel-view';
import type { Locale, Translate } from '../i18n/i18n';
import type { TunnelHistory } from '../store/traffic-history';

export interface TunnelListItemProps {
  readonly tunnel: TunnelSnapshot;
  readonly totals: TunnelTotals | undefined;
  readonly history: TunnelHistory | undefined;
  readonly now: number;
  readonly t: Translate;
  readonly locale: Locale;
  readonly isBridged: boolean;
  readonly isBusy: boolean;
  readonly isExpanded: boolean;
  readonly isConfirmingRemove: boolean;
  /** The new-port form is open, with main's suggestion (null while it looks). */
  readonly portChange: {
    readonly suggested: number | null;
    readonly problem: FieldProblem | null;
  } | null;
  readonly onExpand: () => void;
  readonly onToggle: (enabled: boolean) => void;
  readonly onOpen: () => void;
  readonly onCopy: () => Promise<boolean>;
  readonly onEdit: () => void;
  readonly onRetry: () => void;
  readonly onChangePort: () => void;
  readonly onSavePort: (port: number) => void;
  readonly onCancelPort: () => void;
  readonly onRemove: () => void;
  readonly onConfirmRemove: (isConfirmed: boolean) => void;
}

export function TunnelListItem(props: TunnelListItemProps) {
  const { tunnel, t } = props;
  const detailsId = `tunnel-${tunnel.id}-details`;
  const menu: RowMenuItem[] = [
    ...(canOpen(tunnel) ? [{ label: t('tunnels.open'), onSelect: props.onOpen }] : []),
    {
      label: t('hint.copy'),
      onSelect: () => {
        void props.onCopy();
      },
    },
    { label: t('tunnels.edit'), onSelect: props.onEdit },
    { label: t('tunnels.changePort'), onSelect: props.onChangePort },
    ...(tunnel.status === 'error'
      ? [{ label: t('tunnels.tryAgain'), onSelect: props.onRetry }]
      : []),
    { label: t('tunnels.remove'), onSelect: props.onRemove, isDanger: true },
  ];
  return (
    <li
      className={`tunnel tunnel-${tunnel.status}`}
      aria-labelledby={`tunnel-${tunnel.id}-name`}
      data-testid={`tunnel-${tunnel.id}`}
    >
      <TunnelRow
        tunnel={tunnel}
        history={props.history}
        now={props.now}
        t={t}
        locale={props.locale}
        isBridged={props.isBridged}
        isExpanded={props.isExpanded}
        detailsId={detailsId}
        menu={menu}
        onToggle={props.onToggle}
        onExpand={props.onExpand}
        onCopy={props.onCopy}
      />
      {tunnel.error && props.portChange === null ? (
        <TunnelError
          tunnel={tunnel}
          t={t}
          isBridged={props.isBridged}
          isBusy={props.isBusy}
          onRetry={props.onRetry}
          onChangePort={props.onChangePort}
        />
      ) : null}
      {props.portChange ? (
        <PortChange
          id={`tunnel-${tunnel.id}-new-port`}
          suggested={props.portChange.suggested}
          problem={props.portChange.problem}
          t={t}
          isBusy={props.isBusy}
          onSave={props.onSavePort}
          onCancel={props.onCancelPort}
        />
      ) : null}
      {props.isConfirmingRemove ? (
        <div
          className="confirm"
          role="alertdialog"
          aria-label={t('tunnels.removeConfirm', { name: tunnel.name })}
        >
          <p>{t('tunnels.removeConfirm', { name: tunnel.name })}</p>
          <div className="actions">
            <button
              type="button"
              className="button button-danger"
              onClick={() => props.onConfirmRemove(true)}
            >
              {t('tunnels.remove')}
            </button>
            <button type="button" className="button" onClick={() => props.onConfirmRemove(false)}>
              {t('form.cancel')}
            </button>
          </div>
        </div>
      ) : null}
      {props.isExpanded ? (
        <TunnelDetail
          id={detailsId}
          tunnel={tunnel}
          totals={props.totals}
          t={t}
          locale={props.locale}
          isBridged={props.isBridged}
          onOpen={props.onOpen}
          onEdit={props.onEdit}
          onRemove={props.onRemove}
        />
      ) : null}
    </li>
  );
}

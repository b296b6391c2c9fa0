// Tunnels: each tunnel with its switch, status, traffic, rates, connections and totals;
// Open for active RDP/SSH tunnels; add, edit and remove through the tunnel editor.
import { useState } from 'react';
import type { TunnelTotals } from '../../src-main/shared/ipc-contract';
import type { TunnelSnapshot } from '../../src-main/shared/model';
import { useAppState, useBridge, useI18n } from '../app-context';
import { DetailsList } from '../components/details-list';
import { ErrorPanel } from '../components/error-panel';
import { InOut } from '../components/in-out';
import { Switch } from '../components/switch';
import { formatBytes, formatRate } from '../format/format';
import type { Translate } from '../i18n/i18n';
import { selectTotals, selectTunnels } from '../store/selectors';
import { TunnelEditor } from './tunnel-editor';
import { useAction } from './use-action';

type Editing =
  | { readonly mode: 'closed' }
  | { readonly mode: 'add' }
  | { readonly mode: 'edit'; readonly id: string };

export function TunnelsScreen() {
  const { t } = useI18n();
  const bridge = useBridge();
  const tunnels = useAppState(selectTunnels);
  const totals = useAppState(selectTotals);
  const [editing, setEditing] = useState<Editing>({ mode: 'closed' });
  const [action, run] = useAction();
  const [confirmRemove, setConfirmRemove] = useState<string | null>(null);

  const editingTunnel =
    editing.mode === 'edit' ? (tunnels.find((x) => x.id === editing.id) ?? null) : null;

  return (
    <section className="screen" aria-labelledby="tunnels-heading">
      <header className="screen-header">
        <h2 id="tunnels-heading">{t('tunnels.heading')}</h2>
        {editing.mode === 'closed' ? (
          <button
            type="button"
            className="button button-primary"
            disabled={!bridge}
            onClick={() => setEditing({ mode: 'add' })}
          >
            {t('tunnels.add')}
          </button>
        ) : null}
      </header>

      {editing.mode !== 'closed' ? (
        <TunnelEditor
          key={editing.mode === 'edit' ? editing.id : 'new'}
          editing={editingTunnel}
          tunnels={tunnels}
          onSubmit={(draft) => bridge?.tunnelSave(draft)}
          onDone={() => setEditing({ mode: 'closed' })}
        />
      ) : null}

      {action.error ? <ErrorPanel error={action.error} t={t} /> : null}

      {tunnels.length === 0 && editing.mode === 'closed' ? (
        <p className="empty">{t('tunnels.empty')}</p>
      ) : null}

      <ul className="tunnel-list" aria-label={t('tunnels.heading')}>
        {tunnels.map((tunnel) => (
          <TunnelRow
            key={tunnel.id}
            tunnel={tunnel}
            totals={totals[tunnel.id]}
            t={t}
            isBridged={bridge !== null}
            isConfirmingRemove={confirmRemove === tunnel.id}
            onToggle={(enabled) =>
              void run(() => bridge?.tunnelSetEnabled({ id: tunnel.id, enabled }))
            }
            onOpen={() => void run(() => bridge?.tunnelOpen({ id: tunnel.id }))}
            onEdit={() => setEditing({ mode: 'edit', id: tunnel.id })}
            onRemove={() => setConfirmRemove(tunnel.id)}
            onConfirmRemove={(isConfirmed) => {
              setConfirmRemove(null);
              if (isConfirmed) void run(() => bridge?.tunnelRemove({ id: tunnel.id }));
            }}
          />
        ))}
      </ul>
    </section>
  );
}

interface TunnelRowProps {
  readonly tunnel: TunnelSnapshot;
  readonly totals: TunnelTotals | undefined;
  readonly t: Translate;
  readonly isBridged: boolean;
  readonly isConfirmingRemove: boolean;
  readonly onToggle: (enabled: boolean) => void;
  readonly onOpen: () => void;
  readonly onEdit: () => void;
  readonly onRemove: () => void;
  readonly onConfirmRemove: (isConfirmed: boolean) => void;
}

function TunnelRow({
  tunnel,
  totals,
  t,
  isBridged,
  isConfirmingRemove,
  ...handlers
}: TunnelRowProps) {
  const { locale } = useI18n();
  const canOpen = tunnel.status === 'listening' && (tunnel.kind === 'rdp' || tunnel.kind === 'ssh');
  const local = `${tunnel.localHost}:${tunnel.localPort}`;
  const remote = `${tunnel.remoteHost.includes(':') ? `[${tunnel.remoteHost}]` : tunnel.remoteHost}:${tunnel.remotePort}`;
  const headingId = `tunnel-${tunnel.id}-name`;
  return (
    <li className="panel tunnel" aria-labelledby={headingId} data-testid={`tunnel-${tunnel.id}`}>
      <div className="tunnel-head">
        <Switch
          checked={tunnel.enabled}
          label={t('tunnels.toggle', { name: tunnel.name })}
          disabled={!isBridged}
          onChange={handlers.onToggle}
        />
        <div className="tunnel-title">
          <h3 id={headingId}>{tunnel.name}</h3>
          <p className="tunnel-route">
            {t('tunnels.route', { local, remote })} · {t(`kind.${tunnel.kind}`)}
          </p>
        </div>
        <span
          className={`tunnel-status tunnel-status-${tunnel.status}`}
          data-testid="tunnel-status"
        >
          {t(`tunnelStatus.${tunnel.status}`)}
        </span>
      </div>
      <DetailsList
        isCompact
        items={[
          {
            label: t('tunnels.in'),
            value: formatBytes(tunnel.bytesIn, locale),
            testId: 'bytes-in',
          },
          {
            label: t('tunnels.out'),
            value: formatBytes(tunnel.bytesOut, locale),
            testId: 'bytes-out',
          },
          {
            label: t('tunnels.rate'),
            value: (
              <InOut
                down={formatRate(tunnel.rateInBps, locale)}
                up={formatRate(tunnel.rateOutBps, locale)}
              />
            ),
            testId: 'rate',
          },
          {
            label: t('tunnels.connections'),
            value: String(tunnel.openConnections),
            testId: 'connections',
          },
          {
            label: t('tunnels.today'),
            value: totals ? (
              <InOut
                down={formatBytes(totals.todayIn, locale)}
                up={formatBytes(totals.todayOut, locale)}
              />
            ) : (
              '—'
            ),
          },
          {
            label: t('tunnels.allTime'),
            value: totals ? (
              <InOut
                down={formatBytes(totals.allTimeIn, locale)}
                up={formatBytes(totals.allTimeOut, locale)}
              />
            ) : (
              '—'
            ),
          },
        ]}
      />
      {tunnel.dataMode === 'direct' ? <p className="note">{t('tunnels.direct')}</p> : null}
      {tunnel.error ? <ErrorPanel error={tunnel.error} t={t} testId="tunnel-error" /> : null}
      {isConfirmingRemove ? (
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
              onClick={() => handlers.onConfirmRemove(true)}
            >
              {t('tunnels.remove')}
            </button>
            <button
              type="button"
              className="button"
              onClick={() => handlers.onConfirmRemove(false)}
            >
              {t('form.cancel')}
            </button>
          </div>
        </div>
      ) : (
        <div className="actions">
          {canOpen ? (
            <button
              type="button"
              className="button button-primary"
              disabled={!isBridged}
              onClick={handlers.onOpen}
            >
              {t('tunnels.open')}
            </button>
          ) : null}
          <button type="button" className="button" disabled={!isBridged} onClick={handlers.onEdit}>
            {t('tunnels.edit')}
          </button>
          <button
            type="button"
            className="button"
            disabled={!isBridged}
            onClick={handlers.onRemove}
          >
            {t('tunnels.remove')}
          </button>
        </div>
      )}
    </li>
  );
}

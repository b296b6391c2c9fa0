// Tunnels: one compact row per tunnel (switch, name, route with copy, state and reason, the
// last minute's rate, last activity, "..." menu), its details on demand, its error with the
// fixes on its own row, the editor with presets and free-port suggestions, and after saving
// how to connect to the new tunnel. What it shows comes from main's pushes only.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type {
  FieldProblem,
  PortSuggestionRequest,
  TunnelDraft,
} from '../../src-main/shared/ipc-contract';
import type { TunnelKind, TunnelSnapshot } from '../../src-main/shared/model';
import { useAppState, useBridge, useI18n, useNow } from '../app-context';
import { ConnectHint } from '../components/connect-hint';
import { ErrorPanel } from '../components/error-panel';
import { isFieldErrors } from '../../src-main/shared/ipc-guards';
import { selectHistory, selectTotals, selectTunnels } from '../store/selectors';
import '../styles/tunnels.css';
import { TunnelEditor } from './tunnel-editor';
import { TunnelListItem } from './tunnel-list-item';
import { useAction } from './use-action';

type Editing =
  | { readonly mode: 'closed' }
  | { readonly mode: 'add'; readonly kind: TunnelKind }
  | { readonly mode: 'edit'; readonly id: string };

interface PortChangeState {
  readonly id: string;
  readonly suggested: number | null;
  readonly problem: FieldProblem | null;
}

/** Rates and "last activity" move on once a second while a tunnel is ready. */
const LIVE_TICK_MS = 1_000;

export interface TunnelsScreenProps {
  /** Open the editor for a new tunnel of this kind (Status's checklist). */
  readonly addKind?: TunnelKind | null;
  /** Show this tunnel's details (a tray entry's "Show in window"). */
  readonly focusTunnelId?: string | null;
}

/** The configuration part of a tunnel's snapshot, as tunnel.save takes it. */
function draftOf(tunnel: TunnelSnapshot): TunnelDraft {
  const { id, name, kind, localHost, localPort, remoteHost, remotePort, enabled } = tunnel;
  return { id, name, kind, localHost, localPort, remoteHost, remotePort, enabled };
}

export function TunnelsScreen({ addKind = null, focusTunnelId = null }: TunnelsScreenProps) {
  const { t, locale } = useI18n();
  const bridge = useBridge();
  const tunnels = useAppState(selectTunnels);
  const totals = useAppState(selectTotals);
  const history = useAppState(selectHistory);
  const [editing, setEditing] = useState<Editing>(
    addKind ? { mode: 'add', kind: addKind } : { mode: 'closed' },
  );
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(
    new Set(focusTunnelId ? [focusTunnelId] : []),
  );
  const [confirmRemove, setConfirmRemove] = useState<string | null>(null);
  const [portChange, setPortChange] = useState<PortChangeState | null>(null);
  const [hintId, setHintId] = useState<string | null>(null);
  const [action, run] = useAction();
  const isLive = tunnels.some((x) => x.status === 'listening');
  const now = useNow(LIVE_TICK_MS, isLive);

  // A tunnel main asks to show (a tray entry) opens, once per request, and comes into view.
  const [shownFocus, setShownFocus] = useState(focusTunnelId);
  if (focusTunnelId !== shownFocus) {
    setShownFocus(focusTunnelId);
    if (focusTunnelId !== null) setExpanded((prev) => new Set(prev).add(focusTunnelId));
  }
  useEffect(() => {
    if (focusTunnelId === null) return;
    document.getElementById(`tunnel-${focusTunnelId}-name`)?.scrollIntoView?.({ block: 'nearest' });
  }, [focusTunnelId]);

  const suggestPort = useCallback(
    async (request: PortSuggestionRequest): Promise<number | null> => {
      if (!bridge) return null;
      const reply = await bridge.tunnelSuggestPort(request);
      return reply.ok ? reply.value.port : null;
    },
    [bridge],
  );
  // One function per bridge: the editor's picker asks again whenever this changes.
  const listServers = useMemo(() => (bridge ? () => bridge.serversList() : undefined), [bridge]);
  const copy = async (id: string) => {
    const result = await run(() => bridge?.tunnelCopyAddress({ id }));
    return result?.ok ?? false;
  };
  const startPortChange = (tunnel: TunnelSnapshot) => {
    setPortChange({ id: tunnel.id, suggested: null, problem: null });
    void suggestPort({
      port: tunnel.localPort,
      localHost: tunnel.localHost,
      tunnelId: tunnel.id,
    }).then((port) =>
      setPortChange((prev) =>
        prev?.id === tunnel.id ? { ...prev, suggested: port ?? tunnel.localPort } : prev,
      ),
    );
  };
  const savePort = async (tunnel: TunnelSnapshot, localPort: number) => {
    const result = await run(() => bridge?.tunnelSave({ ...draftOf(tunnel), localPort }));
    if (result?.ok) setPortChange(null);
    else if (result && isFieldErrors(result.fields) && result.fields['localPort'])
      setPortChange((prev) =>
        prev ? { ...prev, problem: result.fields?.['localPort'] ?? null } : prev,
      );
  };

  const editingTunnel =
    editing.mode === 'edit' ? (tunnels.find((x) => x.id === editing.id) ?? null) : null;
  const hinted = hintId === null ? null : (tunnels.find((x) => x.id === hintId) ?? null);

  return (
    <section className="screen tunnels-screen" aria-labelledby="tunnels-heading">
      <header className="screen-header">
        <h2 id="tunnels-heading">{t('tunnels.heading')}</h2>
        {editing.mode === 'closed' ? (
          <button
            type="button"
            className="button button-primary"
            disabled={!bridge}
            onClick={() => setEditing({ mode: 'add', kind: 'rdp' })}
          >
            {t('tunnels.add')}
          </button>
        ) : null}
      </header>

      {editing.mode !== 'closed' ? (
        <TunnelEditor
          key={editing.mode === 'edit' ? editing.id : `new-${editing.kind}`}
          editing={editingTunnel}
          tunnels={tunnels}
          initialKind={editing.mode === 'add' ? editing.kind : undefined}
          onSubmit={(draft) => bridge?.tunnelSave(draft)}
          {...(bridge ? { suggestPort } : {})}
          {...(listServers ? { listServers } : {})}
          onDone={(saved) => {
            if (saved && editing.mode === 'add') setHintId(saved.id);
            setEditing({ mode: 'closed' });
          }}
        />
      ) : null}

      {hinted ? (
        <ConnectHint
          tunnel={hinted}
          t={t}
          isBridged={bridge !== null}
          onCopy={() => copy(hinted.id)}
          onOpen={() => void run(() => bridge?.tunnelOpen({ id: hinted.id }))}
          onClose={() => setHintId(null)}
        />
      ) : null}

      {action.error ? <ErrorPanel error={action.error} t={t} /> : null}

      {tunnels.length === 0 && editing.mode === 'closed' ? (
        <p className="empty">{t('tunnels.empty')}</p>
      ) : null}

      <ul className="tunnel-list" aria-label={t('tunnels.heading')}>
        {tunnels.map((tunnel) => (
          <TunnelListItem
            key={tunnel.id}
            tunnel={tunnel}
            totals={totals[tunnel.id]}
            history={history[tunnel.id]}
            now={now}
            t={t}
            locale={locale}
            isBridged={bridge !== null}
            isBusy={action.isBusy}
            isExpanded={expanded.has(tunnel.id)}
            isConfirmingRemove={confirmRemove === tunnel.id}
            portChange={
              portChange?.id === tunnel.id
                ? { suggested: portChange.suggested, problem: portChange.problem }
                : null
            }
            onExpand={() =>
              setExpanded((prev) => {
                const next = new Set(prev);
                if (!next.delete(tunnel.id)) next.add(tunnel.id);
                return next;
              })
            }
            onToggle={(enabled) =>
              void run(() => bridge?.tunnelSetEnabled({ id: tunnel.id, enabled }))
            }
            onOpen={() => void run(() => bridge?.tunnelOpen({ id: tunnel.id }))}
            onCopy={() => copy(tunnel.id)}
            onEdit={() => setEditing({ mode: 'edit', id: tunnel.id })}
            onRetry={() => void run(() => bridge?.tunnelRetry({ id: tunnel.id }))}
            onChangePort={() => startPortChange(tunnel)}
            onSavePort={(port) => void savePort(tunnel, port)}
            onCancelPort={() => setPortChange(null)}
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

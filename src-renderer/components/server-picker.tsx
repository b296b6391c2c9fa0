// Add tunnel's "a computer shared in your organisation": the tenant's published servers this
// identity may reach (main asks the relay, docs/protocol.md#listing) by name, which of its
// services, whether it is online, and whether its streams are end to end (its own key) or
// not, with a warning for a keyless one. Display and callbacks only.
import type { PublishedServerInfo } from '../../src-main/shared/share-model';
import type { Translate } from '../i18n/i18n';
import { Banner } from './banner';
import { Icon } from './icon';
import { SelectField } from './select-field';
import { serviceName } from './share-connections';

export type ServerList =
  | { readonly state: 'loading' }
  | { readonly state: 'notConnected' }
  | { readonly state: 'failed' }
  | { readonly state: 'ready'; readonly servers: readonly PublishedServerInfo[] };

export interface ServerPickerProps {
  readonly idPrefix: string;
  readonly t: Translate;
  readonly list: ServerList;
  /** The chosen computer ('' for none yet) and service port. */
  readonly server: string;
  readonly port: number | null;
  /** A problem with the chosen name (main's or the form's rules). */
  readonly error: string | null;
  readonly onChoose: (server: string, port: number | null) => void;
  readonly onRefresh: () => void;
}

function ListNote({ text, t, onRefresh }: { text: string; t: Translate; onRefresh?: () => void }) {
  return (
    <p className="server-pick-note" role="status" data-testid="server-pick-note">
      <span>{text}</span>
      {onRefresh ? (
        <button type="button" className="button button-small" onClick={onRefresh}>
          {t('serverPick.refresh')}
        </button>
      ) : null}
    </p>
  );
}

export function ServerPicker(props: ServerPickerProps) {
  const { idPrefix, t, list, server, port, onChoose, onRefresh } = props;
  if (list.state === 'loading') return <ListNote text={t('serverPick.loading')} t={t} />;
  if (list.state === 'notConnected')
    return <ListNote text={t('serverPick.notConnected')} t={t} onRefresh={onRefresh} />;
  if (list.state === 'failed')
    return <ListNote text={t('serverPick.failed')} t={t} onRefresh={onRefresh} />;
  const { servers } = list;
  // A tunnel being edited keeps its computer even when the list no longer has it.
  const known = servers.find((s) => s.name === server) ?? null;
  if (servers.length === 0 && server === '')
    return <ListNote text={t('serverPick.none')} t={t} onRefresh={onRefresh} />;
  const computers = [
    ...(server === '' ? [{ value: '', label: t('serverPick.choose') }] : []),
    ...(server !== '' && known === null ? [{ value: server, label: server }] : []),
    ...servers.map((s) => ({
      value: s.name,
      label: t('serverPick.option', {
        name: s.name,
        online: s.online ? 'yes' : 'no',
        keyed: s.keyed ? 'yes' : 'no',
      }),
    })),
  ];
  const ports = known?.ports ?? (port === null ? [] : [port]);
  return (
    <div className="server-pick" data-testid="server-pick">
      <div className="server-pick-row">
        <div className="field">
          <SelectField
            id={`${idPrefix}-server`}
            label={t('serverPick.computer')}
            value={server}
            options={computers}
            onChange={(name) => {
              const chosen = servers.find((s) => s.name === name);
              // Remote Desktop first when it has it, else its first port.
              const first = chosen?.ports.includes(3389) ? 3389 : (chosen?.ports[0] ?? null);
              onChoose(name, first);
            }}
          />
          {props.error ? (
            <p className="field-error" role="alert">
              {props.error}
            </p>
          ) : null}
        </div>
        {ports.length > 0 && port !== null ? (
          <SelectField
            id={`${idPrefix}-service`}
            label={t('serverPick.service')}
            value={String(port)}
            options={ports.map((p) => ({ value: String(p), label: serviceName(t, p) }))}
            onChange={(value) => onChoose(server, Number(value))}
          />
        ) : null}
      </div>
      {known === null ? null : known.keyed ? (
        <p className="server-pick-note server-keyed" data-testid="server-keyed">
          <Icon name="check" />
          <span>{t('serverPick.keyed')}</span>
        </p>
      ) : (
        <Banner tone="warning" title={t('serverPick.keyless')} testId="server-keyless" />
      )}
      {known !== null && !known.online ? (
        <p className="server-pick-note">{t('serverPick.offline', { name: known.name })}</p>
      ) : null}
      <div className="actions">
        <button type="button" className="button button-small" onClick={onRefresh}>
          {t('serverPick.refresh')}
        </button>
      </div>
    </div>
  );
}

// The add/edit tunnel form: a preset (Remote Desktop, SSH, Web, Other) fills what the person
// has not typed, main suggests a free local port (and a free one next to a taken one the
// person typed), each field is checked as it is typed (validation/tunnel-form.ts, the rules
// main applies) and main's Result.fields show on the same fields in the reader's language.
// What to reach is a host the relay dials or a computer shared in the organisation, by name
// (components/server-picker.tsx). It submits and asks through callbacks, never the bridge.
import { useEffect, useMemo, useRef, useState } from 'react';
import type {
  FieldProblem,
  PortSuggestionRequest,
  Result,
  TunnelDraft,
} from '../../src-main/shared/ipc-contract';
import type { TunnelConfig, TunnelKind } from '../../src-main/shared/model';
import {
  PRESET_REMOTE_HOST,
  TUNNEL_PRESETS,
  preferredLocalPort,
} from '../../src-main/shared/tunnel-presets';
import { useI18n } from '../app-context';
import { ErrorPanel } from '../components/error-panel';
import { PresetPicker } from '../components/preset-picker';
import { ServerPicker } from '../components/server-picker';
import { serviceName } from '../components/share-connections';
import { Switch } from '../components/switch';
import { TextField } from '../components/text-field';
import {
  emptyTunnelForm,
  parsePort,
  toTunnelDraft,
  tunnelFormFrom,
  validateTunnelForm,
  withPreset,
  type TunnelField,
  type TunnelFormErrors,
  type TunnelFormValues,
} from '../validation/tunnel-form';
import '../styles/share.css';
import { useAction } from './use-action';
import { useServerList, type ListServers } from './use-server-list';

export interface TunnelEditorProps {
  readonly editing: TunnelConfig | null;
  readonly tunnels: readonly TunnelConfig[];
  /** The preset a new tunnel starts with. */
  readonly initialKind?: TunnelKind;
  /** Undefined when there is no bridge to send the draft to. */
  readonly onSubmit: (draft: TunnelDraft) => Promise<Result<TunnelConfig>> | undefined;
  /** Main's free port from `port` up; null when it cannot say. Absent without a bridge. */
  readonly suggestPort?: (request: PortSuggestionRequest) => Promise<number | null>;
  /** The tenant's published servers this identity may reach; absent without a bridge. */
  readonly listServers?: ListServers;
  /** Closed: with the tunnel saved, or null when cancelled. */
  readonly onDone: (saved: TunnelConfig | null) => void;
}

const FIELDS: readonly TunnelField[] = [
  'name',
  'localHost',
  'localPort',
  'remoteHost',
  'remotePort',
];
/** A published port's preset: Open starts the client that fits it. */
const kindOfPort = (port: number): TunnelKind =>
  port === 3389 ? 'rdp' : port === 22 ? 'ssh' : 'other';

/** A typed local port is checked once typing pauses this long. */
const PORT_CHECK_DELAY_MS = 300;

export function TunnelEditor(props: TunnelEditorProps) {
  const { editing, tunnels, suggestPort } = props;
  const { t } = useI18n();
  const presetNames = useMemo(() => TUNNEL_PRESETS.map((p) => t(`preset.${p.kind}`)), [t]);
  const [values, setValues] = useState<TunnelFormValues>(() => {
    if (editing) return tunnelFormFrom(editing);
    const kind = props.initialKind ?? 'rdp';
    return emptyTunnelForm(kind, kind === 'other' ? '' : t(`preset.${kind}`));
  });
  const [touched, setTouched] = useState<ReadonlySet<TunnelField>>(new Set());
  const [target, setTarget] = useState<'host' | 'server'>(editing?.server ? 'server' : 'host');
  // A name the person typed stays; until then choosing a computer names the tunnel after it.
  const [isNameTyped, setNameTyped] = useState(editing !== null);
  const [isServerTouched, setServerTouched] = useState(false);
  const [servers, refreshServers] = useServerList(props.listServers, target === 'server');
  // The local port is the person's once they type in it (an edited tunnel's is theirs).
  const [isPortTyped, setPortTyped] = useState(editing !== null);
  const [taken, setTaken] = useState<{ port: number; free: number } | null>(null);
  const [action, run] = useAction();
  // Main's field messages the person has since edited away.
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());
  const asked = useRef(0);
  const editingId = editing?.id ?? null;
  const errors = useMemo((): TunnelFormErrors => {
    const found = validateTunnelForm(values, tunnels, editingId);
    if (target !== 'server') return found;
    // A shared computer's tunnel has no remote host of its own to check.
    const { remoteHost: _host, ...rest } = found;
    return values.server === ''
      ? { ...rest, server: { key: 'validation.required' as const } }
      : rest;
  }, [values, tunnels, editingId, target]);
  const idPrefix = `tunnel-${editingId ?? 'new'}`;
  const remotePort = parsePort(values.remotePort);
  const localPort = parsePort(values.localPort);
  const localHost = values.localHost.trim();
  const hasPortError = errors.localPort !== undefined;

  // Untyped: main's free port for this remote port. Typed: is it free? If not, the next one.
  useEffect(() => {
    // Every change makes an answer to an earlier question stale.
    const ticket = ++asked.current;
    if (!suggestPort || localHost === '') return undefined;
    const wanted = isPortTyped
      ? localPort
      : remotePort === null
        ? null
        : preferredLocalPort(remotePort);
    // A note from an earlier answer shows only while it is about the port in the field.
    if (wanted === null || (isPortTyped && hasPortError)) return undefined;
    const timer = setTimeout(
      () => {
        void suggestPort({
          port: wanted,
          localHost,
          ...(editingId ? { tunnelId: editingId } : {}),
        }).then((free) => {
          if (ticket !== asked.current || free === null) return;
          if (!isPortTyped) {
            setValues((prev) => ({ ...prev, localPort: String(free) }));
            setTaken(null);
          } else setTaken(free === wanted ? null : { port: wanted, free });
        });
      },
      isPortTyped ? PORT_CHECK_DELAY_MS : 0,
    );
    return () => clearTimeout(timer);
  }, [suggestPort, isPortTyped, localPort, remotePort, localHost, hasPortError, editingId]);

  const update = <K extends keyof TunnelFormValues>(key: K, value: TunnelFormValues[K]) => {
    setValues((prev) => ({ ...prev, [key]: value }));
    if (key === 'localPort') setPortTyped(true);
    if (key === 'name') setNameTyped(true);
    if (key in action.fields) setDismissed((prev) => new Set(prev).add(key));
    if ((FIELDS as readonly string[]).includes(key))
      setTouched((prev) => new Set(prev).add(key as TunnelField));
  };
  const choosePreset = (kind: TunnelKind) =>
    setValues((prev) => {
      const next = withPreset(prev, kind, kind === 'other' ? '' : t(`preset.${kind}`), presetNames);
      // A port main suggested for the last preset is not this one's.
      return isPortTyped ? next : { ...next, localPort: '' };
    });

  const chooseTarget = (next: 'host' | 'server') => {
    setTarget(next);
    setServerTouched(false);
    if (next === 'host')
      setValues((prev) => ({
        ...prev,
        server: '',
        remoteHost: prev.server !== '' && prev.remoteHost === prev.server ? '' : prev.remoteHost,
      }));
  };
  const chooseServer = (server: string, port: number | null) => {
    setServerTouched(true);
    if ('server' in action.fields) setDismissed((prev) => new Set(prev).add('server'));
    setValues((prev) => {
      const kind = port === null ? prev.kind : kindOfPort(port);
      const service = port === null ? null : serviceName(t, port);
      return {
        ...prev,
        server,
        remoteHost: server,
        remotePort: port === null ? prev.remotePort : String(port),
        kind,
        ...(!isNameTyped && server !== '' && service !== null
          ? { name: t('serverPick.tunnelName', { service, server }) }
          : {}),
        // A port main suggested for another service is not this one's.
        ...(isPortTyped || port === parsePort(prev.remotePort) ? {} : { localPort: '' }),
      };
    });
  };

  const say = (problem: FieldProblem | undefined): string | null =>
    problem ? t(problem.key, problem.params) : null;
  const fieldError = (field: TunnelField): string | null => {
    const server = dismissed.has(field) ? undefined : action.fields[field];
    if (server) return say(server);
    return touched.has(field) ? say(errors[field]) : null;
  };
  // The tunnel being edited was removed meanwhile (here or by main): no field can fix that.
  const goneError = say(errors.id ?? action.fields['id']);
  const serverError =
    target !== 'server'
      ? null
      : !dismissed.has('server') && action.fields['server']
        ? say(action.fields['server'])
        : isServerTouched
          ? say(errors.server)
          : null;

  const submit = async () => {
    setTouched(new Set(FIELDS));
    setServerTouched(true);
    if (Object.keys(errors).length > 0) return;
    setDismissed(new Set());
    const result = await run(() => props.onSubmit(toTunnelDraft(values, editingId)));
    if (result?.ok) props.onDone(result.value);
  };

  const textField = (field: TunnelField, extra: { inputMode?: 'numeric'; help?: string } = {}) => (
    <TextField
      id={`${idPrefix}-${field}`}
      label={t(`form.${field}`)}
      value={values[field]}
      inputMode={extra.inputMode}
      help={extra.help}
      required
      error={fieldError(field)}
      onChange={(v) => update(field, v)}
      onBlur={() => setTouched((p) => new Set(p).add(field))}
    />
  );

  const hasVisibleErrors = FIELDS.some((f) => fieldError(f) !== null) || serverError !== null;
  const isTakenShown =
    taken !== null &&
    isPortTyped &&
    taken.port === localPort &&
    !hasPortError &&
    fieldError('localPort') === null;

  return (
    <form
      className="panel tunnel-editor"
      aria-labelledby={`${idPrefix}-title`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h3 id={`${idPrefix}-title`}>{editing ? t('form.editTitle') : t('form.addTitle')}</h3>
      <fieldset className="share-choices">
        <legend className="field-label">{t('serverPick.legend')}</legend>
        {(['host', 'server'] as const).map((choice) => (
          <label key={choice} className="share-radio">
            <input
              type="radio"
              name={`${idPrefix}-target`}
              checked={target === choice}
              onChange={() => chooseTarget(choice)}
            />
            {t(`serverPick.${choice}`)}
          </label>
        ))}
      </fieldset>
      {target === 'host' ? (
        <PresetPicker
          name={`${idPrefix}-preset`}
          value={values.kind}
          t={t}
          onChange={choosePreset}
        />
      ) : (
        <ServerPicker
          idPrefix={idPrefix}
          t={t}
          list={servers}
          server={values.server}
          port={values.server === '' ? null : parsePort(values.remotePort)}
          error={serverError}
          onChoose={chooseServer}
          onRefresh={refreshServers}
        />
      )}
      {/* What to reach, then where on this computer to connect to it. */}
      <div className="form-grid tunnel-fields">
        {textField('name')}
        {target === 'host'
          ? textField('remoteHost', {
              ...(values.remoteHost.trim() === PRESET_REMOTE_HOST
                ? { help: t('form.remoteHostHelp') }
                : {}),
            })
          : null}
        {target === 'host' ? textField('remotePort', { inputMode: 'numeric' }) : null}
        {textField('localHost')}
        <div className="field-with-note">
          {textField('localPort', { inputMode: 'numeric' })}
          {isTakenShown ? (
            <p className="port-note" role="status" data-testid="port-taken">
              {t('form.portInUse', { port: taken.port })}{' '}
              <button
                type="button"
                className="button button-small"
                onClick={() => {
                  update('localPort', String(taken.free));
                  setTaken(null);
                }}
              >
                {t('form.usePort', { port: taken.free })}
              </button>
            </p>
          ) : null}
        </div>
      </div>
      <Switch
        id={`${idPrefix}-enabled`}
        checked={values.enabled}
        label={t('form.enabled')}
        showLabel
        onChange={(v) => update('enabled', v)}
      />
      {hasVisibleErrors ? (
        <p className="form-summary" role="status">
          {t('form.errors')}
        </p>
      ) : null}
      {goneError ? (
        <p className="form-summary" role="alert">
          {goneError}
        </p>
      ) : null}
      {action.error ? <ErrorPanel error={action.error} t={t} /> : null}
      <div className="actions">
        <button type="submit" className="button button-primary" disabled={action.isBusy}>
          {action.isBusy ? t('form.saving') : t('form.save')}
        </button>
        <button type="button" className="button" onClick={() => props.onDone(null)}>
          {t('form.cancel')}
        </button>
      </div>
    </form>
  );
}

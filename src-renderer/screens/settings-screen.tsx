// Settings: the relay profile (host, port, CA file, pin, server name, insecure), start-up and
// notification switches, and the language. Switches save at once; the relay form on Save.
// The relay form is checked by the shared rules main applies; what is shown comes from main's
// pushes only (a reply's settings never write the store).
import { useState } from 'react';
import type {
  AppSettings,
  FieldProblem,
  Language,
  NotificationSettings,
} from '../../src-main/shared/ipc-contract';
import { useAppState, useBridge, useI18n } from '../app-context';
import { Banner } from '../components/banner';
import { ErrorPanel } from '../components/error-panel';
import { SelectField } from '../components/select-field';
import { Switch } from '../components/switch';
import { TextField } from '../components/text-field';
import { selectSettings } from '../store/selectors';
import {
  relayForm,
  relayFrom,
  validateRelayForm,
  type RelayFormField,
  type RelayFormValues,
} from '../validation/relay-form';
import { useAction } from './use-action';

export function SettingsScreen() {
  const settings = useAppState(selectSettings);
  // Which saved profile the "Saved." note belongs to; it lives here because the form below
  // is re-created whenever main's profile changes, including after our own save.
  const [savedKey, setSavedKey] = useState<string | null>(null);
  if (!settings) return null;
  const relayKey = JSON.stringify(settings.relay);
  // Re-seed the relay form whenever main's saved profile changes (e.g. built-in relay chosen).
  return (
    <SettingsForm
      key={relayKey}
      settings={settings}
      isSaved={savedKey === relayKey}
      onSaved={setSavedKey}
    />
  );
}

interface SettingsFormProps {
  readonly settings: AppSettings;
  readonly isSaved: boolean;
  readonly onSaved: (relayKey: string) => void;
}

function SettingsForm({ settings, isSaved, onSaved }: SettingsFormProps) {
  const { t } = useI18n();
  const bridge = useBridge();
  const [values, setValues] = useState<RelayFormValues>(() => relayForm(settings.relay));
  const [isSubmitted, setSubmitted] = useState(false);
  const [isEdited, setEdited] = useState(false);
  const [relayAction, runRelay] = useAction();
  const [action, run] = useAction();
  const relay = relayFrom(values, settings.relay);
  const errors = validateRelayForm(values, settings.relay);

  const say = (problem: FieldProblem | undefined): string | null =>
    problem ? t(problem.key, problem.params) : null;
  const fieldError = (field: RelayFormField): string | null => {
    const server = relayAction.fields[field];
    if (server) return say(server);
    if (field === 'caFile') return null;
    return isSubmitted || values.host !== '' ? say(errors[field]) : null;
  };

  const set = <K extends keyof RelayFormValues>(key: K, value: RelayFormValues[K]) => {
    setEdited(true);
    setValues((prev) => ({ ...prev, [key]: value }));
  };

  // Main pushes the saved settings (app.changed); the reply only says whether it worked.
  const update = (patch: Partial<Omit<AppSettings, 'tunnels'>>) => {
    void run(() => bridge?.settingsUpdate(patch));
  };

  const saveRelay = async () => {
    setSubmitted(true);
    if (Object.keys(errors).length > 0) return;
    const result = await runRelay(() => bridge?.settingsUpdate({ relay }));
    if (result?.ok) onSaved(JSON.stringify(result.value.relay));
  };

  const notify = (key: keyof NotificationSettings, value: boolean) =>
    update({ notifications: { ...settings.notifications, [key]: value } });

  return (
    <section className="screen" aria-labelledby="settings-heading">
      <header className="screen-header">
        <h2 id="settings-heading">{t('settings.heading')}</h2>
      </header>

      <form
        className="panel"
        aria-labelledby="settings-relay"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void saveRelay();
        }}
      >
        <h3 id="settings-relay">{t('settings.relay')}</h3>
        <div className="form-grid">
          <TextField
            id="relay-host"
            label={t('settings.relayHost')}
            value={values.host}
            error={fieldError('host')}
            onChange={(v) => set('host', v)}
          />
          <TextField
            id="relay-port"
            label={t('settings.relayPort')}
            value={values.port}
            inputMode="numeric"
            error={fieldError('port')}
            onChange={(v) => set('port', v)}
          />
          <TextField
            id="relay-ca"
            label={t('settings.caFile')}
            help={t('settings.caFileHelp')}
            value={values.caFile}
            error={fieldError('caFile')}
            onChange={(v) => set('caFile', v)}
          />
          <TextField
            id="relay-pin"
            label={t('settings.pin')}
            value={values.pin}
            error={fieldError('pinSha256')}
            onChange={(v) => set('pin', v)}
          />
          <TextField
            id="relay-sni"
            label={t('settings.serverName')}
            help={t('settings.serverNameHelp')}
            value={values.serverName}
            error={fieldError('serverName')}
            onChange={(v) => set('serverName', v)}
          />
        </div>
        <Switch
          id="relay-insecure"
          checked={values.insecure}
          label={t('settings.insecure')}
          showLabel
          onChange={(v) => set('insecure', v)}
        />
        {values.insecure ? (
          <Banner tone="danger" title={t('status.insecureTitle')}>
            <p>{t('status.insecureBody')}</p>
          </Banner>
        ) : null}
        {relayAction.error ? <ErrorPanel error={relayAction.error} t={t} /> : null}
        <div className="actions">
          <button
            type="submit"
            className="button button-primary"
            disabled={!bridge || relayAction.isBusy}
          >
            {t('settings.saveRelay')}
          </button>
          {isSaved && !isEdited ? (
            <span className="note" role="status">
              {t('settings.saved')}
            </span>
          ) : null}
        </div>
      </form>

      <section className="panel" aria-labelledby="settings-general">
        <h3 id="settings-general">{t('settings.general')}</h3>
        <div className="switch-list">
          <Switch
            id="set-autoconnect"
            checked={settings.autoConnect}
            label={t('settings.autoConnect')}
            showLabel
            disabled={!bridge}
            onChange={(v) => update({ autoConnect: v })}
          />
          <Switch
            id="set-login"
            checked={settings.launchAtLogin}
            label={t('settings.launchAtLogin')}
            showLabel
            disabled={!bridge}
            onChange={(v) => update({ launchAtLogin: v })}
          />
        </div>
        <SelectField<Language>
          id="set-language"
          label={t('settings.language')}
          value={settings.language}
          options={(['system', 'en', 'ru'] as const).map((value) => ({
            value,
            label: t(`language.${value}`),
          }))}
          disabled={!bridge}
          onChange={(language) => update({ language })}
        />
      </section>

      <section className="panel" aria-labelledby="settings-notifications">
        <h3 id="settings-notifications">{t('settings.notifications')}</h3>
        <div className="switch-list">
          <Switch
            id="notify-lost"
            checked={settings.notifications.connectionLost}
            label={t('settings.notifyLost')}
            showLabel
            disabled={!bridge}
            onChange={(v) => notify('connectionLost', v)}
          />
          <Switch
            id="notify-restored"
            checked={settings.notifications.connectionRestored}
            label={t('settings.notifyRestored')}
            showLabel
            disabled={!bridge}
            onChange={(v) => notify('connectionRestored', v)}
          />
          <Switch
            id="notify-expiry"
            checked={settings.notifications.tokenExpiry}
            label={t('settings.notifyExpiry')}
            showLabel
            disabled={!bridge}
            onChange={(v) => notify('tokenExpiry', v)}
          />
        </div>
      </section>

      {action.error ? <ErrorPanel error={action.error} t={t} /> : null}
    </section>
  );
}

// Settings: the relay (relay-panel.tsx: one profile, saved as a whole with Save, testable
// without saving), and the app's own switches and language, each applied the moment it
// changes. Every change says "Saved." or why not in the same place and words (SaveStatus).
// What is shown comes from main's pushes only (a reply's settings never write the store).
import { useState } from 'react';
import type {
  AppSettings,
  Language,
  NotificationSettings,
} from '../../src-main/shared/ipc-contract';
import { useAppState, useBridge, useI18n } from '../app-context';
import { SaveStatus } from '../components/save-status';
import { SelectField } from '../components/select-field';
import { Switch } from '../components/switch';
import { selectSettings } from '../store/selectors';
import { RelayPanel } from './relay-panel';
import { useAction } from './use-action';

type Section = 'general' | 'notifications';

export function SettingsScreen() {
  const { t } = useI18n();
  const bridge = useBridge();
  const settings = useAppState(selectSettings);
  // Which saved profile the "Saved." note belongs to; it lives here because the relay panel
  // is re-created whenever main's profile changes, including after our own save.
  const [savedKey, setSavedKey] = useState<string | null>(null);
  const [action, run] = useAction();
  const [lastSection, setLastSection] = useState<Section | null>(null);
  const [isDone, setDone] = useState(false);
  if (!settings) return null;
  const relayKey = JSON.stringify(settings.relay);

  // Main pushes the saved settings (app.changed); the reply only says whether it worked.
  const update = (section: Section, patch: Partial<Omit<AppSettings, 'tunnels'>>) => {
    setLastSection(section);
    setDone(false);
    void run(() => bridge?.settingsUpdate(patch)).then((result) => setDone(result?.ok === true));
  };
  const status = (section: Section) =>
    lastSection === section ? (
      <SaveStatus
        isBusy={action.isBusy}
        isSaved={isDone}
        error={action.error}
        t={t}
        testId={`${section}-status`}
      />
    ) : null;

  const notify = (key: keyof NotificationSettings, value: boolean) =>
    update('notifications', { notifications: { ...settings.notifications, [key]: value } });

  return (
    <section className="screen screen-settings" aria-labelledby="settings-heading">
      <header className="screen-header">
        <h2 id="settings-heading">{t('settings.heading')}</h2>
      </header>

      <RelayPanel
        key={relayKey}
        settings={settings}
        isSaved={savedKey === relayKey}
        onSaved={setSavedKey}
      />

      <section className="panel" aria-labelledby="settings-general">
        <div className="panel-head">
          <h3 id="settings-general">{t('settings.general')}</h3>
          {status('general')}
        </div>
        <p className="field-help">{t('settings.applies')}</p>
        <div className="switch-list">
          <Switch
            id="set-autoconnect"
            checked={settings.autoConnect}
            label={t('settings.autoConnect')}
            showLabel
            disabled={!bridge}
            onChange={(v) => update('general', { autoConnect: v })}
          />
          <Switch
            id="set-login"
            checked={settings.launchAtLogin}
            label={t('settings.launchAtLogin')}
            showLabel
            disabled={!bridge}
            onChange={(v) => update('general', { launchAtLogin: v })}
          />
        </div>
        <div className="setting-row">
          <SelectField<Language>
            id="set-language"
            label={t('settings.language')}
            value={settings.language}
            options={(['system', 'en', 'ru'] as const).map((value) => ({
              value,
              label: t(`language.${value}`),
            }))}
            disabled={!bridge}
            onChange={(language) => update('general', { language })}
          />
        </div>
      </section>

      <section className="panel" aria-labelledby="settings-notifications">
        <div className="panel-head">
          <h3 id="settings-notifications">{t('settings.notifications')}</h3>
          {status('notifications')}
        </div>
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
    </section>
  );
}

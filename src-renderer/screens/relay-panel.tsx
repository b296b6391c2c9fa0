// Settings' relay: the saved profile in one glance (address, certificate trust, pin) with
// Test connection and Change…, and its editor: host and port, TLS fields under Advanced (a
// file picker for the CA), Test connection on what is typed (nothing saved), Cancel and Save.
// A relay is one setting of several fields, so it is saved as a whole with Save, like a
// tunnel; the form is checked by the shared rules main applies. What shows comes from main.
import { useState } from 'react';
import type { AppSettings, FieldProblem, RelayProfile } from '../../src-main/shared/ipc-contract';
import type { RelayTestReport } from '../../src-main/shared/relay-test';
import { useBridge, useI18n } from '../app-context';
import { Banner } from '../components/banner';
import { DetailsList } from '../components/details-list';
import { ErrorPanel } from '../components/error-panel';
import { RelayTestResult } from '../components/relay-test-result';
import { SaveStatus } from '../components/save-status';
import { Switch } from '../components/switch';
import { TextField } from '../components/text-field';
import {
  relayForm,
  relayFrom,
  validateRelayForm,
  type RelayFormField,
  type RelayFormValues,
} from '../validation/relay-form';
import { useAction } from './use-action';

export interface RelayPanelProps {
  readonly settings: AppSettings;
  /** True right after this profile was saved from here: "Saved." shows under it. */
  readonly isSaved: boolean;
  readonly onSaved: (relayKey: string) => void;
}

export function RelayPanel({ settings, isSaved, onSaved }: RelayPanelProps) {
  const { t } = useI18n();
  const bridge = useBridge();
  const saved = settings.relay;
  const [isEditing, setEditing] = useState(saved === null);
  const [values, setValues] = useState<RelayFormValues>(() => relayForm(saved));
  const [isAdvancedOpen, setAdvancedOpen] = useState(
    () =>
      saved !== null &&
      (saved.caFile !== null ||
        saved.pinSha256 !== null ||
        saved.serverName !== null ||
        saved.insecure),
  );
  const [isSubmitted, setSubmitted] = useState(false);
  const [report, setReport] = useState<RelayTestReport | null>(null);
  const [saveAction, runSave] = useAction();
  const [testAction, runTest] = useAction();
  const [pickAction, runPick] = useAction();
  const draft = relayFrom(values, saved);
  const errors = validateRelayForm(values, saved);

  const say = (problem: FieldProblem | undefined): string | null =>
    problem ? t(problem.key, problem.params) : null;
  const fieldError = (field: RelayFormField): string | null => {
    const fromMain = saveAction.fields[field] ?? testAction.fields[field];
    if (fromMain) return say(fromMain);
    if (field === 'caFile') return null;
    return isSubmitted || values.host !== '' ? say(errors[field]) : null;
  };

  const set = <K extends keyof RelayFormValues>(key: K, value: RelayFormValues[K]) => {
    setReport(null);
    setValues((prev) => ({ ...prev, [key]: value }));
  };

  const isValid = () => {
    setSubmitted(true);
    const problems = Object.keys(errors);
    // A problem among the TLS fields must be seen: open Advanced.
    if (problems.some((f) => f === 'pinSha256' || f === 'serverName')) setAdvancedOpen(true);
    return problems.length === 0;
  };

  const test = async (profile: RelayProfile) => {
    setReport(null);
    const result = await runTest(() => bridge?.relayTest(profile));
    if (result?.ok) setReport(result.value);
  };

  const save = async () => {
    if (!isValid()) return;
    const result = await runSave(() => bridge?.settingsUpdate({ relay: draft }));
    if (result?.ok) {
      onSaved(JSON.stringify(result.value.relay));
      setEditing(false);
    }
  };

  const chooseCa = async () => {
    const result = await runPick(() => bridge?.relayChooseCaFile());
    if (result?.ok && result.value.path !== null) set('caFile', result.value.path);
  };

  const usePin = (pin: string) => {
    if (!isEditing) setEditing(true);
    setAdvancedOpen(true);
    setValues((prev) => ({ ...prev, pin }));
  };

  const testResult = report ? <RelayTestResult report={report} t={t} onUsePin={usePin} /> : null;
  const testError = testAction.error ? <ErrorPanel error={testAction.error} t={t} /> : null;
  const testButton = (profile: () => RelayProfile | null) => (
    <button
      type="button"
      className="button"
      disabled={!bridge || testAction.isBusy}
      onClick={() => {
        const target = profile();
        if (target) void test(target);
      }}
    >
      {testAction.isBusy ? t('relayTest.running') : t('relayTest.button')}
    </button>
  );

  if (!isEditing && saved) {
    return (
      <section className="panel" aria-labelledby="settings-relay" data-testid="relay-summary">
        <div className="panel-head">
          <h3 id="settings-relay">{t('settings.relay')}</h3>
          <div className="actions">
            {testButton(() => saved)}
            <button type="button" className="button" onClick={() => setEditing(true)}>
              {t('settings.change')}
            </button>
          </div>
        </div>
        <DetailsList
          items={[
            ...(saved.builtin
              ? [{ label: t('settings.relay'), value: t('settings.builtin') }]
              : []),
            {
              label: t('settings.address'),
              value: <span className="address">{`${saved.host}:${saved.port}`}</span>,
              testId: 'relay-address',
            },
            {
              label: t('settings.trust'),
              value: saved.insecure ? (
                <span className="status-failed">{t('settings.plaintext')}</span>
              ) : saved.caFile !== null ? (
                <span className="path">{saved.caFile}</span>
              ) : (
                t('settings.trustSystem')
              ),
            },
            {
              label: t('settings.pinShort'),
              value: saved.pinSha256 !== null ? t('settings.pinSet') : t('settings.pinNone'),
            },
          ]}
        />
        {isSaved ? (
          <SaveStatus isBusy={false} isSaved error={null} t={t} testId="relay-saved" />
        ) : null}
        {testError}
        {testResult}
      </section>
    );
  }

  return (
    <form
      className="panel"
      aria-labelledby="settings-relay"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <div className="panel-head">
        <h3 id="settings-relay">{t('settings.relay')}</h3>
      </div>
      <div className="relay-fields">
        <TextField
          id="relay-host"
          label={t('settings.relayHost')}
          value={values.host}
          error={fieldError('host')}
          onChange={(v) => set('host', v)}
        />
        <TextField
          id="relay-port"
          className="field-port"
          label={t('settings.relayPort')}
          value={values.port}
          inputMode="numeric"
          error={fieldError('port')}
          onChange={(v) => set('port', v)}
        />
      </div>
      <details
        className="advanced"
        open={isAdvancedOpen}
        onToggle={(e) => setAdvancedOpen(e.currentTarget.open)}
      >
        <summary>{t('settings.advanced')}</summary>
        <div className="advanced-fields">
          <TextField
            id="relay-ca"
            label={t('settings.caFile')}
            help={t('settings.caFileHelp')}
            value={values.caFile}
            error={fieldError('caFile')}
            onChange={(v) => set('caFile', v)}
            action={
              <button
                type="button"
                className="button"
                disabled={!bridge || pickAction.isBusy}
                onClick={() => void chooseCa()}
              >
                {t('settings.chooseFile')}
              </button>
            }
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
        </div>
      </details>
      {pickAction.error ? <ErrorPanel error={pickAction.error} t={t} /> : null}
      <p className="field-help">{t('settings.relayApplies')}</p>
      <div className="actions actions-split">
        {testButton(() => (isValid() ? draft : null))}
        <span className="actions">
          {saved ? (
            <button
              type="button"
              className="button"
              onClick={() => {
                setValues(relayForm(saved));
                setReport(null);
                setEditing(false);
              }}
            >
              {t('form.cancel')}
            </button>
          ) : null}
          <button
            type="submit"
            className="button button-primary"
            disabled={!bridge || saveAction.isBusy}
          >
            {t('settings.saveRelay')}
          </button>
        </span>
      </div>
      <SaveStatus isBusy={saveAction.isBusy} isSaved={false} error={saveAction.error} t={t} />
      {testError}
      {testResult}
    </form>
  );
}

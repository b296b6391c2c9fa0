// The window: left navigation and one screen at a time. Which screen shows is local UI state;
// everything else comes from the store.
import { useState } from 'react';
import { useAppState, useI18n } from './app-context';
import { ErrorPanel } from './components/error-panel';
import { NavBar } from './components/nav-bar';
import { StateBadge } from './components/state-badge';
import { AboutScreen } from './screens/about-screen';
import { AccountScreen } from './screens/account-screen';
import { LogsScreen } from './screens/logs-screen';
import { SettingsScreen } from './screens/settings-screen';
import { StatusScreen } from './screens/status-screen';
import { TunnelsScreen } from './screens/tunnels-screen';
import { selectConnectionState, selectLoad, selectLoadError } from './store/selectors';

export const VIEWS = ['status', 'tunnels', 'account', 'logs', 'settings', 'about'] as const;
export type View = (typeof VIEWS)[number];

export interface AppProps {
  readonly initialView?: View;
}

export function App({ initialView = 'status' }: AppProps) {
  const { t, locale } = useI18n();
  const [view, setView] = useState<View>(initialView);
  const load = useAppState(selectLoad);
  const loadError = useAppState(selectLoadError);
  const state = useAppState(selectConnectionState);

  let content;
  if (load === 'no-bridge') {
    content = (
      <p className="banner banner-danger" role="alert">
        {t('app.noBridge')}
      </p>
    );
  } else if (load === 'failed' && loadError) {
    content = <ErrorPanel error={loadError} t={t} />;
  } else if (load === 'loading') {
    content = <p className="muted">{t('app.loading')}</p>;
  } else {
    switch (view) {
      case 'status':
        content = <StatusScreen onOpenSettings={() => setView('settings')} />;
        break;
      case 'tunnels':
        content = <TunnelsScreen />;
        break;
      case 'account':
        content = <AccountScreen />;
        break;
      case 'logs':
        content = <LogsScreen />;
        break;
      case 'settings':
        content = <SettingsScreen />;
        break;
      case 'about':
        content = <AboutScreen />;
        break;
    }
  }

  return (
    <div className="app" lang={locale}>
      <aside className="sidebar">
        <h1 className="app-title">{t('app.title')}</h1>
        <NavBar<View>
          label={t('nav.label')}
          items={VIEWS.map((v) => ({ view: v, label: t(`nav.${v}`) }))}
          current={view}
          onSelect={setView}
          footer={
            load === 'ready' ? (
              <StateBadge state={state} label={t(`state.${state}`)} isLive={false} />
            ) : null
          }
        />
      </aside>
      <main className="content">{content}</main>
    </div>
  );
}

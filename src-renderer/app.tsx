// The window: a fixed sidebar (the app's name, one button per view, a status dot on Status)
// and one view at a time. Which view shows is local UI state, moved by the sidebar and by
// main's window.show push (a tray entry); everything else comes from the store. The
// connection state is said once: by Status's header there, by the dot on Status elsewhere.
import { useEffect, useState } from 'react';
import { WINDOW_VIEWS, type WindowView } from '../src-main/shared/ipc-contract';
import type { ConnectionState } from '../src-main/shared/model';
import { useAppState, useBridge, useI18n } from './app-context';
import { AppMark } from './components/app-mark';
import { ErrorPanel } from './components/error-panel';
import type { IconName } from './components/icon';
import { NavBar, type IndicatorTone } from './components/nav-bar';
import { AboutScreen } from './screens/about-screen';
import { AccountScreen } from './screens/account-screen';
import { LogsScreen } from './screens/logs-screen';
import { SettingsScreen } from './screens/settings-screen';
import { ShareScreen } from './screens/share-screen';
import { StatusScreen, type NavigateTo } from './screens/status-screen';
import { TunnelsScreen } from './screens/tunnels-screen';
import { selectConnectionState, selectLoad, selectLoadError } from './store/selectors';

/** The views, in navigation order: the same list main's window.show push names. */
const VIEWS = WINDOW_VIEWS;
type View = WindowView;

const ICONS: Readonly<Record<View, IconName>> = {
  status: 'status',
  tunnels: 'tunnels',
  share: 'share',
  account: 'account',
  logs: 'logs',
  settings: 'settings',
  about: 'about',
};

const TONES: Readonly<Record<ConnectionState, IndicatorTone>> = {
  active: 'ok',
  authenticating: 'busy',
  registered: 'busy',
  reconnecting: 'warn',
  disconnected: 'off',
};

function isView(value: unknown): value is View {
  return typeof value === 'string' && (VIEWS as readonly string[]).includes(value);
}

export interface AppProps {
  readonly initialView?: View;
}

export function App({ initialView = 'status' }: AppProps) {
  const { t, locale } = useI18n();
  const bridge = useBridge();
  const [view, setView] = useState<View>(initialView);
  const load = useAppState(selectLoad);
  const loadError = useAppState(selectLoadError);
  const state = useAppState(selectConnectionState);
  // What Tunnels opens with when a step elsewhere sends the person there.
  const [tunnelsIntent, setTunnelsIntent] = useState<Omit<NavigateTo, 'view'>>({});
  const navigate = ({ view: next, ...intent }: NavigateTo) => {
    setTunnelsIntent(next === 'tunnels' ? intent : {});
    setView(next);
  };

  // A tray entry ("Show in window", "Sign in…") names the view main revealed the window for.
  useEffect(
    () =>
      bridge?.on('cloudbridge:window.show', (request) => {
        if (!isView(request.view)) return;
        setTunnelsIntent(request.tunnelId === null ? {} : { tunnelId: request.tunnelId });
        setView(request.view);
      }),
    [bridge],
  );

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
        content = <StatusScreen onNavigate={navigate} />;
        break;
      case 'tunnels':
        content = (
          <TunnelsScreen
            addKind={tunnelsIntent.addKind ?? null}
            focusTunnelId={tunnelsIntent.tunnelId ?? null}
          />
        );
        break;
      case 'share':
        content = <ShareScreen onNavigate={navigate} />;
        break;
      case 'account':
        content = <AccountScreen onOpenSettings={() => setView('settings')} />;
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
        <h1 className="app-title">
          <AppMark />
          <span className="app-title-text">{t('app.title')}</span>
        </h1>
        <NavBar<View>
          label={t('nav.label')}
          items={VIEWS.map((v) => ({
            view: v,
            label: t(`nav.${v}`),
            icon: ICONS[v],
            // On Status its header says the state; the dot would say it twice.
            ...(v === 'status' && view !== 'status' && load === 'ready'
              ? { indicator: { tone: TONES[state], label: t(`state.${state}`) } }
              : {}),
          }))}
          current={view}
          onSelect={(next) => navigate({ view: next })}
        />
      </aside>
      <main className="content">{content}</main>
    </div>
  );
}

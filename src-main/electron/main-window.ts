// The one BrowserWindow: sandboxed, isolated, no Node, no webview, devtools only unpackaged,
// shown on ready-to-show, close hides. Denies window.open, navigation off our origin and all
// permissions; only allow-listed https links go to the system browser.

import {
  BrowserWindow,
  shell,
  type BrowserWindowConstructorOptions,
  type Session,
  type WebContents,
} from 'electron';
import { isAllowedExternalUrl } from '../services/external-url';
import { APP_URL, isAppUrl } from './app-protocol';

export interface MainWindowOptions {
  readonly preloadPath: string;
  readonly isPackaged: boolean;
  readonly iconPath?: string;
  readonly title?: string;
}

export function mainWindowOptions(options: MainWindowOptions): BrowserWindowConstructorOptions {
  return {
    width: 1000,
    height: 700,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: options.title ?? 'CloudBridge',
    backgroundColor: '#ffffff',
    ...(options.iconPath !== undefined ? { icon: options.iconPath } : {}),
    webPreferences: {
      preload: options.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: !options.isPackaged,
    },
  };
}

export interface HardenOptions {
  readonly externalAllowList: readonly string[];
  readonly openExternal?: (url: string) => Promise<void>;
}

/** Navigation, new windows, webviews and permissions: all denied at the web-contents level. */
export function hardenWebContents(contents: WebContents, options: HardenOptions): void {
  const openExternal = options.openExternal ?? ((url: string) => shell.openExternal(url));
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalUrl(url, options.externalAllowList))
      void openExternal(url).catch(() => undefined);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export function denyPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

export interface CreateMainWindowOptions extends MainWindowOptions, HardenOptions {
  /** True once the user chose Quit: then closing really closes. */
  readonly isQuitting: () => boolean;
  readonly onVisibilityChange: (visible: boolean) => void;
  readonly url?: string;
  /** False when started at login: stay in the tray until asked. */
  readonly showOnReady?: boolean;
}

export function createMainWindow(options: CreateMainWindowOptions): BrowserWindow {
  const window = new BrowserWindow(mainWindowOptions(options));
  hardenWebContents(window.webContents, options);
  denyPermissions(window.webContents.session);
  if (options.showOnReady !== false) window.once('ready-to-show', () => window.show());
  window.on('close', (event) => {
    if (options.isQuitting()) return;
    event.preventDefault();
    window.hide();
  });
  window.on('show', () => options.onVisibilityChange(true));
  window.on('restore', () => options.onVisibilityChange(true));
  window.on('hide', () => options.onVisibilityChange(false));
  window.on('minimize', () => options.onVisibilityChange(false));
  window.on('closed', () => options.onVisibilityChange(false));
  void window.loadURL(options.url ?? APP_URL);
  return window;
}

/** Brings the window to the front (tray, second instance, notification click). */
export function revealWindow(window: BrowserWindow | null): void {
  if (window === null || window.isDestroyed()) return;
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}

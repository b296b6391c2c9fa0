// The Electron binary cannot run in tests. Modules that require('electron') themselves
// (electron-log/main, our electron/ folder) get this stand-in from the module cache; tests
// that exercise the Electron glue replace its members with their own recording fakes.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const electronPath = require.resolve('electron');

/** Recording stand-ins; tests overwrite the members they drive. */
export const electronStandIn: Record<string, unknown> = {
  app: undefined,
  ipcMain: undefined,
  BrowserWindow: undefined,
  Tray: undefined,
  Menu: undefined,
  nativeImage: undefined,
  shell: undefined,
  dialog: undefined,
  powerMonitor: undefined,
  Notification: undefined,
  safeStorage: undefined,
  contextBridge: undefined,
  ipcRenderer: undefined,
  protocol: undefined,
  net: undefined,
  utilityProcess: undefined,
};

require.cache[electronPath] = {
  id: electronPath,
  filename: electronPath,
  loaded: true,
  exports: electronStandIn,
} as unknown as NodeJS.Module;

import { ipcRenderer } from 'electron';

export const x = ipcRenderer;

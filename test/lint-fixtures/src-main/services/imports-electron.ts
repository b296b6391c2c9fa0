import { app } from 'electron';

export const x = app;

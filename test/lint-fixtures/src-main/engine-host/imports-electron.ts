import { utilityProcess } from 'electron';

export const x = utilityProcess;

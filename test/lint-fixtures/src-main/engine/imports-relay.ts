import { startRelay } from '../relay/relay-server';

export const x = startRelay;

import net from 'node:net';
import { parseLine } from '../protocol/codec';
import type { LogRecord } from '../shared/model';

export const x: [typeof net, typeof parseLine, LogRecord | null] = [net, parseLine, null];

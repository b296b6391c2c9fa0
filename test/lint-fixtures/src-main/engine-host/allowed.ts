import { fork } from 'node:child_process';
import { createEngine } from '../engine/engine';
import { startRelay } from '../relay/relay-server';
import { parseLine } from '../protocol/codec';
import { ERROR_CODES } from '../shared/model';

export const x = [fork, createEngine, startRelay, parseLine, ERROR_CODES];

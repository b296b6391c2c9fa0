import { createEngine } from '../engine/engine';

export const x = createEngine;

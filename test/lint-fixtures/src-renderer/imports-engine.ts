import { createEngine } from '../src-main/engine/engine';

export const x = createEngine;

import { parseLine } from '../protocol/codec';

export const x = parseLine;

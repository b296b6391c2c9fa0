// Splitting a byte string into arbitrary chunks, for property tests of incremental decoders
// (the line codec, the mux frame codec): any chunking must decode the same.

/** Splits `data` at the given cut points (any order, duplicates allowed, taken modulo length + 1). */
export function splitAt(data: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    parts.push(data.subarray(last, p));
    last = p;
  }
  parts.push(data.subarray(last));
  return parts;
}

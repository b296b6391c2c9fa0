// What the per-connection profiler reads out of its tools: `strace -c` tables, `perf report`
// text and V8 CPU profiles restricted to a time window. Fixed inputs taken from real runs.
import { describe, expect, it } from 'vitest';

import {
  parsePerfReport,
  parseStraceSummary,
  summarizeCpuProfile,
  type CpuProfile,
} from '../../bench/profile-readers';

// `strace -c -o FILE node echo.js` (50 connections), trimmed: blank and filled errors columns.
const STRACE = `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ------------------
  9.75    0.001515           6       234           futex
  9.01    0.001399           6       229           read
  8.52    0.001324          12       104           write
  7.06    0.001097          21        50        50 connect
  6.97    0.001083           8       126           close
  0.00    0.000000           0         2         2 access
------ ----------- ----------- --------- --------- ------------------
100.00    0.015531           7       745        52 total
`;

// `perf report --stdio --no-children -g none --sort dso,sym` then `--sort dso` of a
// cpu-clock recording of node, trimmed.
const PERF = `# Total Lost Samples: 0
#
# Samples: 2K of event 'cpu-clock:ppp'
# Event count (approx.): 522000000
#
# Overhead  Shared Object         Symbol
# ........  ....................  ......
#
    17.74%  node                  [.] Builtins_RecordWriteSaveFP
    13.72%  [JIT] tid 21591       [.] 0x00007f035f7c5de3
     1.57%  [kernel.kallsyms]     [k] irqentry_exit_to_user_mode
     1.19%  [kernel.kallsyms]     [k] finish_task_switch.isra.0
     0.73%  libc.so.6             [.] malloc

# Samples: 2K of event 'cpu-clock:ppp'
# Event count (approx.): 522000000
#
# Overhead  Shared Object
# ........  ....................
#
    47.36%  [JIT] tid 21591
    38.28%  node
     8.51%  [kernel.kallsyms]
     5.33%  libc.so.6
`;

describe('per-connection profile readers', () => {
  it('reads calls per syscall from an strace table whatever the errors column holds', () => {
    expect(parseStraceSummary(STRACE)).toEqual({
      futex: 234,
      read: 229,
      write: 104,
      connect: 50,
      close: 126,
      access: 2,
    });
  });

  it('finds no syscalls in text that is not an strace table', () => {
    expect(parseStraceSummary('strace: Process 4242 attached\n')).toEqual({});
  });

  it('turns perf shares into microseconds per connection, JIT code named as one object', () => {
    // 522 ms sampled over 1000 connections: 522 us each.
    const perf = parsePerfReport(PERF, 1000);
    expect(perf.totalUs).toBeCloseTo(522, 6);
    expect(perf.kernelUs).toBeCloseTo(522 * (0.0157 + 0.0119), 6);
    expect(perf.symbols.map(([name]) => name)).toEqual([
      'node Builtins_RecordWriteSaveFP',
      '[JIT] 0x00007f035f7c5de3',
      '[kernel.kallsyms] irqentry_exit_to_user_mode',
      '[kernel.kallsyms] finish_task_switch.isra.0',
      'libc.so.6 malloc',
    ]);
    expect(perf.symbols[1]![1]).toBeCloseTo(522 * 0.1372, 6);
    expect(Object.fromEntries(perf.dsos)).toEqual({
      '[JIT]': expect.closeTo(522 * 0.4736, 6) as number,
      node: expect.closeTo(522 * 0.3828, 6) as number,
      '[kernel.kallsyms]': expect.closeTo(522 * 0.0851, 6) as number,
      'libc.so.6': expect.closeTo(522 * 0.0533, 6) as number,
    });
  });

  it('counts only non-idle samples inside the window, self and inclusive, per connection', () => {
    // (root) -> onConnection (data-path.js:10) -> writeFrame (mux.js:5); (idle) beside them.
    const frame = (functionName: string, url = '', lineNumber = 0) => ({
      functionName,
      url,
      lineNumber,
    });
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2, 4] },
        { id: 2, callFrame: frame('onConnection', 'file:///x/data-path.js', 9), children: [3] },
        { id: 3, callFrame: frame('writeFrame', 'file:///x/mux.js', 4) },
        { id: 4, callFrame: frame('(idle)') },
      ],
      startTime: 1_000,
      // Sample times 1050, 1100, ..., 1400; the window [1100, 1300] holds five of them.
      samples: [3, 3, 2, 4, 3, 2, 3, 3],
      timeDeltas: [50, 50, 50, 50, 50, 50, 50, 50],
    };
    const summary = summarizeCpuProfile(profile, 1_100, 1_300, 2);
    // In the window: 3 (1100), 2 (1150), 4 idle (1200), 3 (1250), 2 (1300).
    expect(summary.samples).toBe(4);
    expect(summary.sampleUs).toBe(50);
    expect(Object.fromEntries(summary.self)).toEqual({
      'writeFrame mux.js:5': 50,
      'onConnection data-path.js:10': 50,
    });
    expect(Object.fromEntries(summary.total)).toEqual({
      'onConnection data-path.js:10': 100,
      'writeFrame mux.js:5': 50,
    });
  });
});

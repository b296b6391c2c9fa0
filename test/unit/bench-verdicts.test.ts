// What the bench concludes from a fixed record: load warnings, ratios and verdicts from the
// medians across rounds, close calls where the rounds overlap.
import { describe, expect, it } from 'vitest';

import {
  judge,
  loadLine,
  loadWarnings,
  publishedLines,
  ratioLines,
  verdictLines,
} from '../../bench/verdicts';
import { benchRecord, QUIET, type Figures } from './bench-fixture';

const CPU = { client: 1, server: 1 };

/** Three rounds in which the tunnel has one bad round (the second). */
function threeRounds(): Readonly<Record<string, Figures>>[] {
  const round = (tunnelOne: number, tunnelP50: number): Record<string, Figures> => ({
    direct: { one: 2120, eight: 1800, p50: 0.1, kib: 0 },
    tunnel: {
      one: tunnelOne,
      eight: 520,
      cpu: { client: 1.5, server: 1.5 },
      p50: tunnelP50,
      p99: 1.0,
      kib: 8,
    },
    stunnel: { one: 500, eight: 500, cpu: { client: 1.2, server: 1.4 }, p50: 2.4, kib: 184 },
    'ssh -L': {
      one: 520,
      eight: 450,
      cpu: { client: 1.1, server: 1.1 },
      p50: 0.35,
      p99: 0.8,
      kib: 66,
    },
    'node pipe': { one: 460, eight: 460, cpu: CPU, p50: 4.6, kib: 63 },
  });
  return [round(540, 0.34), round(200, 0.9), round(530, 0.33)];
}

describe('bench load warnings', () => {
  it('prints no warning when the machine was quiet, though the load at end counts the bench itself', () => {
    expect(loadWarnings(QUIET, 300)).toEqual([]);
  });

  it('warns when the 1-minute load at start was above half the CPUs, and says so', () => {
    const warnings = loadWarnings(
      { ...QUIET, start: { loadAverage: [1.3, 0.5, 0.2], cpus: 2 } },
      300,
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warning: at start the 1-minute load average was 1\.30 on 2 CPUs/);
  });

  it('does not warn at exactly half the CPUs', () => {
    expect(loadWarnings({ ...QUIET, start: { loadAverage: [1, 1, 1], cpus: 2 } }, 300)).toEqual([]);
  });

  it('warns when other processes kept more than half the CPUs busy during the run', () => {
    // 930 busy CPU seconds over 300 s, 300 of them ours: others averaged 2.1 CPUs of 4.
    const busy = {
      ...QUIET,
      end: { loadAverage: [3, 3, 3] as const, cpus: 4 },
      busySeconds: 930,
      ownSeconds: 300,
    };
    expect(loadWarnings(busy, 300)).toEqual([
      expect.stringMatching(/^warning: during the run other processes kept 2\.10 of 4 CPUs busy/),
    ]);
    // Exactly half (2 of 4) is not above it.
    expect(loadWarnings({ ...busy, busySeconds: 900 }, 300)).toEqual([]);
  });

  it('falls back to the load at end where the machine CPU time is unknown', () => {
    const warnings = loadWarnings({ ...QUIET, busySeconds: null }, 300);
    expect(warnings).toEqual([
      expect.stringMatching(/^warning: at end the 1-minute load average was 1\.90/),
    ]);
    expect(
      loadWarnings(
        { ...QUIET, busySeconds: null, end: { loadAverage: [0.9, 0, 0], cpus: 2 } },
        300,
      ),
    ).toEqual([]);
  });

  it('prints the load at start and end with the CPU count and the others’ share', () => {
    expect(loadLine(QUIET, 100)).toBe(
      "load average 1/5/15 min: at start 0.10 0.20 0.30 on 2 CPUs, at end 1.90 0.90 0.50 on 2 CPUs (the end figure includes this run's own processes); other processes used 10.0 CPU s during the run (0.10 CPUs on average)",
    );
  });
});

describe('bench verdicts', () => {
  it('judges against the median and flags a close call when the ranges overlap', () => {
    const t = { median: 10, min: 9, max: 11, count: 3 };
    expect(judge(t, { median: 12, min: 11.5, max: 13, count: 3 }, true)).toEqual({
      outcome: 'MET',
      overlap: false,
    });
    expect(judge(t, { median: 10.5, min: 10, max: 11, count: 3 }, false)).toEqual({
      outcome: 'NOT MET',
      overlap: true,
    });
    // At most 1.5x a peer of 8: the limit is 12, the scaled range 10.5-13.5 overlaps.
    expect(judge(t, { median: 8, min: 7, max: 9, count: 3 }, true, 1.5)).toEqual({
      outcome: 'MET',
      overlap: true,
    });
    expect(judge(null, t, true).outcome).toBe('UNKNOWN');
  });

  it('computes ratios from the medians, so one bad round does not move them', () => {
    const [best, cpu, direct, pipe] = ratioLines(benchRecord(threeRounds()));
    // Tunnel 1-stream median 530 (rounds 540, 200, 530) against ssh -L's 520.
    expect(best).toBe(
      'ratios tunnel/best peer (medians): 1 stream 1.02x (ssh -L), 8 streams 1.04x (stunnel), p50 0.97x (ssh -L), p99 1.25x (ssh -L)',
    );
    // CPU per GiB client+server: tunnel 3.0, ssh -L 2.2 (the lowest peer).
    expect(cpu).toBe(
      'ratios tunnel/best peer, CPU s per GiB client+server: 1 stream 1.36x (ssh -L), 8 streams 1.36x (ssh -L)',
    );
    expect(direct).toBe('ratios tunnel/direct:    1 stream 0.25x, 8 streams 0.29x, p50 3.40x');
    expect(pipe).toContain('CPU s per GiB 1 stream 1.50x');
  });

  it('gives a verdict per target from the medians, with the rounds’ range next to each', () => {
    const lines = verdictLines(benchRecord(threeRounds()));
    expect(lines).toEqual([
      'verdict 1-stream throughput >= best peer: MET (530 (200-540) vs 520 (520-520) MB/s ssh -L; the rounds overlap)',
      'verdict 8-stream throughput >= best peer: MET (520 (520-520) vs 500 (500-500) MB/s stunnel)',
      'verdict new-connection p50 <= ssh -L: MET (0.340 (0.330-0.900) vs 0.350 (0.350-0.350) ms ssh -L; the rounds overlap)',
      'verdict new-connection p99 <= 1.5x ssh -L: MET (1.000 (1.000-1.000) vs 1.5x 0.800 (0.800-0.800) ms ssh -L)',
      'verdict 1000 concurrent with no failures in any round: MET (3 of 3 rounds: 1000 ok, 0 failed; 1000 ok, 0 failed; 1000 ok, 0 failed)',
    ]);
  });

  it('fails the concurrency verdict when any single round had a failure', () => {
    const rounds = threeRounds();
    rounds[2] = { ...rounds[2], tunnel: { ...rounds[2]!['tunnel'], failures: 3 } };
    const last = verdictLines(benchRecord(rounds)).at(-1);
    expect(last).toMatch(/^verdict 1000 concurrent with no failures in any round: NOT MET/);
    expect(last).toContain('997 ok, 3 failed');
  });

  it('cannot judge a target no round measured', () => {
    const rounds = threeRounds().map((r) => ({ ...r, 'ssh -L': { error: 'could not start' } }));
    const lines = verdictLines(benchRecord(rounds));
    expect(lines[2]).toBe(
      'verdict new-connection p50 <= ssh -L: UNKNOWN (0.340 (0.330-0.900) vs n/a ms ssh -L)',
    );
    // stunnel is then the best peer for 1 stream.
    expect(lines[0]).toContain('vs 500 (500-500) MB/s stunnel');
  });
});

describe('the published server in the bench', () => {
  /** threeRounds() with a published server holding 1000 - failures[i] connections in round i. */
  const withPublished = (failures: readonly number[]): Readonly<Record<string, Figures>>[] =>
    threeRounds().map((round, i) => ({
      ...round,
      published: {
        one: 265,
        eight: 260,
        cpu: { client: 4.5, server: 1.5 },
        p50: 1.7,
        p99: 3.0,
        kib: 40,
        failures: failures[i] ?? 0,
      },
    }));

  it('sets its medians against the forward tunnel’s and gives no verdict of its own', () => {
    const record = benchRecord(withPublished([744, 744, 750]));
    const [ratios, what] = publishedLines(record);
    // The tunnel's medians: 530 and 520 MB/s, p50 0.34 ms, p99 1.0 ms, 3.0 CPU s per GiB.
    expect(ratios).toBe(
      'ratios published/tunnel (medians): 1 stream 0.50x, 8 streams 0.50x, p50 5.00x, p99 3.00x, CPU s per GiB client+server 1 stream 2.00x, 8 streams 2.00x',
    );
    expect(what).toContain('figures only, no verdict');
    expect(verdictLines(record).join('\n')).not.toContain('published');
  });

  it('prints nothing for a run without the published path', () => {
    const record = benchRecord(threeRounds());
    expect(
      publishedLines({ ...record, paths: record.paths.filter((p) => p !== 'published') }),
    ).toEqual([]);
  });
});

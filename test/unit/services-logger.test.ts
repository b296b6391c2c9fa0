// Logging and diagnostics: token-shaped values never reach a line, a zip or a subscriber;
// JSON lines carry the docs/protocol.md#metrics-and-logs fields; size rotation keeps N files; queries filter.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDiagnosticsZip } from '../../src-main/services/diagnostics';
import { createLogger, createRotatingFileWriter } from '../../src-main/services/logger';
import { redactString } from '../../src-main/services/redact';
import { DEFAULT_SETTINGS } from '../../src-main/services/settings-store';
import { SIGNED_OUT } from '../../src-main/services/token-service';
import type { LogRecord } from '../../src-main/shared/model';

// A canary shaped like a real HS256 JWT, and an opaque stream token.
const CANARY_JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjYW5hcnkiLCJleHAiOjQxMDI0NDQ4MDB9.Q2FuYXJ5U2lnbmF0dXJlX2RvX25vdF9sZWFr';
const CANARY_STREAM = 'c3RyZWFtLWNhbmFyeS0xMjM0NTY3ODkw';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cb-log-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const clock = { now: () => Date.parse('2026-01-02T03:04:05Z') };

function leaky(): LogRecord {
  return {
    timestamp: '2026-01-02T03:04:05.000Z',
    level: 'warn',
    event: `auth failed for ${CANARY_JWT}`,
    tunnel_id: 't1',
    details: {
      token: CANARY_JWT,
      nested: {
        stream_token: CANARY_STREAM,
        note: `raw line {"type":"stream_open","stream_token":"${CANARY_STREAM}"}`,
      },
      list: [CANARY_JWT],
      port: 2222,
    },
  };
}

describe('logger', () => {
  it('writes one JSON object per line with the protocol fields and no secret', () => {
    const path = join(dir, 'app.log');
    const logger = createLogger({ clock, writer: createRotatingFileWriter({ path }) });
    const seen: LogRecord[] = [];
    logger.subscribe((r) => seen.push(r));
    logger.record(leaky());
    logger.log('info', 'tunnel_listening', { port: 2222 }, 't2');
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(['timestamp', 'level', 'event', 'tunnel_id', 'details']);
    expect(first.details).toMatchObject({ port: 2222, token: '[redacted]' });
    const everything = `${lines.join('\n')}${JSON.stringify(seen)}${JSON.stringify(logger.recent())}`;
    expect(everything).not.toContain(CANARY_JWT.split('.')[1]);
    expect(everything).not.toContain(CANARY_STREAM);
    expect(JSON.parse(lines[1]!)).toMatchObject({
      level: 'info',
      event: 'tunnel_listening',
      tunnel_id: 't2',
      timestamp: '2026-01-02T03:04:05.000Z',
    });
  });

  it('rotates by size and keeps only N old files', () => {
    const path = join(dir, 'rot.log');
    const writer = createRotatingFileWriter({ path, maxBytes: 1_000, keep: 2 });
    for (let i = 0; i < 60; i += 1) writer.write(JSON.stringify({ i, pad: 'x'.repeat(80) }));
    expect(readdirSync(dir).sort()).toEqual(['rot.log', 'rot.log.1', 'rot.log.2']);
    for (const f of ['rot.log', 'rot.log.1', 'rot.log.2'])
      expect(readFileSync(join(dir, f)).length).toBeLessThanOrEqual(1_000);
    const newest = readFileSync(path, 'utf8').trim().split('\n').at(-1)!;
    expect(JSON.parse(newest)).toMatchObject({ i: 59 });
    expect(existsSync(`${path}.3`)).toBe(false);
  });

  it('queries by minimum level, tunnel and text, newest last, bounded by limit and ring size', () => {
    const logger = createLogger({ clock, ringSize: 5 });
    for (let i = 0; i < 8; i += 1)
      logger.log(i % 2 === 0 ? 'info' : 'error', `event_${i}`, { i }, i < 6 ? 'a' : 'b');
    expect(logger.recent().map((r) => r.event)).toEqual([
      'event_3',
      'event_4',
      'event_5',
      'event_6',
      'event_7',
    ]);
    expect(logger.query({ limit: 10, level: 'error' }).map((r) => r.event)).toEqual([
      'event_3',
      'event_5',
      'event_7',
    ]);
    expect(logger.query({ limit: 10, tunnelId: 'b' }).map((r) => r.event)).toEqual([
      'event_6',
      'event_7',
    ]);
    expect(logger.query({ limit: 1, text: 'EVENT_' }).map((r) => r.event)).toEqual(['event_7']);
  });

  it('keeps working when the writer fails (disk full)', () => {
    const logger = createLogger({
      clock,
      writer: {
        write: () => {
          throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
        },
      },
    });
    logger.log('info', 'a');
    logger.log('info', 'b');
    expect(logger.recent()).toHaveLength(2);
  });

  it('redacts JWTs and inline stream_token values in free text', () => {
    expect(redactString(`Bearer ${CANARY_JWT} and stream_token=${CANARY_STREAM}&x=1`)).toBe(
      'Bearer [redacted] and stream_token=[redacted]&x=1',
    );
  });
});

describe('diagnostics zip', () => {
  it('contains logs, settings, snapshot and versions, and never the canary token', () => {
    const logger = createLogger({ clock });
    logger.record(leaky());
    const settings = {
      ...DEFAULT_SETTINGS,
      relay: {
        id: 'r',
        name: 'Relay',
        host: 'relay.example',
        port: 443,
        caFile: '/etc/ca.pem',
        pinSha256: 'q'.repeat(43) + '=',
        serverName: null,
        insecure: false,
        opener: 'auto' as const,
        builtin: false,
      },
    };
    const zip = buildDiagnosticsZip({
      logs: logger.recent(),
      settings,
      snapshot: {
        seq: 1,
        engine: {
          state: 'disconnected',
          session: {
            relay: 'relay.example:443',
            insecure: false,
            clientId: null,
            tenantId: null,
            connectedSince: null,
            reconnectAttempt: 0,
            maxReconnectAttempts: 10,
            nextRetryAt: null,
            relayVersion: null,
            relayFeatures: [],
          },
          tunnels: [],
          lastError: { code: 'invalid_token', message: `refused ${CANARY_JWT}`, at: 'x' },
          seq: 1,
          at: 'x',
        },
        account: SIGNED_OUT,
        settings,
        totals: {},
        notices: [],
        logDirectory: '/logs',
        invite: { pending: null, problem: null },
      },
      versions: {
        version: '1.0.0',
        commit: 'abc',
        electron: '45',
        chrome: '156',
        node: '24',
        platform: 'linux-x64',
      },
      files: {
        'cloudbridge.log': `{"event":"x","details":{"token":"${CANARY_JWT}"}}\nstream_token: ${CANARY_STREAM}`,
      },
      createdAt: '2026-01-02T03:04:05.000Z',
    });
    const files = unzipSync(zip);
    expect(Object.keys(files).sort()).toEqual([
      'README.txt',
      'files/cloudbridge.log',
      'logs.jsonl',
      'settings.json',
      'snapshot.json',
      'versions.json',
    ]);
    const all = Object.values(files)
      .map((f) => strFromU8(f))
      .join('\n');
    expect(all).not.toContain(CANARY_JWT.split('.')[1]);
    expect(all).not.toContain(CANARY_JWT.split('.')[2]);
    expect(all).not.toContain(CANARY_STREAM);
    // Pins and CA paths are not secret and help support.
    expect(strFromU8(files['settings.json']!)).toContain('/etc/ca.pem');
    expect(strFromU8(files['settings.json']!)).toContain('q'.repeat(43));
    expect(strFromU8(files['logs.jsonl']!)).toContain('"port":2222');
  });
});

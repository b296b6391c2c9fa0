// Log sentences: every event the engine, the services, the engine host and the Electron layer
// log (found by reading their sources) has a sentence of its own; the list of events with one
// is spelled out here, so a new event is noticed; an unknown event falls back to a generic
// sentence with its name, and free text in details never reaches a sentence.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  LOG_SENTENCE_EVENTS,
  logSentence,
  sayLogRecord,
} from '../../src-main/shared/i18n/log-sentences';
import { CATALOGUES, createTranslator } from '../../src-main/shared/i18n/translator';

const ROOT = fileURLToPath(new URL('../../src-main/', import.meta.url));
const SOURCES = ['engine', 'services', 'engine-host', 'electron', 'main.ts'];
const LEVELS = new Set(['debug', 'info', 'warn', 'error']);

function files(path: string): string[] {
  if (!statSync(path).isDirectory()) return path.endsWith('.ts') ? [path] : [];
  return readdirSync(path).flatMap((name) => files(join(path, name)));
}

/** The arguments of the call whose `(` is at `open`, split at top-level commas. */
function callArguments(source: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === '(' || c === '{' || c === '[') depth++;
    else if (c === ')' || c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        args.push(source.slice(start, i));
        return args;
      }
    } else if (c === ',' && depth === 1) {
      args.push(source.slice(start, i));
      start = i + 1;
    }
  }
  return args;
}

const literals = (text: string) => [...text.matchAll(/'([a-z][a-z0-9_.]*)'/g)].map((m) => m[1]!);

/**
 * Every event name passed to a `log(` call: the literals of the argument after the level (a
 * ternary gives two), or of the first argument where a logging callback takes the event first
 * (reportUncaughtErrors). Declarations (`log(level: LogLevel, ...)`) have no literal.
 */
function loggedEvents(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of SOURCES.flatMap((s) => files(join(ROOT, s)))) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/\blog\(/g)) {
      const args = callArguments(source, match.index + match[0].length - 1);
      const first = literals(args[0] ?? '');
      const events = first.some((l) => LEVELS.has(l)) ? literals(args[1] ?? '') : first;
      for (const event of events) found.set(event, file.slice(ROOT.length));
    }
  }
  return found;
}

describe('log sentences', () => {
  it('has a sentence for every event main logs', () => {
    const logged = loggedEvents();
    // The reader must see the calls at all: a broken reader finding nothing would pass below.
    expect(logged.size).toBeGreaterThan(60);
    for (const known of ['reconnect_scheduled', 'tunnel_added', 'mux_connect_failed'])
      expect([...logged.keys()]).toContain(known);
    expect([...logged.keys()]).toContain('uncaught_exception');
    const missing = [...logged].filter(([event]) => !LOG_SENTENCE_EVENTS.includes(event));
    expect(missing.map(([event, file]) => `${event} (${file})`)).toEqual([]);
  });

  it('lists exactly these events with a sentence of their own', () => {
    expect(LOG_SENTENCE_EVENTS).toEqual([
      'app_started',
      'auth_rate_limited',
      'authenticated',
      'builtin_relay_failed',
      'builtin_relay_port_changed',
      'builtin_relay_restart_failed',
      'builtin_relay_started',
      'connect_failed',
      'connecting',
      'connection_lost',
      'control_internal_error',
      'engine_host_exited',
      'engine_host_killed',
      'engine_host_message_dropped',
      'engine_host_not_ready',
      'engine_host_output',
      'engine_host_ready',
      'engine_host_spawn_failed',
      'heartbeat_missed',
      'hello_refused',
      'hello_unanswered',
      'host_message_dropped',
      'insecure_connection',
      'internal_error',
      'invite_accepted',
      'invite_dismissed',
      'invite_received',
      'invite_refused',
      'invite_replaced',
      'ipc_rejected',
      'ipc_sender_refused',
      'keychain_available',
      'launch_at_login_failed',
      'mux_closed',
      'mux_connect_failed',
      'mux_connected',
      'mux_protocol_error',
      'os_trust_store_unreadable',
      'persist_failed',
      'persisted_state_unreadable',
      'pool_connect_failed',
      'port_holder_found',
      'reconnect_now',
      'reconnect_scheduled',
      'relay_error',
      'relay_message_ignored',
      'relay_message_invalid',
      'relay_setup_failed',
      'relay_tested',
      'server_key_created',
      'server_refused',
      'server_registered',
      'server_stream_opened',
      'server_stream_refused',
      'server_unregistered',
      'serving_connected',
      'serving_lost',
      'state_changed',
      'stream_failed',
      'token_relay_confirmed',
      'token_removed',
      'token_saved',
      'totals_flush_failed',
      'tray_action_failed',
      'tunnel_added',
      'tunnel_changed',
      'tunnel_error',
      'tunnel_id_echo_differs',
      'tunnel_listening',
      'tunnel_reclaimed',
      'tunnel_registered',
      'tunnel_removed',
      'tunnel_retried',
      'tunnel_server_awaited',
      'tunnel_server_changed',
      'tunnel_v1_register_response',
      'tunnels_all_off',
      'tunnels_all_on',
      'uncaught_exception',
      'unhandled_rejection',
    ]);
  });

  it('says each event with a message both catalogues have, with or without its details', () => {
    for (const language of ['en', 'ru'] as const) {
      const t = createTranslator(language);
      for (const event of LOG_SENTENCE_EVENTS) {
        const { key, refs } = logSentence({ event, details: {} });
        expect(Object.hasOwn(CATALOGUES[language], key), `${event}: ${key}`).toBe(true);
        for (const ref of Object.values(refs ?? {}))
          expect(Object.hasOwn(CATALOGUES[language], ref), `${event}: ${ref}`).toBe(true);
        const said = sayLogRecord({ event, details: {} }, t);
        expect(said, event).not.toMatch(/[{}]/);
        expect(said, event).not.toBe(key);
      }
    }
  });

  it('falls back to a translated sentence naming an event it does not know', () => {
    const record = { event: 'server_published', details: { name: 'build' } };
    expect(sayLogRecord(record, createTranslator('en'))).toBe('Event server_published.');
    expect(sayLogRecord(record, createTranslator('ru'))).toBe('Событие server_published.');
    // Names an object has of its own are events like any other.
    expect(logSentence({ event: 'toString', details: {} }).key).toBe('log.generic');
    expect(logSentence({ event: 'constructor', details: {} }).key).toBe('log.generic');
  });

  it('never puts the free text of a record in its sentence, only the words of its code', () => {
    const t = createTranslator('ru');
    const said = sayLogRecord(
      {
        event: 'connect_failed',
        details: { code: 'tls_error', reason: 'self-signed certificate', fatal: true, detail: 'x' },
      },
      t,
    );
    expect(said).toBe(`Подключиться не удалось, попытки прекращены. ${t('error.tls_error')}`);
    expect(said).not.toMatch(/self-signed/);
    const unknownCode = sayLogRecord(
      { event: 'relay_error', details: { code: 'made_up', message: 'go away' } },
      createTranslator('en'),
    );
    expect(unknownCode).toBe('The relay reported an error. The reason is in the details.');
  });
});

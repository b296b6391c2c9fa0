// One sentence per log event: which catalogue message says a record and with which values from
// its details. Pure, runs anywhere. Free text in details (Node's reasons, a relay's own words)
// is never put in a sentence: it stays English in the raw fields; codes become their words.
import { CONNECTION_STATES, ERROR_CODES, type LogRecord, type MessageParams } from '../model';
import type { MessageKey, Translator } from './translator';

export interface LogSentence {
  readonly key: MessageKey;
  readonly params?: MessageParams;
  /** Values that are messages themselves (an error's words, a state's name), said first. */
  readonly refs?: Readonly<Record<string, MessageKey>>;
}

type Details = LogRecord['details'];
type Rule = (details: Details) => LogSentence;

function text(details: Details, key: string): string | null {
  const value = details[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

function count(details: Details, key: string): number | null {
  const value = details[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Milliseconds as seconds with one decimal (900 -> 0.9), as the sentences say waits. */
function seconds(details: Details, key: string): number {
  return Math.round((count(details, key) ?? 0) / 100) / 10;
}

/** An error code's plain words; a code this build does not know reads as "see the details". */
function reason(details: Details, key = 'code'): MessageKey {
  const code = details[key];
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code)
    ? (`error.${code}` as MessageKey)
    : 'log.reasonInDetails';
}

function state(value: unknown): MessageKey | null {
  return typeof value === 'string' && (CONNECTION_STATES as readonly string[]).includes(value)
    ? (`state.${value}` as MessageKey)
    : null;
}

const say =
  (key: MessageKey): Rule =>
  () => ({ key });

/** "Reason" sentences: the base words, then the code's own. */
const because =
  (key: MessageKey): Rule =>
  (d) => ({ key, refs: { reason: reason(d) } });

/** "..., retrying in N s" sentences. */
const retrying =
  (key: MessageKey, field = 'retry_ms'): Rule =>
  (d) => ({ key, params: { seconds: seconds(d, field) } });

const withRelay =
  (key: MessageKey): Rule =>
  (d) => ({ key, params: { relay: text(d, 'relay') ?? '—' } });

const withPort =
  (key: MessageKey): Rule =>
  (d) => ({ key, params: { port: count(d, 'local_port') ?? 0 } });

/** A stream or tunnel failure whose code says no more than the sentence already does. */
const SAME_AS_SENTENCE = new Set(['stream_failed', 'data_transfer_failed']);

const RULES: Readonly<Record<string, Rule>> = {
  // The engine: the session with the relay.
  connecting: (d) => {
    const attempt = count(d, 'attempt') ?? 0;
    return {
      key: 'log.connecting',
      params: { relay: text(d, 'relay') ?? '—', retry: attempt > 0 ? 'yes' : 'no', attempt },
    };
  },
  insecure_connection: withRelay('log.insecure_connection'),
  authenticated: (d) => ({
    key: 'log.authenticated',
    params: { client: text(d, 'client_id') ?? '—' },
  }),
  state_changed: (d) => {
    const from = state(d['from']);
    const to = state(d['to']);
    return from && to
      ? { key: 'log.state_changed', refs: { from, to } }
      : { key: 'log.stateOther' };
  },
  connection_lost: because('log.connection_lost'),
  connect_failed: (d) => ({
    key: 'log.connect_failed',
    params: { fatal: d['fatal'] === true ? 'yes' : 'no' },
    refs: { reason: reason(d) },
  }),
  reconnect_scheduled: (d) => ({
    key: 'log.reconnect_scheduled',
    params: { seconds: seconds(d, 'delay_ms'), attempt: count(d, 'attempt') ?? 0 },
  }),
  auth_rate_limited: retrying('log.auth_rate_limited', 'wait_ms'),
  internal_error: say('log.internal_error'),
  control_internal_error: say('log.control_internal_error'),
  hello_refused: say('log.hello_refused'),
  hello_unanswered: retrying('log.hello_unanswered', 'timeout_ms'),
  relay_message_ignored: say('log.relay_message_ignored'),
  relay_message_invalid: say('log.relay_message_invalid'),
  relay_error: because('log.relay_error'),
  heartbeat_missed: (d) => ({
    key: 'log.heartbeat_missed',
    params: { missed: count(d, 'missed') ?? 1 },
  }),
  persisted_state_unreadable: say('log.persisted_state_unreadable'),
  persist_failed: say('log.persist_failed'),
  os_trust_store_unreadable: (d) => ({
    key: 'log.os_trust_store_unreadable',
    params: { roots: count(d, 'roots') ?? 0 },
  }),

  // The engine: tunnels and the data path.
  tunnel_registered: withPort('log.tunnel_registered'),
  tunnel_listening: (d) => ({
    key: 'log.tunnel_listening',
    params: { address: text(d, 'address') ?? '—' },
  }),
  tunnel_error: because('log.tunnel_error'),
  tunnel_reclaimed: say('log.tunnel_reclaimed'),
  tunnel_id_echo_differs: (d) => ({
    key: 'log.tunnel_id_echo_differs',
    params: { echoed: text(d, 'echoed') ?? '—', kept: text(d, 'kept') ?? '—' },
  }),
  tunnel_v1_register_response: say('log.tunnel_v1_register_response'),
  stream_failed: (d) =>
    SAME_AS_SENTENCE.has(String(d['code']))
      ? { key: 'log.stream_failed_plain' }
      : { key: 'log.stream_failed', refs: { reason: reason(d) } },
  mux_connected: say('log.mux_connected'),
  server_registered: (d) => ({
    key: 'log.server_registered',
    params: { name: text(d, 'name') ?? '—', secure: d['end_to_end'] === true ? 'yes' : 'no' },
  }),
  server_key_created: say('log.server_key_created'),
  server_refused: (d) => ({
    key: 'log.server_refused',
    params: { name: text(d, 'name') ?? '—' },
    refs: { reason: reason(d) },
  }),
  serving_connected: (d) => ({
    key: 'log.serving_connected',
    params: { name: text(d, 'name') ?? '—' },
  }),
  serving_lost: (d) => ({ key: 'log.serving_lost', params: { name: text(d, 'name') ?? '—' } }),
  server_unregistered: (d) => ({
    key: 'log.server_unregistered',
    params: { name: text(d, 'name') ?? '—' },
  }),
  tunnel_server_changed: (d) => {
    const server = text(d, 'server');
    return {
      key: 'log.tunnel_server_changed',
      params: { server: server ?? '—', has: server ? 'yes' : 'no' },
    };
  },
  tunnel_server_awaited: (d) => ({
    key: 'log.tunnel_server_awaited',
    params: { server: text(d, 'server') ?? '—', seconds: seconds(d, 'retry_ms') },
  }),
  server_stream_opened: (d) => ({
    key: 'log.server_stream_opened',
    params: {
      sub: text(d, 'sub') ?? '—',
      port: count(d, 'port') ?? '—',
      secure: d['end_to_end'] === true ? 'yes' : 'no',
    },
  }),
  server_stream_refused: (d) => ({
    key: 'log.server_stream_refused',
    params: { port: count(d, 'port') ?? '—' },
  }),
  mux_closed: say('log.mux_closed'),
  mux_protocol_error: retrying('log.mux_protocol_error'),
  mux_connect_failed: retrying('log.mux_connect_failed'),
  pool_connect_failed: retrying('log.pool_connect_failed'),

  // The services.
  app_started: (d) => ({ key: 'log.app_started', params: { version: text(d, 'version') ?? '—' } }),
  keychain_available: say('log.keychain_available'),
  relay_setup_failed: say('log.relay_setup_failed'),
  port_holder_found: (d): LogSentence => {
    const holder = d['holder'];
    const owner = typeof holder === 'object' && holder !== null ? (holder as Details) : {};
    const port = count(d, 'port') ?? 0;
    const pid = count(owner, 'pid') ?? 0;
    const command = text(owner, 'command');
    return command !== null
      ? { key: 'errorDetail.portHeldBy', params: { port, pid, command } }
      : { key: 'errorDetail.portHeldByPid', params: { port, pid } };
  },
  engine_host_output: say('log.engine_host_output'),
  ipc_rejected: say('log.ipc_rejected'),
  builtin_relay_started: withRelay('log.builtin_relay_started'),
  builtin_relay_failed: say('log.builtin_relay_failed'),
  reconnect_now: (d) => ({
    key: 'log.reconnect_now',
    params: {
      reason: ['resume', 'unlock', 'network'].includes(String(d['reason']))
        ? String(d['reason'])
        : 'other',
    },
  }),
  invite_received: withRelay('log.invite_received'),
  invite_replaced: withRelay('log.invite_replaced'),
  invite_refused: because('log.invite_refused'),
  invite_dismissed: withRelay('log.invite_dismissed'),
  invite_accepted: withRelay('log.invite_accepted'),
  token_saved: (d) => {
    const subject = text(d, 'subject');
    return subject !== null
      ? { key: 'log.token_saved', params: { subject } }
      : { key: 'log.token_saved_anonymous' };
  },
  token_relay_confirmed: withRelay('log.token_relay_confirmed'),
  token_removed: say('log.token_removed'),
  tunnel_added: withPort('log.tunnel_added'),
  tunnel_changed: withPort('log.tunnel_changed'),
  tunnel_removed: say('log.tunnel_removed'),
  tunnel_retried: withPort('log.tunnel_retried'),
  tunnels_all_on: (d) => ({ key: 'log.tunnels_all_on', params: { count: count(d, 'count') ?? 0 } }),
  tunnels_all_off: (d) => ({
    key: 'log.tunnels_all_off',
    params: { count: count(d, 'count') ?? 0 },
  }),
  relay_tested: (d) => ({
    key: 'log.relay_tested',
    params: { relay: text(d, 'relay') ?? '—', ok: d['ok'] === true ? 'yes' : 'no' },
  }),

  // The engine host.
  host_message_dropped: say('log.host_message_dropped'),
  engine_host_ready: (d) => ({
    key: 'log.engine_host_ready',
    params: { pid: count(d, 'pid') ?? 0 },
  }),
  engine_host_message_dropped: say('log.engine_host_message_dropped'),
  engine_host_exited: retrying('log.engine_host_exited', 'restart_in_ms'),
  engine_host_spawn_failed: say('log.engine_host_spawn_failed'),
  engine_host_not_ready: retrying('log.engine_host_not_ready', 'timeout_ms'),
  engine_host_killed: retrying('log.engine_host_killed', 'timeout_ms'),
  builtin_relay_port_changed: say('log.builtin_relay_port_changed'),
  builtin_relay_restart_failed: say('log.builtin_relay_restart_failed'),

  // The Electron layer.
  uncaught_exception: say('log.uncaught_error'),
  unhandled_rejection: say('log.uncaught_error'),
  ipc_sender_refused: say('log.ipc_sender_refused'),
  totals_flush_failed: say('log.totals_flush_failed'),
  launch_at_login_failed: (d) => ({
    key: 'log.launch_at_login_failed',
    params: { enabled: d['enabled'] === true ? 'yes' : 'no' },
  }),
  tray_action_failed: because('log.tray_action_failed'),
};

/** Every event that has a sentence of its own; anything else gets the generic one. */
export const LOG_SENTENCE_EVENTS: readonly string[] = Object.keys(RULES).sort();

/** Which message says `record`, and with what. An event without a rule says its name. */
export function logSentence(record: Pick<LogRecord, 'event' | 'details'>): LogSentence {
  const rule = Object.hasOwn(RULES, record.event) ? RULES[record.event] : undefined;
  if (rule === undefined) return { key: 'log.generic', params: { event: record.event } };
  return rule(record.details);
}

/** The record as one sentence in `t`'s language. */
export function sayLogRecord(record: Pick<LogRecord, 'event' | 'details'>, t: Translator): string {
  const sentence = logSentence(record);
  const refs = Object.fromEntries(
    Object.entries(sentence.refs ?? {}).map(([name, key]) => [name, t(key)]),
  );
  return t(sentence.key, { ...sentence.params, ...refs });
}

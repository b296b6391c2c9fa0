// English sentences for log records (one per event; log-sentences.ts picks the message and its
// values). Part of the English catalogue (en.ts). `{reason}` is an error's own words, a whole
// sentence; `{from}` and `{to}` are state names. No logic here.
export const logMessagesEn = {
  'log.generic': 'Event {event}.',
  'log.reasonInDetails': 'The reason is in the details.',
  'log.stateOther': 'The connection state changed.',

  'log.connecting':
    '{retry, select, yes {Connecting to {relay} (attempt {attempt}).} other {Connecting to {relay}.}}',
  'log.insecure_connection':
    'Connecting to {relay} without encryption: the traffic and the token can be read on the network.',
  'log.authenticated': 'Signed in to the relay as client {client}.',
  'log.state_changed': 'State: {from} → {to}.',
  'log.connection_lost': 'Disconnected from the relay. {reason}',
  'log.connect_failed':
    '{fatal, select, yes {Connecting failed and the app stops trying. {reason}} other {Connecting failed. {reason}}}',
  'log.reconnect_scheduled': 'Reconnecting in {seconds, number} s (attempt {attempt}).',
  'log.auth_rate_limited': 'Too many sign-in attempts: waiting {seconds, number} s.',
  'log.internal_error': 'The engine hit an internal error.',
  'log.control_internal_error': 'The connection to the relay hit an internal error and was closed.',
  'log.hello_refused': 'The relay refused the greeting; signing in anyway.',
  'log.hello_unanswered':
    'The relay did not answer the greeting within {seconds, number} s; signing in anyway.',
  'log.relay_message_ignored': 'An unexpected message from the relay was ignored.',
  'log.relay_message_invalid': 'The relay sent a message this app cannot read; it was ignored.',
  'log.relay_error': 'The relay reported an error. {reason}',
  'log.heartbeat_missed':
    'The relay has not answered {missed, plural, one {# heartbeat} other {# heartbeats}}.',
  'log.persisted_state_unreadable': 'The saved session could not be read; starting afresh.',
  'log.persist_failed': 'The session could not be saved for the next start.',
  'log.os_trust_store_unreadable':
    'The system certificate store could not be read; {roots, plural, one {# certificate is} other {# certificates are}} trusted.',

  'log.tunnel_registered': 'The relay accepted the tunnel for local port {port}.',
  'log.tunnel_listening': 'Ready on {address}.',
  'log.tunnel_error': 'The tunnel stopped. {reason}',
  'log.tunnel_reclaimed': 'The relay kept this tunnel through the reconnect.',
  'log.tunnel_id_echo_differs': 'The relay calls this tunnel {echoed}; the app keeps {kept}.',
  'log.tunnel_v1_register_response': 'The relay accepted the tunnel (older protocol).',
  'log.stream_failed': 'A connection through the tunnel failed. {reason}',
  'log.stream_failed_plain': 'A connection through the tunnel failed.',
  'log.mux_connected': 'A shared data connection to the relay is ready.',
  'log.server_registered':
    '{secure, select, yes {The relay now publishes server {name}, encrypted end to end.} other {The relay now publishes server {name}.}}',
  'log.server_key_created': 'A key for end-to-end encryption of published servers was created.',
  'log.server_refused': 'The relay refused to publish server {name}. {reason}',
  'log.serving_connected': 'Server {name} can be reached through the relay.',
  'log.serving_lost': 'Server {name} lost its link to the relay.',
  'log.server_unregistered': 'The relay no longer publishes server {name}.',
  'log.tunnel_server_changed':
    '{has, select, yes {The tunnel now leads to published server {server}.} other {The tunnel no longer leads to a published server.}}',
  'log.tunnel_server_awaited':
    'The relay does not know published server {server} now; asking again in {seconds, number} s.',
  'log.server_stream_opened':
    '{secure, select, yes {A connection from {sub} to published port {port}, encrypted end to end.} other {A connection from {sub} to published port {port}.}}',
  'log.server_stream_refused': 'A connection to published port {port} was refused.',
  'log.mux_closed': 'A shared data connection to the relay closed.',
  'log.mux_protocol_error':
    'The relay answered a shared data connection with something unreadable; retrying in {seconds, number} s.',
  'log.mux_connect_failed':
    'A shared data connection to the relay failed; retrying in {seconds, number} s.',
  'log.pool_connect_failed':
    'A spare data connection to the relay failed; retrying in {seconds, number} s.',

  'log.app_started': 'CloudBridge {version} started.',
  'log.keychain_available': 'The system keychain can be used again.',
  'log.relay_setup_failed': 'The relay settings could not be applied.',
  'log.engine_host_output': 'The engine process wrote a line (in the details).',
  'log.ipc_rejected': 'The app refused a malformed request from the window.',
  'log.builtin_relay_started': 'The built-in local relay started on {relay}.',
  'log.builtin_relay_failed': 'The built-in local relay could not start.',
  'log.reconnect_now':
    '{reason, select, resume {The computer woke up: reconnecting now.} unlock {The screen was unlocked: reconnecting now.} network {The network is back: reconnecting now.} other {Reconnecting now.}}',
  'log.invite_received': 'A connection link for {relay} arrived.',
  'log.invite_replaced': 'A newer connection link replaced the one for {relay}.',
  'log.invite_refused': 'A connection link was refused. {reason}',
  'log.invite_dismissed': 'The connection link for {relay} was set aside.',
  'log.invite_accepted': 'The connection link was accepted: relay {relay}.',
  'log.token_saved': 'Access token saved: signed in as {subject}.',
  'log.token_saved_anonymous': 'Access token saved.',
  'log.token_relay_confirmed': 'You confirmed the changed relay {relay}.',
  'log.token_removed': 'Signed out: the access token was removed.',
  'log.tunnel_added': 'Tunnel added on local port {port}.',
  'log.tunnel_changed': 'Tunnel changed (local port {port}).',
  'log.tunnel_removed': 'Tunnel removed.',
  'log.tunnel_retried': 'Trying the tunnel on local port {port} again.',
  'log.tunnels_all_on': 'All tunnels turned on ({count} changed).',
  'log.tunnels_all_off': 'All tunnels turned off ({count} changed).',
  'log.relay_tested':
    '{ok, select, yes {Connection test of {relay}: every check passed.} other {Connection test of {relay}: a check failed.}}',

  'log.host_message_dropped': 'The engine process dropped a message it could not read.',
  'log.engine_host_ready': 'The engine process is ready (process {pid}).',
  'log.engine_host_message_dropped': 'A message from the engine process could not be read.',
  'log.engine_host_exited': 'The engine process stopped; starting it again in {seconds, number} s.',
  'log.engine_host_spawn_failed': 'The engine process could not be started.',
  'log.engine_host_not_ready': 'The engine process was not ready within {seconds, number} s.',
  'log.engine_host_killed':
    'The engine process did not stop within {seconds, number} s and was ended.',
  'log.builtin_relay_port_changed': 'The built-in local relay moved to another port.',
  'log.builtin_relay_restart_failed': 'The built-in local relay could not be started again.',

  'log.uncaught_error': 'An unexpected error occurred in the app.',
  'log.ipc_sender_refused': 'A request from an unknown page was refused.',
  'log.totals_flush_failed': 'The traffic totals could not be saved.',
  'log.launch_at_login_failed':
    '{enabled, select, yes {Launch at login could not be turned on.} other {Launch at login could not be turned off.}}',
  'log.tray_action_failed': 'A tray menu action failed. {reason}',
} as const;

// Maps each stable ErrorCode to its plain-words message and the one thing a person can do
// about it (docs/protocol.md#errors: invalid token -> new token, limits -> wait, ...). Pure;
// the window's error panels and the tray read it.
import type { ErrorCode } from '../model';
import type { MessageKey } from './en';

export type ActionKey = Extract<MessageKey, `action.${string}`>;

const ACTIONS: Readonly<Record<ErrorCode, ActionKey>> = {
  invalid_token: 'action.newToken',
  token_expired: 'action.newToken',
  token_malformed: 'action.newToken',
  token_missing: 'action.newToken',
  token_relay_changed: 'action.confirmRelay',
  invite_invalid: 'action.newLink',
  invite_expired: 'action.newLink',
  invite_used: 'action.newLink',
  rate_limit_exceeded: 'action.waitRetry',
  auth_rate_limited: 'action.waitRetry',
  connection_limit_reached: 'action.waitRetry',
  buffer_pool_exhausted: 'action.waitRetry',
  server_unavailable: 'action.waitRetry',
  invalid_tunnel_info: 'action.checkTunnel',
  tunnel_exists: 'action.checkTunnel',
  target_unreachable: 'action.checkTunnel',
  data_transfer_failed: 'action.checkTunnel',
  stream_failed: 'action.checkTunnel',
  unknown_message_type: 'action.contactAdmin',
  tenant_limit_exceeded: 'action.contactAdmin',
  tenant_not_found: 'action.contactAdmin',
  ip_not_allowed: 'action.contactAdmin',
  protocol_error: 'action.contactAdmin',
  tls_error: 'action.checkCertificate',
  tls_pin_mismatch: 'action.checkCertificate',
  tls_version: 'action.contactAdmin',
  connect_timeout: 'action.checkRelay',
  connection_refused: 'action.checkRelay',
  connection_lost: 'action.checkNetwork',
  heartbeat_timeout: 'action.checkNetwork',
  reconnect_exhausted: 'action.retryNow',
  port_in_use: 'action.checkPort',
  listen_failed: 'action.checkPort',
  keychain_unavailable: 'action.checkKeychain',
  settings_corrupt: 'action.none',
  disk_full: 'action.checkDisk',
  io_error: 'action.checkDisk',
  internal_error: 'action.reportBug',
};

export function errorTextKey(code: ErrorCode): MessageKey {
  return `error.${code}`;
}

export function errorActionKey(code: ErrorCode): ActionKey {
  return ACTIONS[code];
}

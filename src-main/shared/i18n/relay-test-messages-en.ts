// English words for "Test connection" in Settings: one sentence per step outcome main reports
// (shared/relay-test.ts RELAY_TEST_CODES), filled with its values. Part of en.ts. No logic.
export const relayTestMessagesEn = {
  'relayTest.button': 'Test connection',
  'relayTest.running': 'Testing…',
  'relayTest.heading': 'Connection test',
  'relayTest.passed': 'Every check passed. Nothing was saved.',
  'relayTest.failed': 'A check failed. Nothing was saved.',
  'relayTest.outcome.ok': 'Passed',
  'relayTest.outcome.failed': 'Failed',
  'relayTest.outcome.skipped': 'Not checked',
  'relayTest.step.reach': 'Reach the relay',
  'relayTest.step.tls': 'Secure connection',
  'relayTest.step.pin': 'Key pin',
  'relayTest.step.auth': 'Sign in',
  'relayTest.reach_ok': 'Reached {address}.',
  'relayTest.reach_failed': '{address} could not be reached. {reason}',
  'relayTest.tls_ok':
    'TLS 1.3; the certificate is trusted {trust, select, ca_file {through the CA file} other {by the system}}.',
  'relayTest.tls_failed': 'No secure connection. {reason}',
  'relayTest.tls_plaintext': 'Not encrypted: this profile turns TLS off.',
  'relayTest.pin_ok': 'The relay’s key matches the pin.',
  'relayTest.pin_mismatch': 'The relay’s key does not match the pin. Its key is {pin}.',
  'relayTest.pin_none': 'No key is pinned. The relay’s key is {pin}.',
  'relayTest.auth_ok': 'The relay accepted your token.',
  'relayTest.auth_failed': 'Signing in failed. {reason}',
  'relayTest.auth_no_token': 'Not tried: no access token is saved yet.',
  'relayTest.auth_other_relay':
    'Not tried: your token is saved for another relay and goes to this one only after you save it.',
  'relayTest.not_reached': 'Not checked: an earlier step failed.',
  'relayTest.usePin': 'Pin this key',
} as const;

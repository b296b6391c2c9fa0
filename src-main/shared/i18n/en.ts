// English messages in ICU MessageFormat: the reference catalogue. Its keys define MessageKey;
// every other language supplies the same keys with the same arguments (checked by the compiler
// and by test/unit/i18n-catalogue.test.ts). Used by the window, the tray, notifications and
// notices alike. No logic here.
import type { FieldMessageKey, NoticeKind } from '../ipc-contract';
import type { ErrorCode, ErrorDetailKey } from '../model';
import { enStatusTunnels } from './status-tunnels-en';

/** Plain-words text for every stable error code (model.ts ErrorCode). */
const errorTexts = {
  'error.invalid_token': 'The relay did not accept your access token.',
  'error.rate_limit_exceeded': 'The relay is limiting requests from this computer.',
  'error.connection_limit_reached': 'The relay has reached its connection limit.',
  'error.server_unavailable': 'The relay reported an internal problem.',
  'error.invalid_tunnel_info': 'The relay rejected this tunnel’s settings.',
  'error.unknown_message_type': 'The relay does not understand this app’s protocol version.',
  'error.tenant_limit_exceeded': 'Your organisation has reached its tunnel limit.',
  'error.tenant_not_found': 'The relay does not know your organisation.',
  'error.ip_not_allowed': 'The relay does not allow connections from this network or to this host.',
  'error.buffer_pool_exhausted': 'The relay is overloaded.',
  'error.data_transfer_failed': 'A connection through the tunnel failed.',
  'error.tunnel_exists': 'Another client already uses this tunnel.',
  'error.protocol_error': 'The relay sent something this app cannot read.',
  'error.tls_error': 'A secure connection to the relay could not be made.',
  'error.tls_pin_mismatch': 'The relay’s key does not match the pinned key.',
  'error.tls_version': 'The relay does not support TLS 1.3.',
  'error.connect_timeout':
    'The relay did not answer in time: it may be down, or a firewall may be dropping the connection.',
  'error.connection_refused': 'The relay refused the connection, or its address was not found.',
  'error.connection_lost': 'The connection to the relay was lost.',
  'error.heartbeat_timeout': 'The relay stopped answering.',
  'error.reconnect_exhausted': 'Reconnecting failed after every attempt.',
  'error.auth_rate_limited': 'Too many sign-in attempts in the last minute.',
  'error.port_in_use': 'The local port is already in use by another program.',
  'error.listen_failed': 'The local port could not be opened.',
  'error.target_unreachable': 'The remote host could not be reached.',
  'error.stream_failed': 'A connection through the tunnel failed.',
  'error.token_missing': 'No access token is saved yet.',
  'error.token_malformed': 'That does not look like an access token.',
  'error.token_expired': 'Your access token has expired.',
  'error.token_relay_changed': 'The relay changed: paste your token again or confirm.',
  'error.invite_invalid':
    'This connection link is not valid: it is damaged or was not made by the relay it names.',
  'error.invite_expired': 'This connection link has expired.',
  'error.invite_used': 'This connection link has already been used.',
  'error.keychain_unavailable': 'The system keychain cannot be used.',
  'error.settings_corrupt': 'The settings file was damaged and has been reset.',
  'error.disk_full': 'The disk is full.',
  'error.io_error': 'A file could not be read or written.',
  'error.internal_error': 'Something went wrong inside the app.',
} as const satisfies Record<`error.${ErrorCode}`, string>;

/** Details main reports as a key with values (model.ts ERROR_DETAIL_KEYS). */
const errorDetailTexts = {
  'errorDetail.portHeldBy': 'Port {port} is held by {command} (process {pid}).',
  'errorDetail.portHeldByPid': 'Port {port} is held by process {pid}.',
  'errorDetail.engineRestarting': 'The engine process stopped; it is starting again.',
} as const satisfies Record<ErrorDetailKey, string>;

/** Every field problem main or the forms report (ipc-contract.ts FIELD_MESSAGE_KEYS). */
const validationTexts = {
  'validation.required': 'Required.',
  'validation.port': 'Enter a port from 1 to 65535.',
  'validation.host': 'Enter a host name or IP address.',
  'validation.duplicatePort': 'Tunnel “{name}” already uses this local port.',
  'validation.nameLength': 'Use at most {max, plural, one {# character} other {# characters}}.',
  'validation.pin': 'Enter 44 base64 characters (a SHA-256 digest).',
  'validation.tunnelGone': 'This tunnel no longer exists.',
  'validation.builtinRelay':
    'Only the app creates the built-in relay: choose “Use the built-in local relay” on Status.',
} as const satisfies Record<FieldMessageKey, string>;

/** What a person can do about an error, grouped (shared/i18n/error-advice.ts). */
const actionTexts = {
  'action.newToken': 'Paste a new token on the Account page.',
  'action.confirmRelay': 'On the Account page, confirm the new relay or paste your token again.',
  'action.checkPort': 'Choose another local port, or close the program that uses it.',
  'action.checkRelay': 'Check the relay address and port in Settings.',
  'action.checkCertificate': 'Check the CA file, pin and server name in Settings.',
  'action.checkNetwork': 'Check your network connection; the app keeps trying.',
  'action.waitRetry': 'Wait a moment; the app retries on its own.',
  'action.checkTunnel': 'Check the tunnel’s ports and remote host.',
  'action.contactAdmin': 'Ask your relay administrator.',
  'action.newLink': 'Ask your relay administrator for a new connection link.',
  'action.retryNow': 'Press Connect to try again.',
  'action.checkKeychain': 'Unlock or set up the system keychain; the app tries again by itself.',
  'action.checkDisk': 'Free some disk space.',
  'action.reportBug': 'Export diagnostics from the Logs page and report the problem.',
  'action.none': '',
} as const;

/** Notice titles: one per kind main raises (ipc-contract.ts NOTICE_KINDS). */
const noticeTitles = {
  'notice.settings_reset': 'Settings were reset',
  'notice.first_run': 'Welcome to CloudBridge',
  'notice.insecure_relay': 'Insecure relay connection',
  'notice.keychain_unavailable': 'The system keychain is not available',
  'notice.token_expiring': 'Your access token expires soon',
  'notice.engine_restarted': 'The engine restarted',
  'notice.keychain_unlocking': 'Unlocking keychain…',
} as const satisfies Record<`notice.${NoticeKind}`, string>;

/** Notice texts, filled with the notice's params. */
const noticeBodies = {
  'noticeBody.settings_reset':
    '{reason, select, refused {The settings file had invalid values, so {count, plural, one {# entry was} other {# entries were}} not loaded: {entries}. Everything else was.} other {The settings file was damaged and has been reset.}} The original file was kept as {path}.',
  'noticeBody.first_run':
    'Nothing is configured yet. Add your relay and token, or try the built-in local relay.',
  'noticeBody.insecure_relay':
    'This relay does not encrypt: tunnel traffic can be read on the network.',
  'noticeBody.keychain_unavailable':
    'Your token cannot be read or saved until the system keychain works. The app tries again by itself.',
  'noticeBody.token_expiring':
    'It expires on {expires, date, medium} at {expires, time, short}. Paste a new one on the Account page before then.',
  'noticeBody.engine_restarted':
    '{cause, select, signal {The engine process was stopped by {signal}} code {The engine process exited with code {code}} other {The engine process could not be started}} and was started again; tunnels come back by themselves.',
  'noticeBody.keychain_unlocking': 'The system may ask for your password to unlock it.',
} as const satisfies Record<`noticeBody.${NoticeKind}`, string>;

/** System notifications, main's own dialog and the tray menu, built in main in the app's language. */
const mainTexts = {
  'notification.connectionLost.title': 'CloudBridge disconnected',
  'notification.connectionLost.body': 'The connection to the relay was lost.',
  'notification.connectionRestored.title': 'CloudBridge reconnected',
  'notification.connectionRestored.body': 'Your tunnels are available again.',
  'notification.tokenExpiring.title': 'CloudBridge token expires soon',
  'notification.tokenExpiring.body':
    'Your access token expires on {expires, date, medium} at {expires, time, short}. Paste a new one before then.',
  'notification.engineRestarted.title': 'CloudBridge engine restarted',
  'notification.firstStart.title': 'CloudBridge is running',
  'notification.firstStart.body':
    '{platform, select, darwin {CloudBridge lives in the menu bar.} win32 {CloudBridge lives in the notification area (system tray).} other {CloudBridge lives in the system tray.}} Closing the window keeps your tunnels up; use Quit in the tray menu to stop.',

  'relayChange.title': 'CloudBridge: relay changed',
  'relayChange.message': 'Send your token to the changed relay "{name}"?',
  'relayChange.detail':
    'Your token was saved for {from}.\nThe profile now points to {to}.\n\nOnly continue if you made this change yourself. Otherwise cancel and check Settings.',
  'relayChange.noRelay': 'no relay (the token was saved for another profile)',
  'relayChange.endpoint': '{address} ({security})',
  'relayChange.plaintext': 'PLAINTEXT, not encrypted',
  'relayChange.systemCertificates': 'system certificates',
  'relayChange.caFile': 'CA file {path}',
  'relayChange.noPin': 'no pin',
  'relayChange.pin': 'pin {pin}',
  'relayChange.serverName': 'name {name}',
  'relayChange.send': 'Send token to this relay',

  'tray.tooltip': 'CloudBridge — {status}',
  'tray.connecting': 'Connecting…',
  'tray.startingTunnels': 'Starting tunnels…',
  'tray.active': 'Active, {ready} of {total, plural, one {# tunnel} other {# tunnels}} ready',
  'tray.reconnecting': 'Reconnecting (attempt {attempt} of {max})',
  'tray.error': 'Error: {reason}',
  'tray.insecure': '{status} (INSECURE: not encrypted)',
  'tray.nextTry': 'Next try in {seconds, plural, one {# second} other {# seconds}}',
  'tray.statusWithNext': '{status}. {next}',
  'tray.titleNextTry': 'Retry in {seconds} s',
  'tray.notSetUp': 'Not set up yet',
  'tray.signedOut': 'Not signed in',
  'tray.signIn': 'Sign in…',
  'tray.confirmRelay': 'Confirm the new relay…',
  'tray.setUpRelay': 'Set up relay…',
  'tray.disabled': '{label} ({reason})',
  'tray.reason.keychain': 'waiting for the keychain',
  'tray.reason.tunnelOff': 'the tunnel is off',
  'tray.reason.notReady': 'the tunnel is not ready',
  // One row per tunnel: its name, then its state in the window's words, lower case.
  'tray.tunnel.off': '{name} — off',
  'tray.tunnel.idle': '{name} — on, not connected',
  'tray.tunnel.pending': '{name} — waiting for relay',
  'tray.tunnel.registering': '{name} — starting…',
  'tray.tunnel.ready': '{name} — ready · {address}',
  'tray.tunnel.problem': '{name} — {problem}',
  'tray.tunnel.readyProblem': '{name} — {problem} · {address}',
  'tray.problem':
    '{code, select, port_in_use {port {port} in use} listen_failed {port {port} cannot be opened} target_unreachable {remote host unreachable} stream_failed {connections failing} data_transfer_failed {connections failing} tunnel_exists {used by another client} invalid_tunnel_info {refused by the relay} ip_not_allowed {not allowed by the relay} tenant_limit_exceeded {over your organisation’s limit} other {error}}',
  'tray.retryTunnel': 'Try again',
  'tray.turnOn': 'Turn on',
  'tray.turnOff': 'Turn off',
  'tray.copyAddress': 'Copy address',
  'tray.openTunnel':
    '{type, select, rdp {Open in Remote Desktop} ssh {Open SSH session} web {Open in browser} other {Open}}',
  'tray.showInWindow': 'Show in window',
  'tray.allOff': 'Turn all tunnels off',
  'tray.noTunnels': 'No tunnels yet',
  'tray.addTunnel': 'Add a tunnel…',
  'tray.open': 'Open CloudBridge',
  'tray.logs': 'View logs',
  'tray.quit': 'Quit',
} as const;

export const en = {
  'app.title': 'CloudBridge',
  'app.noBridge': 'This window is not connected to the CloudBridge service. Restart the app.',
  'app.loading': 'Loading…',

  'nav.label': 'Main',
  'nav.status': 'Status',
  'nav.tunnels': 'Tunnels',
  'nav.account': 'Account',
  'nav.logs': 'Logs',
  'nav.settings': 'Settings',
  'nav.about': 'About',

  // One vocabulary for the session's states, in the window and the tray.
  'state.disconnected': 'Disconnected',
  'state.authenticating': 'Connecting',
  'state.registered': 'Starting tunnels',
  'state.active': 'Active',
  'state.reconnecting': 'Reconnecting',

  'status.heading': 'Status',
  'status.relay': 'Relay',
  'status.noRelay': 'No relay configured',
  'status.clientId': 'Client ID',
  'status.tenant': 'Organisation',
  'status.connectedSince': 'Connected since',
  'status.relayVersion': 'Relay version',
  'status.attempt': 'Attempt {n} of {max}',
  'status.nextTry': 'Next try in {time}',
  'status.tryingNow': 'Trying now…',
  'status.retryNow': 'Retry now',
  'status.connect': 'Connect',
  'status.disconnect': 'Disconnect',
  'status.lastError': 'Last error',
  'status.whatToDo': 'What to do',
  'status.technical': 'Technical details',
  'status.insecureTitle': 'Insecure relay connection',
  'status.insecureBody':
    'This relay profile connects without encryption. Anyone on the network can read and change the traffic. Use it only for development.',
  'status.directMode':
    'This relay does not carry data: tunnels connect to their remote hosts directly from this computer.',
  'status.firstRunTitle': 'Welcome to CloudBridge',
  'status.firstRunBody':
    'No relay is set up yet. You can start with the built-in local relay on this computer, or enter your organisation’s relay in Settings.',
  'status.useBuiltin': 'Use the built-in local relay',
  'status.openSettings': 'Open Settings',
  'status.tunnelsActive': '{n} of {total, plural, one {# tunnel} other {# tunnels}} ready',
  'notice.dismiss': 'Dismiss',
  'invite.title': 'Connection link',
  'invite.body':
    'Accepting sets up this relay and connects to it. Accept only a link you expected from its administrator.',
  'invite.relay': 'Relay',
  'invite.serverName': 'Server name',
  'invite.key': 'Relay key fingerprint',
  'invite.ca': 'Certificate',
  'invite.caIncluded': 'Comes with the link',
  'invite.caSystem': 'Checked against the authorities this computer trusts',
  'invite.identity': 'You sign in as',
  'invite.organisation': 'Organisation',
  'invite.expires': 'Link valid until',
  'invite.token': 'Access token',
  'invite.tokenIncluded': 'Comes with the link, valid until {when}',
  'invite.tokenIncludedNoExpiry': 'Comes with the link',
  'invite.tokenMissing': 'Not included: paste your own token after accepting',
  'invite.replaces': 'Replaces the relay {name} ({address}).',
  'invite.newKey':
    'The relay’s key or certificate is not the one you connected to before. Accept only if its administrator told you it changed.',
  'invite.accept': 'Accept and connect',
  'invite.notNow': 'Not now',
  'invite.problemTitle': 'This connection link cannot be used',

  'tunnels.heading': 'Tunnels',
  'tunnels.empty': 'No tunnels yet. Add one to carry a local port to a remote host.',
  'tunnels.add': 'Add tunnel',
  'tunnels.edit': 'Edit',
  'tunnels.remove': 'Remove',
  'tunnels.removeConfirm': 'Remove tunnel “{name}”?',
  'tunnels.open': 'Open',
  'tunnels.toggle': 'Turn tunnel {name} on or off',
  'tunnels.route': '{local} → {remote}',
  'tunnels.in': 'In',
  'tunnels.out': 'Out',
  'tunnels.rate': 'Rate',
  'tunnels.connections': 'Open connections',
  'tunnels.today': 'Today',
  'tunnels.allTime': 'All time',
  'tunnels.direct': 'Direct (relay does not carry data)',
  // A tunnel's own states, the same words in the window and the tray.
  'tunnelStatus.off': 'Off',
  'tunnelStatus.pending': 'Waiting for the relay',
  'tunnelStatus.registering': 'Starting',
  'tunnelStatus.listening': 'Ready',
  'tunnelStatus.error': 'Error',

  'form.addTitle': 'Add tunnel',
  'form.editTitle': 'Edit tunnel',
  'form.name': 'Name',
  'form.kind': 'Type',
  'form.localHost': 'Local address',
  'form.localPort': 'Local port',
  'form.remoteHost': 'Remote host',
  'form.remotePort': 'Remote port',
  'form.enabled': 'Turn on after saving',
  'form.save': 'Save',
  'form.cancel': 'Cancel',
  'form.saving': 'Saving…',
  'form.errors': 'Please correct the highlighted fields.',
  'kind.rdp': 'Remote Desktop (RDP)',
  'kind.ssh': 'SSH',
  'kind.other': 'Other',

  'account.heading': 'Account',
  'account.signedOut': 'You are not signed in.',
  'account.tokenLabel': 'Access token',
  'account.tokenHelp':
    'Paste the token your administrator gave you. It is stored in the system keychain only.',
  'account.save': 'Save token',
  'account.saving': 'Saving…',
  'account.subject': 'Signed in as',
  'account.tenant': 'Organisation',
  'account.expires': 'Expires',
  'account.noExpiry': 'Never',
  'account.expiresSoon': 'Your token expires {when}. Ask for a new one soon.',
  'account.expired': 'Your token has expired. Paste a new one.',
  'account.signOut': 'Sign out',
  'account.keychainTitle': 'Keychain problem',
  'account.replace': 'Replace token',
  'account.confirmRelay': 'Confirm the new relay',

  'logs.heading': 'Logs',
  'logs.level': 'Level',
  'logs.allLevels': 'All levels',
  'logs.tunnel': 'Tunnel',
  'logs.allTunnels': 'All tunnels',
  'logs.search': 'Search',
  'logs.pause': 'Pause',
  'logs.resume': 'Resume',
  'logs.paused': 'Paused: {n, plural, one {# new record} other {# new records}} waiting.',
  'logs.export': 'Export…',
  'logs.exported': 'Saved to {path}',
  'logs.openFolder': 'Open log folder',
  'logs.diagnostics': 'Export diagnostics…',
  'logs.empty': 'No records match.',
  'logs.count': 'Showing {n, plural, one {# record} other {# records}}',
  'logs.omitted':
    '{n, plural, one {# older record} other {# older records}} from while the window was hidden {n, plural, one {is} other {are}} not shown. They are in the log file.',
  'level.debug': 'Debug',
  'level.info': 'Info',
  'level.warn': 'Warning',
  'level.error': 'Error',

  'settings.heading': 'Settings',
  'settings.relay': 'Relay',
  'settings.relayHost': 'Host',
  'settings.relayPort': 'Port',
  'settings.caFile': 'CA file (PEM)',
  'settings.caFileHelp': 'Leave empty to trust the system certificate store.',
  'settings.pin': 'Key pin (SHA-256, base64)',
  'settings.serverName': 'Server name (SNI)',
  'settings.serverNameHelp': 'Only when the certificate name differs from the host.',
  'settings.insecure': 'Insecure plaintext connection (development only)',
  'settings.saveRelay': 'Save relay',
  'settings.saved': 'Saved.',
  'settings.general': 'General',
  'settings.autoConnect': 'Connect when the app starts',
  'settings.launchAtLogin': 'Launch at login',
  'settings.notifications': 'Notifications',
  'settings.notifyLost': 'When the connection is lost',
  'settings.notifyRestored': 'When the connection is restored',
  'settings.notifyExpiry': 'When the token is about to expire',
  'settings.language': 'Language',
  'language.system': 'System',
  'language.en': 'English',
  'language.ru': 'Русский',

  'about.heading': 'About',
  'about.version': 'Version',
  'about.commit': 'Commit',
  'about.electron': 'Electron',
  'about.chrome': 'Chrome',
  'about.node': 'Node',
  'about.platform': 'Platform',

  ...validationTexts,
  ...errorTexts,
  ...errorDetailTexts,
  ...actionTexts,
  ...noticeTitles,
  ...noticeBodies,
  ...mainTexts,
  ...enStatusTunnels,
} as const;

export type MessageKey = keyof typeof en;
/** A language's messages: exactly the English keys, each an ICU message. */
export type Catalogue = { readonly [K in MessageKey]: string };

// English messages of "Share this computer" (the Share view, its row in the tray, the shared
// computers Add tunnel offers, the share's field rules and the relay's refusals of published
// servers), in ICU MessageFormat. Spread into en.ts; share-ru.ts has the same keys. No logic.

/** Field problems of the share and of a tunnel naming a shared computer. */
export const shareValidationEn = {
  'validation.serverName':
    'Use 1 to 63 lower-case letters, digits, - or _, beginning and ending with a letter or digit.',
  'validation.shareServices': 'Choose Remote Desktop, SSH or both.',
  'validation.subs':
    'Separate user IDs with commas; each may be used once, at most {max} characters long.',
  'validation.subCount': 'List at most {max} people.',
} as const;

/** The relay's refusals of published servers, said from its `details.reason`. */
export const shareErrorDetailsEn = {
  'errorDetail.serverNameTaken':
    'Another computer in your organisation is already shared as “{name}”. Choose another name.',
  'errorDetail.serverKeyMismatch':
    '“{name}” is shared from another of your computers, which has its own key. Stop sharing it there, or choose another name.',
  'errorDetail.serverUnknown': 'No computer named “{server}” is shared with you.',
  'errorDetail.serverNotAllowed': '“{server}” is no longer shared with you.',
  'errorDetail.serverOffline': '“{server}” is not connected to the relay right now.',
  'errorDetail.portNotPublished': '“{server}” does not share port {port}.',
  'errorDetail.serverKeyChanged':
    '“{server}” now shows a different key than when you first reached it. Turn the tunnel off and on again only if you trust that change.',
} as const;

export const enShare = {
  'nav.share': 'Share',

  // The Share view.
  'share.heading': 'Share this computer',
  'share.intro':
    'Let people in your organisation reach this computer’s Remote Desktop or SSH through the relay: no VPN, no port forwarding.',
  'share.name': 'Name',
  'share.nameHelp': 'Others find this computer by this name: lower-case letters, digits, - and _.',
  'share.services': 'What to share',
  'share.service.rdp': 'Remote Desktop',
  'share.service.rdpHint': 'This computer’s desktop (port 3389)',
  'share.service.ssh': 'SSH',
  'share.service.sshHint': 'This computer’s command line (port 22)',
  'share.port': 'Port {port}',
  'share.who': 'Who may connect',
  'share.whoEveryone': 'Everyone in my organisation',
  'share.whoListed': 'Only these people',
  'share.subs': 'User IDs',
  'share.subsHelp': 'As their access tokens name them, separated by commas.',
  'share.start': 'Start sharing',
  'share.starting': 'Starting…',
  'share.save': 'Save changes',
  'share.saving': 'Saving…',
  'share.stop': 'Stop sharing',
  'share.stopping': 'Stopping…',
  'share.change': 'Change…',
  'share.cancel': 'Cancel',
  'share.needsRelay': 'Sharing needs a relay: set one up on Status first.',
  'share.needsToken': 'Sharing needs your access token: sign in on Account first.',
  'share.status':
    '{status, select, online {Online} starting {Starting…} waiting {Waiting for the relay} offline {Reconnecting to the relay} error {Not shared} other {Off}}',
  'share.statusLine':
    '{status, select, online {People you allow can connect to “{name}” now.} starting {The relay is publishing “{name}”.} waiting {“{name}” is shared once CloudBridge is connected to the relay.} offline {“{name}” is reachable again once its link to the relay is back.} error {“{name}” could not be shared.} other {This computer is not shared. Others cannot reach it.}}',
  'share.summaryServices': 'Shares',
  'share.summaryWho': 'Who may connect',
  'share.everyone': 'Everyone in your organisation',
  'share.summaryEncryption': 'Encryption',
  'share.endToEnd': 'End to end, with this computer’s own key: the relay cannot read it.',
  'share.errorTitle': 'This computer could not be shared',
  'share.connections': 'Connected now',
  'share.noConnections': 'Nobody is connected.',
  'share.colWho': 'Who',
  'share.colService': 'Service',
  'share.colFrom': 'From',
  'share.colSince': 'Since',
  'share.colReceived': 'Received',
  'share.colSent': 'Sent',
  'share.totalConnections':
    '{count, plural, one {# connection since sharing started.} other {# connections since sharing started.}}',

  // The shared computers Add tunnel offers.
  'serverPick.legend': 'Connect to',
  'serverPick.host': 'A host or IP address',
  'serverPick.server': 'A computer shared in your organisation',
  'serverPick.computer': 'Shared computer',
  'serverPick.tunnelName': '{service} on {server}',
  'serverPick.choose': 'Choose a computer',
  'serverPick.option':
    '{name} ({online, select, yes {online} other {offline}}; {keyed, select, yes {end to end} other {not end to end}})',
  'serverPick.service': 'Service',
  'serverPick.loading': 'Looking for shared computers…',
  'serverPick.none': 'Nobody in your organisation shares a computer with you yet.',
  'serverPick.notConnected': 'Connect to the relay to see the computers shared with you.',
  'serverPick.failed': 'The list of shared computers could not be read.',
  'serverPick.refresh': 'Refresh',
  'serverPick.keyed': 'Encrypted end to end: the relay cannot read or change this connection.',
  'serverPick.keyless':
    'Not encrypted end to end: the relay can read and change this connection. Use it only if you trust whoever runs the relay.',
  'serverPick.tunnelKeyed': 'End to end, with the shared computer’s own key',
  'serverPick.tunnelKeyless': 'Not end to end: the relay can read this connection',
  'serverPick.offline':
    '“{name}” is not connected to the relay right now; the tunnel works once it is.',

  // The share's row in the tray.
  'tray.share.off': 'Share “{name}” — off',
  'tray.share.online': 'Share “{name}” — online',
  'tray.share.onlineCount':
    'Share “{name}” — online · {count, plural, one {# connected} other {# connected}}',
  'tray.share.starting': 'Share “{name}” — starting…',
  'tray.share.waiting': 'Share “{name}” — waiting for relay',
  'tray.share.idle': 'Share “{name}” — on, not connected',
  'tray.share.offline': 'Share “{name}” — reconnecting',
  'tray.share.problem':
    'Share “{name}” — {code, select, tunnel_exists {name taken} keychain_unavailable {keychain unavailable} rate_limit_exceeded {relay limit, retrying} tenant_limit_exceeded {limit reached} other {not shared}}',
  'tray.share.connection': '{sub} — {service}',
  'tray.share.start': 'Start sharing',
  'tray.share.stop': 'Stop sharing',
  'tray.reason.noRelay': 'no relay set up',
  'tray.reason.signedOut': 'not signed in',
} as const;

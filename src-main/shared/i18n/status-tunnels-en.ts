// English messages of the Status and Tunnels views and their parts (the state header, the
// first-run checklist, tunnel rows and details, presets, the hint after saving), in ICU
// MessageFormat. Spread into en.ts; status-tunnels-ru.ts has the same keys. No logic here.

export const enStatusTunnels = {
  'kind.web': 'Web',

  // The state header on Status.
  'status.ago': '{time} ago',
  'status.connectedTo': 'Connected to {relay}.',
  'status.connectingTo': 'Connecting to {relay}…',
  'status.startingTunnels': 'Connected to {relay}; starting tunnels…',
  'status.notConnected': 'Not connected.',
  'status.attemptOf': '(attempt {n} of {max})',
  'status.giveUp':
    '{max, plural, one {After # attempt} other {After # attempts}} CloudBridge stops trying; Connect starts again.',
  'status.disconnectedSince': 'Disconnected since',
  'status.tunnelsWaiting': '{n, plural, one {# tunnel} other {# tunnels}} waiting for the relay',
  'status.tunnelsNone': 'None yet',
  'status.tunnelsAll': 'All tunnels',
  'status.connectNeedsRelay': 'Connect needs a relay: set one up first.',
  'status.connectNeedsToken': 'Connect needs your access token: sign in first.',
  'status.connectNeedsLink': 'Connect needs a relay: accept the connection link above.',
  'status.setUpRelay': 'Set up relay…',
  'status.signIn': 'Sign in…',

  // The first-run checklist.
  'checklist.title': 'Get started',
  'checklist.progress': '{done} of {total} done',
  'checklist.done': 'Done',
  'checklist.todo': 'To do',
  'checklist.relay': 'Relay',
  'checklist.relayTodo':
    'Open the connection link your administrator sent you, or set up a relay yourself.',
  'checklist.relayDone': 'Using {relay}',
  'checklist.relayLink':
    'Accept the connection link above: it sets up the relay and, when it brings one, your token.',
  'checklist.signIn': 'Sign in',
  'checklist.signInTodo': 'Paste the access token your administrator gave you.',
  'checklist.signInDone': 'Signed in as {subject}',
  'checklist.signInDoneAnonymous': 'Signed in',
  'checklist.needsRelay': 'Set up the relay first.',
  'checklist.tunnel': 'First tunnel',
  'checklist.tunnelTodo': 'Choose what to reach through the relay.',
  'checklist.tunnelWaiting': '“{name}” starts once CloudBridge is connected.',
  'checklist.tunnelStarting': '“{name}” is starting…',
  'checklist.tunnelFailed': '“{name}” did not start: see Tunnels.',
  'checklist.computer': 'Computer',
  'checklist.computerHelp': '“localhost” is the computer the relay runs on.',
  'checklist.add': 'Add tunnel',
  'checklist.adding': 'Adding…',
  'checklist.otherPreset': 'Another type of tunnel…',

  // Presets, in the editor and the checklist.
  'preset.heading': 'What do you want to reach?',
  'preset.rdp': 'Remote Desktop',
  'preset.rdpHint': 'A Windows desktop (port 3389)',
  'preset.ssh': 'SSH',
  'preset.sshHint': 'A command line (port 22)',
  'preset.web': 'Web',
  'preset.webHint': 'A website or web app (port 80 or 443)',
  'preset.other': 'Other',
  'preset.otherHint': 'Any TCP port',
  'form.remoteHostHelp': '“localhost” is the computer the relay runs on.',
  'form.portInUse': 'Port {port} is in use on this computer.',
  'form.usePort': 'Use {port}',

  // After saving: how to use the tunnel.
  'hint.connect':
    'Connect {type, select, rdp {Remote Desktop} ssh {your SSH client} web {your browser} other {your program}} to {address}',
  'hint.copy': 'Copy',
  'hint.copied': 'Copied',
  'hint.open': 'Open',
  'hint.close': 'Close',

  // Tunnel rows and details.
  'tunnels.copyAddress': 'Copy the address {address}',
  'tunnels.menu': 'More for {name}',
  'tunnels.showDetails': 'Details of {name}',
  'tunnels.lastActivity': 'Last activity {time} ago',
  'tunnels.noTraffic': 'No traffic yet',
  'tunnels.rateChart': 'Traffic in the last minute',
  'tunnels.session': 'This session',
  'tunnels.trafficHeading': 'Traffic',
  'tunnels.connectionsHeading': 'Connections',
  'tunnels.connOpen': 'Open now',
  'tunnels.connFailed': 'Failed',
  'tunnels.connTotal': 'Total',
  'tunnels.localAddress': 'Local address',
  'tunnels.remote': 'Remote computer',
  'tunnels.dataPath': 'Data path',
  'tunnels.viaRelay': 'Through the relay',
  'tunnels.reason.pending': 'Starts once CloudBridge is connected',
  'tunnels.reason.registering': 'Asking the relay…',
  'tunnels.tryAgain': 'Try again',
  'tunnels.changePort': 'Change local port…',
  'tunnels.newPort': 'New local port',
  'tunnels.savePort': 'Save port',
  'tunnels.suggestedPort': 'Port {port} is free.',
} as const;

// `cloudbridge-relay`: the reference relay as a process. Parses flags and the config file
// (relay/config.ts), starts the relay, prints JSON log lines on stdout and where it listens on
// stderr, and shuts down cleanly on SIGINT/SIGTERM; `cloudbridge-relay invite` makes a
// connection link instead (relay-invite.ts). Exit codes: 0 clean stop, 1 runtime failure,
// 2 bad arguments.

import { ConfigError, parseRelayArgs, RELAY_USAGE } from '../relay/config';
import { startRelay } from '../relay/relay-server';
import { writeFileAtomically } from './file-output';
import { runRelayInvite } from './relay-invite';

async function main(): Promise<number> {
  // A log reader that goes away (EPIPE) must not take the relay with it: lines are dropped.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  if (process.argv[2] === 'invite')
    return runRelayInvite(process.argv.slice(3), {
      env: process.env,
      cwd: process.cwd(),
      nowMs: () => Date.now(),
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
      writeFile: writeFileAtomically,
    });
  let config;
  try {
    config = parseRelayArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`cloudbridge-relay: ${error.message}\n\n${RELAY_USAGE}`);
      return 2;
    }
    throw error;
  }
  if (config.help) {
    process.stdout.write(RELAY_USAGE);
    return 0;
  }
  for (const warning of config.warnings)
    process.stderr.write(`cloudbridge-relay: warning: ${warning}\n`);
  let relay;
  try {
    relay = await startRelay({
      ...config.options,
      log: (line) => process.stdout.write(line + '\n'),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    process.stderr.write(
      `cloudbridge-relay: cannot start: ${code ? `${code} ` : ''}${(error as Error).message}\n`,
    );
    return ['AuthConfigError', 'PolicyError'].includes((error as Error).name) ? 2 : 1;
  }
  const scheme = relay.insecure ? 'tcp (PLAINTEXT, development only)' : 'tls';
  process.stderr.write(
    `cloudbridge-relay: listening on ${scheme}://${relay.host.includes(':') ? `[${relay.host}]` : relay.host}:${relay.port}\n`,
  );
  if (relay.metricsUrl) process.stderr.write(`cloudbridge-relay: metrics on ${relay.metricsUrl}\n`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`cloudbridge-relay: ${signal}, shutting down\n`);
      relay.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`cloudbridge-relay: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);

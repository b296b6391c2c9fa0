// Entry point of the headless `cloudbridge` CLI: dispatches `connect` and `token`, maps
// usage errors to exit code 2. Composition root only (real engine, real process I/O);
// the behaviour lives in args.ts, connect.ts and format.ts. Never prints a token except
// the one `token` is asked to mint, on stdout.

import { readFile } from 'node:fs/promises';

import { createEngine } from '../engine/engine';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, USAGE, UsageError, parseCommandLine } from './args';
import { runConnect } from './connect';

const VERSION = '0.1.0';

async function main(argv: readonly string[]): Promise<number> {
  const command = parseCommandLine(argv, process.env);
  switch (command.kind) {
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return EXIT_OK;
    case 'version':
      process.stdout.write(`cloudbridge ${VERSION}\n`);
      return EXIT_OK;
    case 'token': {
      // Loaded here: only this command needs the JWT library.
      const { mintDevToken } = await import('../relay/tokens');
      const token = await mintDevToken({
        secret: command.args.secret,
        sub: command.args.subject,
        ttlSec: command.args.ttlSeconds,
        ...(command.args.tenant === null ? {} : { tenant: command.args.tenant }),
      });
      process.stdout.write(`${token}\n`);
      return EXIT_OK;
    }
    case 'connect':
      return runConnect(command.args, {
        env: process.env,
        readTextFile: (path) => readFile(path, 'utf8'),
        out: (line) => process.stdout.write(`${line}\n`),
        err: (line) => process.stderr.write(`${line}\n`),
        onSignal: (handler) => {
          const onInt = (): void => handler('SIGINT');
          const onTerm = (): void => handler('SIGTERM');
          process.once('SIGINT', onInt);
          process.once('SIGTERM', onTerm);
          return () => {
            process.off('SIGINT', onInt);
            process.off('SIGTERM', onTerm);
          };
        },
        now: () => Date.now(),
        createEngine,
      });
  }
}

/** Exits once stdout has drained, so a timer some library left behind cannot keep us alive. */
function exitAfterFlush(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.exit(code));
}

main(process.argv.slice(2)).then(
  (code) => exitAfterFlush(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`cloudbridge: ${error.message}\n\n${USAGE}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    process.stderr.write(
      `cloudbridge: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = EXIT_FAILURE;
  },
);

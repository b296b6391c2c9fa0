// Entry point of the headless `cloudbridge` CLI: dispatches `connect`, `serve`, `servers` and `token`, maps
// usage errors to exit code 2. Composition root only (real engine, real process I/O);
// the behaviour lives in args.ts, connect.ts and format.ts. Never prints a token except
// the one `token` is asked to mint, on stdout or into its --out file (mode 0600).

import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';

import { createEngine } from '../engine/engine';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, USAGE, UsageError, parseCommandLine } from './args';
import { runConnect, type ConnectIo } from './connect';
import { runServe } from './serve';
import { runServers } from './servers';
import { writeFileAtomically } from './file-output';

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
      for (const warning of command.args.warnings)
        process.stderr.write(`cloudbridge: warning: ${warning}\n`);
      const secret = command.args.secret ?? (await readSecretFile(command.args.secretFile ?? ''));
      // Loaded here: only this command needs the JWT library.
      const { mintDevToken } = await import('../relay/tokens');
      const token = await mintDevToken({
        secret,
        sub: command.args.subject,
        ttlSec: command.args.ttlSeconds,
        ...(command.args.tenant === null ? {} : { tenant: command.args.tenant }),
      });
      if (command.args.out === null) process.stdout.write(`${token}\n`);
      else {
        await writePrivateFile(command.args.out, `${token}\n`);
        process.stderr.write(`cloudbridge: token written to ${command.args.out} (mode 600)\n`);
      }
      return EXIT_OK;
    }
    case 'connect':
      if (command.args.tokenFile !== null) await warnIfShared(command.args.tokenFile);
      return runConnect(command.args, processIo());
    case 'serve':
      if (command.args.tokenFile !== null) await warnIfShared(command.args.tokenFile);
      return runServe(command.args, { ...processIo(), homeDir: homedir() });
    case 'servers':
      if (command.args.tokenFile !== null) await warnIfShared(command.args.tokenFile);
      return runServers(command.args, processIo());
  }
}

/** The real process's side of a command: files, stdout/stderr, signals, the engine. */
function processIo(): ConnectIo {
  return {
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
  };
}

/** Group/other permission bits: a secret file with any of them set can be read by others. */
const SHARED_BITS = 0o077;

async function readSecretFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read the secret file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  await warnIfShared(path);
  return text.replace(/\r?\n$/, '');
}

/** Warns (stderr) when a file holding a secret is readable by group or others. */
async function warnIfShared(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  let mode: number;
  try {
    mode = (await stat(path)).mode & 0o777;
  } catch {
    return; // a missing file is reported by whoever reads it
  }
  if ((mode & SHARED_BITS) !== 0)
    process.stderr.write(
      `cloudbridge: warning: ${path} is readable by others (mode ${mode.toString(8).padStart(3, '0')}); chmod 600 ${path}\n`,
    );
}

/** Writes a file only its owner can read (file-output.ts). */
function writePrivateFile(path: string, text: string): Promise<void> {
  return writeFileAtomically(path, text, 0o600);
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

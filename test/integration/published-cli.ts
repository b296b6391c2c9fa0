// The `cloudbridge` CLI as processes for the published-server tests: bundled from source once
// per test file, token and CA files written mode 0600 in a temp dir, `serve` and `connect`
// started with the relay's flags, and waits for the lines they print. Owns no assertions.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleEntry, childEnv, REPO_ROOT } from '../harness/bundle';
import { runToCompletion, startProcess, type ManagedProcess } from '../harness/processes';
import type { RelayAccess } from '../harness/relay';
import { freePort } from '../harness/traffic';

export interface CliKit {
  readonly dir: string;
  /** A token file (mode 0600) for `sub` of `tenant`. */
  tokenFile(relay: RelayAccess, sub: string, tenant?: string): Promise<string>;
  /** The relay flags: --relay, --ca, --servername. */
  relayArgs(relay: RelayAccess, port?: number): string[];
  start(args: readonly string[], name?: string): ManagedProcess;
  run(args: readonly string[]): ReturnType<typeof runToCompletion>;
  close(): void;
}

let bundled: Promise<string> | null = null;
const CLI_DIR = mkdtempSync(join(tmpdir(), 'cloudbridge-published-cli-'));
process.once('exit', () => rmSync(CLI_DIR, { recursive: true, force: true }));

function cliBundle(): Promise<string> {
  bundled ??= bundleEntry('src-main/cli/cloudbridge.ts', join(CLI_DIR, 'cloudbridge.cjs'));
  return bundled;
}

export async function cliKit(): Promise<CliKit> {
  const cli = await cliBundle();
  const dir = mkdtempSync(join(tmpdir(), 'cloudbridge-serve-test-'));
  let files = 0;
  const env = (): NodeJS.ProcessEnv => {
    const clean = childEnv({ XDG_CONFIG_HOME: join(dir, 'config') });
    delete clean['CLOUDBRIDGE_TOKEN'];
    return clean;
  };
  return {
    dir,
    async tokenFile(relay, sub, tenant) {
      files += 1;
      const path = join(dir, `token-${files}`);
      writeFileSync(path, await relay.token({ sub, ...(tenant !== undefined ? { tenant } : {}) }), {
        mode: 0o600,
      });
      return path;
    },
    relayArgs(relay, port = relay.port) {
      const ca = join(dir, 'ca.pem');
      writeFileSync(ca, relay.caPem);
      return ['--relay', `127.0.0.1:${port}`, '--ca', ca, '--servername', 'localhost'];
    },
    start: (args, name = 'cloudbridge') =>
      startProcess(process.execPath, [cli, ...args], { cwd: REPO_ROOT, env: env(), name }),
    run: (args) =>
      runToCompletion(process.execPath, [cli, ...args], {
        cwd: REPO_ROOT,
        env: env(),
        timeoutMs: 30_000,
      }),
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** `--tunnel` arguments to `name:port` for each port, on free local ports (port -> local). */
export async function serverTunnels(
  name: string,
  ports: readonly number[],
): Promise<{ args: string[]; local: Map<number, number> }> {
  const local = new Map<number, number>();
  const args: string[] = [];
  for (const port of ports) {
    const localPort = await freePort();
    local.set(port, localPort);
    args.push('--tunnel', `${localPort}:@${name}:${port}`);
  }
  return { args, local };
}

/** Resolves once `proc` printed a listening line for every local port. */
export async function waitListening(
  proc: ManagedProcess,
  localPorts: Iterable<number>,
): Promise<void> {
  for (const port of localPorts)
    await proc.waitForLine(new RegExp(`tunnel t-${port} {2}listening`), 20_000);
}

// A throwaway OpenSSH server on a loopback port for system tests and the benchmark: fresh
// host and user keys per run, a generated authorized_keys, no PAM, no strict modes (tests
// run as root here). Owns only sshd and the ssh client command line; it never touches
// ~/.ssh or system configuration (besides creating sshd's privilege-separation directory).

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

import { runToCompletion, startProcess, type ManagedProcess } from './processes';
import { freePort } from './traffic';

const SSHD = '/usr/sbin/sshd';
const HOST_KEY_ALIAS = 'cloudbridge-test-sshd';

export interface Sshd {
  readonly port: number;
  readonly dir: string;
  readonly user: string;
  readonly process: ManagedProcess;
  /** `ssh` arguments (before the command) that reach this server via `host:port`. */
  sshArgs(port?: number, host?: string): string[];
  /** `ssh -L` arguments for a forward from `localPort` to `target` through this server. */
  forwardArgs(localPort: number, targetHost: string, targetPort: number): string[];
  close(): Promise<void>;
}

async function keygen(path: string): Promise<void> {
  const result = await runToCompletion('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    'cloudbridge-test',
    '-f',
    path,
  ]);
  if (result.code !== 0) throw new Error(`ssh-keygen failed: ${result.stderr}`);
}

export interface SshdOptions {
  /** Extra sshd_config lines. */
  readonly config?: readonly string[];
}

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'cloudbridge-sshd-'));
  // sshd refuses to start without it; it is empty and owned by root.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = join(dir, 'host_ed25519');
  const userKey = join(dir, 'user_ed25519');
  await keygen(hostKey);
  await keygen(userKey);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${userKey}.pub`), { mode: 0o600 });
  const hostPub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  writeFileSync(join(dir, 'known_hosts'), `${HOST_KEY_ALIAS} ${hostPub}\n`);
  const user = userInfo().username;

  let lastError: unknown = null;
  // freePort() can race with another listener: try a few ports.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const configPath = join(dir, 'sshd_config');
    writeFileSync(
      configPath,
      [
        `ListenAddress 127.0.0.1:${port}`,
        `HostKey ${hostKey}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        'StrictModes no',
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'PermitRootLogin prohibit-password',
        'AllowTcpForwarding yes',
        'X11Forwarding no',
        'PrintMotd no',
        'UseDNS no',
        'MaxStartups 2000',
        'MaxSessions 100',
        'Ciphers aes128-gcm@openssh.com,chacha20-poly1305@openssh.com,aes256-gcm@openssh.com',
        'LogLevel INFO',
        ...(options.config ?? []),
        '',
      ].join('\n'),
    );
    const proc = startProcess(SSHD, ['-D', '-e', '-f', configPath], { name: 'sshd' });
    try {
      await proc.waitForLine(/Server listening on 127\.0\.0\.1 port/, 10_000);
    } catch (error) {
      lastError = error;
      await proc.stop(500);
      continue;
    }
    const sshArgs = (targetPort = port, host = '127.0.0.1'): string[] => [
      '-F',
      '/dev/null',
      '-i',
      userKey,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `HostKeyAlias=${HOST_KEY_ALIAS}`,
      '-o',
      'ConnectTimeout=10',
      '-o',
      'LogLevel=ERROR',
      '-p',
      String(targetPort),
      '-l',
      user,
      host,
    ];
    return {
      port,
      dir,
      user,
      process: proc,
      sshArgs,
      forwardArgs: (localPort, targetHost, targetPort) => [
        '-N',
        '-o',
        'ExitOnForwardFailure=yes',
        '-o',
        'Ciphers=aes128-gcm@openssh.com',
        '-o',
        'Compression=no',
        '-L',
        `127.0.0.1:${localPort}:${targetHost}:${targetPort}`,
        ...sshArgs(),
      ],
      async close() {
        await proc.stop(2_000);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`sshd did not start: ${String(lastError)}`);
}

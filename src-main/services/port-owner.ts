// Finds which process holds a local TCP port, so a "port in use" error can say who has it.
// Linux: /proc/net/tcp{,6} + /proc/<pid>/fd; macOS: lsof; Windows: netstat -ano + tasklist.
// Best effort: any failure (no permission, tool missing) answers null, never throws.

import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';

export interface PortOwner {
  readonly pid: number;
  /** Process name when the OS tells us. */
  readonly command: string | null;
}

/** Socket inodes listening on `port` in a /proc/net/tcp or tcp6 table. */
export function parseProcNetTcp(table: string, port: number): number[] {
  const inodes: number[] = [];
  for (const line of table.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    const local = cols[1];
    const state = cols[3];
    const inode = cols[9];
    if (local === undefined || state === undefined || inode === undefined) continue;
    const hexPort = local.split(':')[1];
    if (hexPort === undefined || parseInt(hexPort, 16) !== port) continue;
    if (state !== '0A') continue; // 0A = TCP_LISTEN
    const n = Number(inode);
    if (Number.isInteger(n) && n > 0) inodes.push(n);
  }
  return inodes;
}

/** `lsof -nP -iTCP:<port> -sTCP:LISTEN -Fpc` output: p<pid> then c<command>. */
export function parseLsof(output: string): PortOwner | null {
  let pid: number | null = null;
  let command: string | null = null;
  for (const line of output.split('\n')) {
    if (line.startsWith('p') && pid === null) pid = Number(line.slice(1));
    else if (line.startsWith('c') && pid !== null && command === null) command = line.slice(1);
  }
  return pid !== null && Number.isInteger(pid) && pid > 0 ? { pid, command } : null;
}

/** `netstat -ano -p TCP` output: the PID listening on `port`. */
export function parseNetstat(output: string, port: number): number | null {
  for (const line of output.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (
      cols.length < 5 ||
      cols[0]?.toUpperCase() !== 'TCP' ||
      cols[3]?.toUpperCase() !== 'LISTENING'
    )
      continue;
    const local = cols[1] ?? '';
    if (Number(local.slice(local.lastIndexOf(':') + 1)) !== port) continue;
    const pid = Number(cols[4]);
    if (Number.isInteger(pid) && pid > 0) return pid;
  }
  return null;
}

/** `tasklist /FI "PID eq N" /FO CSV /NH`: "name.exe","1234",... */
export function parseTasklist(output: string): string | null {
  const match = /^"([^"]+)"/.exec(output.trim());
  return match?.[1] ?? null;
}

export type RunCommand = (command: string, args: readonly string[]) => Promise<string>;

const runCommand: RunCommand = (command, args) =>
  new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      { timeout: 5_000, windowsHide: true, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout) => {
        // lsof exits 1 when nothing matches; its (empty) output is still the answer.
        if (error && !stdout) reject(new Error(error.message));
        else resolve(stdout);
      },
    );
  });

export interface PortOwnerOptions {
  readonly platform?: NodeJS.Platform;
  /** Root of the proc file system; tests point it at fixtures. */
  readonly procRoot?: string;
  readonly run?: RunCommand;
}

async function linuxOwner(port: number, procRoot: string): Promise<PortOwner | null> {
  const inodes = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    const text = await fsp.readFile(join(procRoot, 'net', table), 'utf8').catch(() => '');
    for (const inode of parseProcNetTcp(text, port)) inodes.add(inode);
  }
  if (inodes.size === 0) return null;
  const entries = await fsp.readdir(procRoot).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fdDir = join(procRoot, entry, 'fd');
    const fds = await fsp.readdir(fdDir).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await fsp.readlink(join(fdDir, fd)).catch(() => '');
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match && inodes.has(Number(match[1]))) {
        const comm = await fsp.readFile(join(procRoot, entry, 'comm'), 'utf8').catch(() => null);
        return { pid: Number(entry), command: comm === null ? null : comm.trim() };
      }
    }
  }
  return null;
}

export async function findPortOwner(
  port: number,
  options: PortOwnerOptions = {},
): Promise<PortOwner | null> {
  const platform = options.platform ?? process.platform;
  const run = options.run ?? runCommand;
  try {
    if (platform === 'linux') return await linuxOwner(port, options.procRoot ?? '/proc');
    if (platform === 'darwin') {
      return parseLsof(await run('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fpc']));
    }
    if (platform === 'win32') {
      const pid = parseNetstat(await run('netstat', ['-ano', '-p', 'TCP']), port);
      if (pid === null) return null;
      const name = await run('tasklist', ['/FI', `PID eq ${pid}`, '/FO', 'CSV', '/NH']).catch(
        () => '',
      );
      return { pid, command: parseTasklist(name) };
    }
  } catch {
    return null;
  }
  return null;
}

export function describeOwner(owner: PortOwner | null): string | null {
  if (owner === null) return null;
  return owner.command === null
    ? `process ${owner.pid}`
    : `${owner.command} (process ${owner.pid})`;
}

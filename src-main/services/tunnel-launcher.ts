// "Open" for a tunnel: starts the platform's RDP client or an SSH session in a terminal,
// pointed at the tunnel's local port. The command is built by a pure function as an
// argument array (never a shell string) and carries no secret; the spawner is thin.

import { spawn } from 'node:child_process';
import type { TunnelConfig } from '../shared/model';
import { isValidPort } from '../shared/tunnel-validation';

export interface LaunchCommand {
  readonly command: string;
  readonly args: readonly string[];
}

/** Loopback address a client should dial for a tunnel bound to `localHost`. */
function dialHost(localHost: string): string {
  return localHost === '0.0.0.0' || localHost === '::' || localHost === ''
    ? '127.0.0.1'
    : localHost;
}

export function buildOpenCommand(
  tunnel: Pick<TunnelConfig, 'kind' | 'localHost' | 'localPort'>,
  platform: NodeJS.Platform,
): LaunchCommand | null {
  const port = tunnel.localPort;
  if (!isValidPort(port)) return null;
  const host = dialHost(tunnel.localHost);
  const hostPort = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  if (tunnel.kind === 'rdp') {
    if (platform === 'win32') return { command: 'mstsc', args: [`/v:${hostPort}`] };
    if (platform === 'darwin')
      return { command: 'open', args: [`rdp://full%20address=s:${hostPort}`] };
    return { command: 'xdg-open', args: [`rdp://${hostPort}`] };
  }
  if (tunnel.kind === 'ssh') {
    const sshHost = host === '127.0.0.1' ? 'localhost' : host;
    if (platform === 'win32') {
      // `start` opens a new console window; the empty string is its window-title argument.
      return {
        command: 'cmd.exe',
        args: ['/d', '/c', 'start', '', 'ssh', '-p', String(port), sshHost],
      };
    }
    if (platform === 'darwin') {
      // Only a port number and a literal host name reach the AppleScript text.
      return {
        command: 'osascript',
        args: [
          '-e',
          `tell application "Terminal" to do script "ssh -p ${port} ${sshHost}"`,
          '-e',
          'tell application "Terminal" to activate',
        ],
      };
    }
    return { command: 'x-terminal-emulator', args: ['-e', 'ssh', '-p', String(port), sshHost] };
  }
  return null;
}

export type Spawner = (command: LaunchCommand) => Promise<void>;

/** Detached, no shell; resolves once the process started, rejects if it could not. */
export const spawnDetached: Spawner = (launch) =>
  new Promise((resolve, reject) => {
    const child = spawn(launch.command, [...launch.args], {
      detached: true,
      stdio: 'ignore',
      shell: false,
      windowsHide: false,
    });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });

// "Open" for a tunnel: starts the platform's RDP client or an SSH session in a terminal,
// pointed at the tunnel's local port. The command is built by a pure function as an
// argument array (never a shell string) and carries no secret; the spawner is thin.
// Where an interpreter cannot be avoided (cmd.exe's `start`, Terminal's shell behind
// AppleScript) the data is escaped for exactly that interpreter, or refused.

import { spawn } from 'node:child_process';
import type { TunnelConfig } from '../shared/model';
import { isValidHost, isValidPort } from '../shared/tunnel-validation';

export interface LaunchCommand {
  readonly command: string;
  readonly args: readonly string[];
}

/**
 * The macOS SSH launcher's script. Constant text: host and port arrive as `argv` items
 * (`on run argv`), never spliced into the source, and `quoted form of` quotes them for the
 * shell Terminal runs the command in.
 */
export const MAC_SSH_SCRIPT: readonly string[] = [
  'on run argv',
  'tell application "Terminal"',
  'do script "ssh -p " & quoted form of (item 1 of argv) & " " & quoted form of (item 2 of argv)',
  'activate',
  'end tell',
  'end run',
];

/** Loopback address a client should dial for a tunnel bound to `localHost`. */
function dialHost(localHost: string): string {
  return localHost === '0.0.0.0' || localHost === '::' ? '127.0.0.1' : localHost;
}

/** cmd.exe's special characters; a caret makes each one literal outside double quotes. */
const CMD_SPECIAL = /[\^&|<>()%!]/g;

/**
 * One argument for a `cmd.exe /c` command line: cmd's special characters caret-escaped.
 * Whitespace, quotes and control characters are refused (null): libuv would wrap such an
 * argument in double quotes, and inside quotes a caret is no longer an escape.
 */
export function escapeCmdArgument(arg: string): string | null {
  if (arg.length === 0 || /[\s"\p{Cc}]/u.test(arg)) return null;
  return arg.replace(CMD_SPECIAL, '^$&');
}

/**
 * A host:port for a URL (rdp://): everything but unreserved characters, brackets and colons
 * percent-encoded, so an IPv6 zone's `%` becomes `%25` (RFC 6874).
 */
export function encodeUrlHostPort(hostPort: string): string {
  return hostPort.replace(/[^A-Za-z0-9._~:[\]-]/g, (c) =>
    [...new TextEncoder().encode(c)]
      .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
      .join(''),
  );
}

/**
 * The command that opens `tunnel` on `platform`, or null when there is nothing to open it
 * with or its address fails the same checks as the tunnel editor (a bad entry must never
 * reach a command line, whatever the settings file says).
 */
export function buildOpenCommand(
  tunnel: Pick<TunnelConfig, 'kind' | 'localHost' | 'localPort'>,
  platform: NodeJS.Platform,
): LaunchCommand | null {
  const port = tunnel.localPort;
  if (!isValidPort(port) || !isValidHost(tunnel.localHost)) return null;
  const host = dialHost(tunnel.localHost);
  const hostPort = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  if (tunnel.kind === 'rdp') {
    if (platform === 'win32') return { command: 'mstsc', args: [`/v:${hostPort}`] };
    const url = encodeUrlHostPort(hostPort);
    if (platform === 'darwin') return { command: 'open', args: [`rdp://full%20address=s:${url}`] };
    return { command: 'xdg-open', args: [`rdp://${url}`] };
  }
  if (tunnel.kind === 'ssh') {
    const sshHost = host === '127.0.0.1' ? 'localhost' : host;
    if (platform === 'win32') {
      // `start` is a cmd.exe built-in and the only way to give ssh a console of its own;
      // the empty string is its window-title argument.
      const cmdHost = escapeCmdArgument(sshHost);
      if (cmdHost === null) return null;
      return {
        command: 'cmd.exe',
        args: ['/d', '/c', 'start', '', 'ssh', '-p', String(port), cmdHost],
      };
    }
    if (platform === 'darwin') {
      const script = MAC_SSH_SCRIPT.flatMap((line) => ['-e', line]);
      return { command: 'osascript', args: [...script, String(port), sshHost] };
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

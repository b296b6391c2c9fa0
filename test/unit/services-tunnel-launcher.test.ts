// "Open" commands per platform: exact argument arrays, the tunnel's local port, no secret;
// hostile local hosts (zone ids with shell, AppleScript or cmd.exe syntax) never reach a
// command line, and what does reach cmd.exe or a URL is escaped for it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAC_SSH_SCRIPT,
  buildOpenCommand,
  encodeUrlHostPort,
  escapeCmdArgument,
  type LaunchCommand,
} from '../../src-main/services/tunnel-launcher';
import { MAX_ZONE_ID_LENGTH, isValidHost } from '../../src-main/shared/tunnel-validation';

const rdp = { kind: 'rdp' as const, localHost: '127.0.0.1', localPort: 13389 };
const ssh = { kind: 'ssh' as const, localHost: '127.0.0.1', localPort: 2222 };
const PLATFORMS = ['win32', 'darwin', 'linux'] as const;
const macScript = MAC_SSH_SCRIPT.flatMap((line) => ['-e', line]);

const HOSTILE_HOSTS = [
  'fe80::1%x;open -a Calculator',
  'fe80::1%x"',
  'fe80::1%x&calc',
  'fe80::1%x|calc',
  'fe80::1%x^',
  'fe80::1%x%PATH%',
  'fe80::1%x\nid',
  'fe80::1%$(id)',
  'fe80::1%`id`',
  'fe80::1%x\' & do shell script "id" & \'',
  'fe80::1%eth0 -oProxyCommand=calc',
  `fe80::1%${'a'.repeat(MAX_ZONE_ID_LENGTH + 1)}`,
  'fe80::1%',
  '127.0.0.1;calc',
  '127.0.0.1 & calc',
  '-oProxyCommand=calc',
  'localhost"',
  '$(id).example',
  ' 127.0.0.1',
];

/** cmd.exe's specials that a caret does not precede: what cmd would interpret. */
function unescapedCmdSpecials(arg: string): string {
  return arg.replace(/\^./g, '').replace(/[^&|<>()%!^"]/g, '');
}

/** The arguments that carry data: for osascript the items after its constant script. */
function dataArguments(command: LaunchCommand): readonly string[] {
  return command.command === 'osascript' ? command.args.slice(macScript.length) : command.args;
}

describe('tunnel launcher', () => {
  it('opens RDP with mstsc on Windows, an rdp:// URL on macOS and xdg-open on Linux', () => {
    expect(buildOpenCommand(rdp, 'win32')).toEqual({
      command: 'mstsc',
      args: ['/v:127.0.0.1:13389'],
    });
    expect(buildOpenCommand(rdp, 'darwin')).toEqual({
      command: 'open',
      args: ['rdp://full%20address=s:127.0.0.1:13389'],
    });
    expect(buildOpenCommand(rdp, 'linux')).toEqual({
      command: 'xdg-open',
      args: ['rdp://127.0.0.1:13389'],
    });
  });

  it('opens ssh -p PORT localhost in a terminal on each platform, host and port as argv on macOS', () => {
    expect(buildOpenCommand(ssh, 'linux')).toEqual({
      command: 'x-terminal-emulator',
      args: ['-e', 'ssh', '-p', '2222', 'localhost'],
    });
    expect(buildOpenCommand(ssh, 'win32')).toEqual({
      command: 'cmd.exe',
      args: ['/d', '/c', 'start', '', 'ssh', '-p', '2222', 'localhost'],
    });
    expect(buildOpenCommand(ssh, 'darwin')).toEqual({
      command: 'osascript',
      args: [...macScript, '2222', 'localhost'],
    });
    // The script quotes both items for Terminal's shell and contains no data of its own.
    expect(MAC_SSH_SCRIPT.join('\n')).toContain('quoted form of (item 1 of argv)');
    expect(MAC_SSH_SCRIPT.join('\n')).toContain('quoted form of (item 2 of argv)');
  });

  it('passes an IPv6 zone id escaped for each consumer: caret for cmd.exe, %25 in URLs', () => {
    const zoned = { localHost: 'fe80::1%en0', localPort: 3390 };
    expect(buildOpenCommand({ ...zoned, kind: 'rdp' }, 'win32')?.args).toEqual([
      '/v:[fe80::1%en0]:3390',
    ]);
    expect(buildOpenCommand({ ...zoned, kind: 'rdp' }, 'darwin')?.args).toEqual([
      'rdp://full%20address=s:[fe80::1%25en0]:3390',
    ]);
    expect(buildOpenCommand({ ...zoned, kind: 'rdp' }, 'linux')?.args).toEqual([
      'rdp://[fe80::1%25en0]:3390',
    ]);
    expect(buildOpenCommand({ ...zoned, kind: 'ssh' }, 'win32')?.args).toEqual([
      '/d',
      '/c',
      'start',
      '',
      'ssh',
      '-p',
      '3390',
      'fe80::1^%en0',
    ]);
    expect(buildOpenCommand({ ...zoned, kind: 'ssh' }, 'darwin')?.args).toEqual([
      ...macScript,
      '3390',
      'fe80::1%en0',
    ]);
    expect(buildOpenCommand({ ...zoned, kind: 'ssh' }, 'linux')?.args).toEqual([
      '-e',
      'ssh',
      '-p',
      '3390',
      'fe80::1%en0',
    ]);
  });

  it('refuses every hostile local host on every platform and kind', () => {
    for (const localHost of HOSTILE_HOSTS) {
      expect(isValidHost(localHost), localHost).toBe(false);
      for (const platform of PLATFORMS) {
        for (const kind of ['rdp', 'ssh'] as const) {
          expect(buildOpenCommand({ kind, localHost, localPort: 2222 }, platform), localHost).toBe(
            null,
          );
        }
      }
    }
  });

  it('caret-escapes cmd.exe specials and refuses what a caret cannot make literal', () => {
    expect(escapeCmdArgument('a&b|c<d>e(f)g%h!i^j')).toBe('a^&b^|c^<d^>e^(f^)g^%h^!i^^j');
    for (const bad of ['', 'a b', 'a"b', 'a\tb', 'a\nb', 'a\u0000b'])
      expect(escapeCmdArgument(bad), JSON.stringify(bad)).toBeNull();
    expect(encodeUrlHostPort('[fe80::1%en0]:1')).toBe('[fe80::1%25en0]:1');
    expect(encodeUrlHostPort('a&b c"d;e')).toBe('a%26b%20c%22d%3Be');
  });

  it('never puts an unescaped interpreter character on a command line, for any local host', () => {
    const hostChars = fc.constantFrom(...'0123456789abcdefABCDEF:.%-_[]"&|;<>^()!$` \'\n\\/xyz');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: hostChars, maxLength: 40 }),
          fc.string({ maxLength: 40 }),
          fc.string({ unit: hostChars, maxLength: 20 }).map((zone) => `fe80::1%${zone}`),
        ),
        fc.constantFrom(...PLATFORMS),
        fc.constantFrom('rdp' as const, 'ssh' as const),
        (localHost, platform, kind) => {
          const command = buildOpenCommand({ kind, localHost, localPort: 2222 }, platform);
          if (command === null) return;
          expect(isValidHost(localHost)).toBe(true);
          if (command.command === 'osascript')
            expect(command.args.slice(0, macScript.length)).toEqual(macScript);
          if (command.command === 'cmd.exe')
            for (const arg of command.args) expect(unescapedCmdSpecials(arg)).toBe('');
          for (const arg of dataArguments(command)) {
            expect(arg).not.toMatch(/[\s"'`;&|<>$\\]/);
            if (arg.startsWith('rdp://')) expect(arg.slice(6)).not.toMatch(/%(?![0-9A-F]{2})/);
          }
        },
      ),
      { numRuns: 2_000, seed: 18 },
    );
  });

  it('dials loopback for a wildcard bind and has nothing to open for other kinds or bad ports', () => {
    expect(buildOpenCommand({ ...rdp, localHost: '0.0.0.0' }, 'win32')?.args).toEqual([
      '/v:127.0.0.1:13389',
    ]);
    expect(buildOpenCommand({ ...rdp, localHost: '::1' }, 'win32')?.args).toEqual([
      '/v:[::1]:13389',
    ]);
    expect(
      buildOpenCommand({ kind: 'other', localHost: '127.0.0.1', localPort: 80 }, 'linux'),
    ).toBeNull();
    expect(buildOpenCommand({ ...ssh, localPort: 0 }, 'linux')).toBeNull();
  });
});

// "Open" commands per platform: argument arrays only, the tunnel's local port, no secret.
import { describe, expect, it } from 'vitest';
import { buildOpenCommand } from '../../src-main/services/tunnel-launcher';

const rdp = { kind: 'rdp' as const, localHost: '127.0.0.1', localPort: 13389 };
const ssh = { kind: 'ssh' as const, localHost: '127.0.0.1', localPort: 2222 };

describe('tunnel launcher', () => {
  it('opens RDP with mstsc on Windows and an rdp:// URL on macOS', () => {
    expect(buildOpenCommand(rdp, 'win32')).toEqual({
      command: 'mstsc',
      args: ['/v:127.0.0.1:13389'],
    });
    expect(buildOpenCommand(rdp, 'darwin')).toEqual({
      command: 'open',
      args: ['rdp://full%20address=s:127.0.0.1:13389'],
    });
    expect(buildOpenCommand(rdp, 'linux')?.args).toEqual(['rdp://127.0.0.1:13389']);
  });

  it('opens ssh -p PORT localhost in a terminal on each platform', () => {
    expect(buildOpenCommand(ssh, 'linux')).toEqual({
      command: 'x-terminal-emulator',
      args: ['-e', 'ssh', '-p', '2222', 'localhost'],
    });
    expect(buildOpenCommand(ssh, 'win32')).toEqual({
      command: 'cmd.exe',
      args: ['/d', '/c', 'start', '', 'ssh', '-p', '2222', 'localhost'],
    });
    const mac = buildOpenCommand(ssh, 'darwin');
    expect(mac?.command).toBe('osascript');
    expect(mac?.args.join(' ')).toContain('do script "ssh -p 2222 localhost"');
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

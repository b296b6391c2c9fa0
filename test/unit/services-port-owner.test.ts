// Who holds a port: /proc/net/tcp parsing from fixtures, lsof/netstat/tasklist parsing, a
// fake /proc tree, and on Linux a real port held by this process.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  describeOwner,
  findPortOwner,
  parseLsof,
  parseNetstat,
  parseProcNetTcp,
  parseTasklist,
} from '../../src-main/services/port-owner';

const PROC_NET_TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0D3D 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 424242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0D3D 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 515151 1 0000000000000000 20 4 30 10 -1
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 11111 1 0000000000000000 100 0 0 10 0
`;

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

describe('port owner parsing', () => {
  it('finds LISTEN sockets on a port in /proc/net/tcp and ignores established ones', () => {
    expect(parseProcNetTcp(PROC_NET_TCP, 3389)).toEqual([424242]);
    expect(parseProcNetTcp(PROC_NET_TCP, 22)).toEqual([11111]);
    expect(parseProcNetTcp(PROC_NET_TCP, 80)).toEqual([]);
    expect(parseProcNetTcp('', 80)).toEqual([]);
  });

  it('reads lsof -F output, netstat -ano and tasklist CSV', () => {
    expect(parseLsof('p4242\ncsshd\nf3\n')).toEqual({ pid: 4242, command: 'sshd' });
    expect(parseLsof('')).toBeNull();
    const netstat = `
Active Connections

  Proto  Local Address          Foreign Address        State           PID
  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1044
  TCP    127.0.0.1:3389         0.0.0.0:0              LISTENING       7788
  TCP    127.0.0.1:3389         127.0.0.1:50000        ESTABLISHED     7788
  TCP    [::]:3390              [::]:0                 LISTENING       999
`;
    expect(parseNetstat(netstat, 3389)).toBe(7788);
    expect(parseNetstat(netstat, 3390)).toBe(999);
    expect(parseNetstat(netstat, 8080)).toBeNull();
    expect(parseTasklist('"mstsc.exe","7788","Console","1","25,000 K"\r\n')).toBe('mstsc.exe');
    expect(describeOwner({ pid: 7, command: 'nginx' })).toBe('nginx (process 7)');
    expect(describeOwner({ pid: 7, command: null })).toBe('process 7');
  });

  it('walks a /proc tree from the socket inode to the process name', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cb-proc-'));
    cleanup.push(() => rmSync(root, { recursive: true, force: true }));
    mkdirSync(join(root, 'net'));
    writeFileSync(join(root, 'net', 'tcp'), PROC_NET_TCP);
    mkdirSync(join(root, '321', 'fd'), { recursive: true });
    writeFileSync(join(root, '321', 'comm'), 'xrdp\n');
    symlinkSync('socket:[424242]', join(root, '321', 'fd', '7'));
    mkdirSync(join(root, '100', 'fd'), { recursive: true });
    symlinkSync('socket:[999]', join(root, '100', 'fd', '3'));
    expect(await findPortOwner(3389, { platform: 'linux', procRoot: root })).toEqual({
      pid: 321,
      command: 'xrdp',
    });
    expect(await findPortOwner(4000, { platform: 'linux', procRoot: root })).toBeNull();
  });

  it('uses lsof on macOS and netstat + tasklist on Windows through the injected runner', async () => {
    const calls: string[] = [];
    const run = (command: string, args: readonly string[]) => {
      calls.push([command, ...args].join(' '));
      if (command === 'lsof') return Promise.resolve('p55\ncScreen Sharing\n');
      if (command === 'netstat')
        return Promise.resolve('  TCP    127.0.0.1:5000   0.0.0.0:0   LISTENING   66\n');
      return Promise.resolve('"python.exe","66"\n');
    };
    expect(await findPortOwner(5900, { platform: 'darwin', run })).toEqual({
      pid: 55,
      command: 'Screen Sharing',
    });
    expect(await findPortOwner(5000, { platform: 'win32', run })).toEqual({
      pid: 66,
      command: 'python.exe',
    });
    expect(calls).toEqual([
      'lsof -nP -iTCP:5900 -sTCP:LISTEN -Fpc',
      'netstat -ano -p TCP',
      'tasklist /FI PID eq 66 /FO CSV /NH',
    ]);
    expect(
      await findPortOwner(1, {
        platform: 'darwin',
        run: () => Promise.reject(new Error('no lsof')),
      }),
    ).toBeNull();
  });
});

describe.runIf(process.platform === 'linux')('port owner on this machine', () => {
  it('names this process as the holder of a port it listens on', async () => {
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => server.close());
    const port = (server.address() as { port: number }).port;
    const owner = await findPortOwner(port);
    expect(owner?.pid).toBe(process.pid);
    expect(owner?.command).toBeTruthy();
  });
});

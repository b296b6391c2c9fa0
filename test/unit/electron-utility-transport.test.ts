// The engine host's utilityProcess transport against the stand-in electron module: what it
// asks utilityProcess.fork for, messages both ways, bounded output lines, one exit report,
// and the supervisor restarting a utility child that exited.
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { electronStandIn } from '../harness/electron-stand-in';
import { createUtilityTransport } from '../../src-main/electron/utility-transport';
import { createEngineHost } from '../../src-main/engine-host/engine-host';
import { FakeClock } from './engine-fake-clock';

class FakeUtilityProcess extends EventEmitter {
  static readonly forked: { path: string; args: string[]; options: Record<string, unknown> }[] = [];
  static readonly made: FakeUtilityProcess[] = [];
  pid: number | undefined = 4242;
  stdout = new PassThrough();
  stderr = new PassThrough();
  posted: unknown[] = [];
  postMessage(message: unknown): void {
    this.posted.push(message);
  }
  kill = vi.fn(() => {
    this.die(15);
    return true;
  });
  die(code: number): void {
    this.pid = undefined;
    this.emit('exit', code);
  }
  static fork(path: string, args: string[], options: Record<string, unknown>) {
    FakeUtilityProcess.forked.push({ path, args, options });
    const made = new FakeUtilityProcess();
    FakeUtilityProcess.made.push(made);
    return made;
  }
}

electronStandIn.utilityProcess = FakeUtilityProcess;

describe('utility process transport', () => {
  it('forks the entry with piped output, no exec args and only the environment it needs', () => {
    process.env.CLOUDBRIDGE_SECRET_PROBE = 'x';
    createUtilityTransport('/app/dist/engine-host/host-child.js');
    delete process.env.CLOUDBRIDGE_SECRET_PROBE;
    const fork = FakeUtilityProcess.forked.at(-1)!;
    expect(fork.path).toBe('/app/dist/engine-host/host-child.js');
    expect(fork.options).toMatchObject({
      stdio: 'pipe',
      execArgv: [],
      serviceName: expect.any(String),
    });
    expect(fork.options.env).not.toHaveProperty('CLOUDBRIDGE_SECRET_PROBE');
    expect(fork.options.env).toHaveProperty('PATH');
  });

  it('carries messages both ways and reports the exit once, with the code', () => {
    const transport = createUtilityTransport('/entry.js');
    const child = FakeUtilityProcess.made.at(-1)!;
    const received: unknown[] = [];
    const exits: unknown[] = [];
    transport.onMessage((m) => received.push(m));
    transport.onExit((e) => exits.push(e));
    expect(transport.pid).toBe(4242);
    expect(transport.send({ type: 'connect', id: 1 })).toBe(true);
    expect(child.posted).toEqual([{ type: 'connect', id: 1 }]);
    child.emit('message', { type: 'ready', pid: 4242 });
    expect(received).toEqual([{ type: 'ready', pid: 4242 }]);
    child.die(9);
    child.emit('exit', 9);
    expect(exits).toEqual([{ code: 9, signal: null }]);
    expect(transport.pid).toBeNull();
    expect(transport.send({ type: 'connect', id: 2 })).toBe(false);
    transport.kill();
    expect(child.kill).not.toHaveBeenCalled();
  });

  it('hands output on as bounded lines', async () => {
    const lines: string[] = [];
    createUtilityTransport('/entry.js', {
      maxLineChars: 8,
      onOutput: (stream, line) => lines.push(`${stream}:${line}`),
    });
    const child = FakeUtilityProcess.made.at(-1)!;
    child.stdout.write('hello\nthis line is far too long');
    child.stderr.write('oops\n');
    await new Promise((r) => setImmediate(r));
    expect(lines).toEqual(['stdout:hello', 'stdout:this lin… [cut]', 'stderr:oops']);
  });

  it('is restarted by the supervisor after the utility child exits', () => {
    const clock = new FakeClock(0);
    const host = createEngineHost({ start: () => createUtilityTransport('/entry.js'), clock });
    const before = FakeUtilityProcess.made.length;
    host.start();
    const first = FakeUtilityProcess.made.at(-1)!;
    first.emit('message', { type: 'ready', pid: 4242 });
    expect(host.status()).toMatchObject({ ready: true, pid: 4242 });
    first.die(1);
    expect(host.status().lastRestart).toMatchObject({ reason: 'exited with code 1' });
    clock.advance(500);
    expect(FakeUtilityProcess.made.length).toBe(before + 2);
  });
});

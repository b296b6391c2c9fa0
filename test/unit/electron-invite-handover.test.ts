// How connection links reach the app from each OS, against the stand-in electron module: a
// second instance's command line (Windows, Linux) arrives with its working directory; macOS's
// open-url and open-file are taken (default prevented) as a link and a file; the packaged
// Windows app registers the scheme itself, once; a command line yields the link, the
// .cloudbridge path or file:// URL in it, skipping Chromium's switches; and what arrives
// before the services are up is kept, newest only, until they are.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { electronStandIn } from '../harness/electron-stand-in';
import {
  LINK_SCHEME,
  acquireSingleInstance,
  receiveOpenRequests,
  registerLinkScheme,
} from '../../src-main/electron/app-lifecycle';
import { createInviteInbox, inviteInputFromArgv } from '../../src-main/services/invite-handover';
import type { InviteInput } from '../../src-main/services/invite-links';

const LINK = 'cloudbridge://invite/eyJh.eyJi.c2ln';

function fakeApp(lock = true) {
  return Object.assign(new EventEmitter(), {
    requestSingleInstanceLock: vi.fn(() => lock),
    isDefaultProtocolClient: vi.fn(() => false),
    setAsDefaultProtocolClient: vi.fn(() => true),
  });
}

describe('links handed over by the OS', () => {
  it("gives the first instance a second one's command line and working directory", () => {
    const app = fakeApp();
    electronStandIn.app = app;
    const seen: [readonly string[], string][] = [];
    expect(acquireSingleInstance((argv, cwd) => seen.push([argv, cwd]))).toBe(true);
    const argv = ['C:\\CloudBridge\\CloudBridge.exe', '--allow-file-access-from-files', LINK];
    app.emit('second-instance', {}, argv, 'C:\\Users\\ivan');
    expect(seen).toEqual([[argv, 'C:\\Users\\ivan']]);
    electronStandIn.app = fakeApp(false);
    expect(acquireSingleInstance(() => undefined)).toBe(false);
  });

  it('takes macOS open-url and open-file as a link and a file, so the OS does not', () => {
    const app = fakeApp();
    electronStandIn.app = app;
    const inputs: InviteInput[] = [];
    receiveOpenRequests((input) => inputs.push(input));
    const urlEvent = { preventDefault: vi.fn() };
    const fileEvent = { preventDefault: vi.fn() };
    app.emit('open-url', urlEvent, LINK);
    app.emit('open-file', fileEvent, '/Users/ivan/Downloads/alice.cloudbridge');
    expect(inputs).toEqual([
      { kind: 'link', text: LINK },
      { kind: 'file', path: '/Users/ivan/Downloads/alice.cloudbridge' },
    ]);
    expect(urlEvent.preventDefault).toHaveBeenCalledOnce();
    expect(fileEvent.preventDefault).toHaveBeenCalledOnce();
  });

  it('registers the scheme on packaged Windows only, and only when it is not already ours', () => {
    const app = fakeApp();
    electronStandIn.app = app;
    registerLinkScheme('darwin', true);
    registerLinkScheme('linux', true);
    registerLinkScheme('win32', false);
    expect(app.setAsDefaultProtocolClient).not.toHaveBeenCalled();
    registerLinkScheme('win32', true);
    expect(app.setAsDefaultProtocolClient).toHaveBeenCalledWith(LINK_SCHEME);
    app.isDefaultProtocolClient.mockReturnValue(true);
    registerLinkScheme('win32', true);
    expect(app.setAsDefaultProtocolClient).toHaveBeenCalledOnce();
  });
});

describe('the link in a command line', () => {
  it('is the link, a .cloudbridge path made absolute, or a file:// URL of one', () => {
    expect(inviteInputFromArgv(['app.exe', '--hidden', LINK], '/x')).toEqual({
      kind: 'link',
      text: LINK,
    });
    expect(inviteInputFromArgv(['app', 'Downloads/alice.CloudBridge'], '/home/ivan')).toEqual({
      kind: 'file',
      path: join('/home/ivan', 'Downloads/alice.CloudBridge'),
    });
    expect(inviteInputFromArgv(['app', '/tmp/a.cloudbridge'], '/home/ivan')).toEqual({
      kind: 'file',
      path: '/tmp/a.cloudbridge',
    });
    expect(inviteInputFromArgv(['app', 'file:///home/ivan/My%20links/a.cloudbridge'], '/')).toEqual(
      { kind: 'file', path: '/home/ivan/My links/a.cloudbridge' },
    );
  });

  it('skips the executable, switches and other files; the last link wins', () => {
    expect(inviteInputFromArgv([LINK], '/')).toBeNull();
    expect(inviteInputFromArgv(['app', '.', '--hidden', 'notes.txt'], '/')).toBeNull();
    expect(inviteInputFromArgv(['app', '--user-data-dir=/x.cloudbridge'], '/')).toBeNull();
    expect(inviteInputFromArgv(['app', '/a.cloudbridge', 'CLOUDBRIDGE://invite/z'], '/')).toEqual({
      kind: 'link',
      text: 'CLOUDBRIDGE://invite/z',
    });
  });
});

describe('links that arrive before the services', () => {
  it('are kept, newest only, and delivered once they attach; later ones go at once', () => {
    const inbox = createInviteInbox();
    inbox.push({ kind: 'link', text: 'first' });
    inbox.push({ kind: 'link', text: 'second' });
    const delivered: InviteInput[] = [];
    inbox.attach((input) => delivered.push(input));
    expect(delivered).toEqual([{ kind: 'link', text: 'second' }]);
    inbox.push({ kind: 'file', path: '/a.cloudbridge' });
    expect(delivered).toHaveLength(2);
  });
});

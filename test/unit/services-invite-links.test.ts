// The pending connection link in main (services/invite-links.ts, invite-requests.ts) on an
// injected clock, without sockets: the newest hand-over wins even when an older one's file read
// finishes later; accepted links are remembered up to the bound and refused when handed over
// again; what accepting would replace is said against the relay configured now; a link that
// expired while it waited is refused at accept, and gone.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signInviteLink, spkiPinOf, type InviteContent } from '../../src-main/protocol/invite-link';
import { createInviteLinks, MAX_REMEMBERED_INVITES } from '../../src-main/services/invite-links';
import { inviteProfileId } from '../../src-main/services/invite-profile';
import { createInviteRequests } from '../../src-main/services/invite-requests';
import { createLogger } from '../../src-main/services/logger';
import type { RelayProfile } from '../../src-main/shared/ipc-contract';

const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const NOW_SEC = 1_900_000_000;

function testClock() {
  let nowMs = NOW_SEC * 1000;
  return {
    now: () => nowMs,
    setTimeout: () => 0,
    clearTimeout: () => undefined,
    advance: (ms: number) => (nowMs += ms),
  };
}

function content(id: string, overrides: Partial<InviteContent> = {}): InviteContent {
  return {
    host: 'relay.example.test',
    port: 443,
    serverName: null,
    pinSha256: spkiPinOf(key),
    caPem: null,
    subject: 'alice',
    tenant: null,
    issuedAtSec: NOW_SEC,
    expiresAtSec: NOW_SEC + 3600,
    id,
    token: null,
    ...overrides,
  };
}

function setUp(profile: RelayProfile | null = null) {
  const clock = testClock();
  const logged: { event: string; details: Record<string, unknown> }[] = [];
  const logger = createLogger({
    clock,
    writer: { write: () => undefined, close: () => Promise.resolve() },
  });
  logger.subscribe((record) =>
    logged.push({ event: record.event, details: { ...record.details } }),
  );
  const files = new Map<string, { text: string; wait: Promise<void> }>();
  let changes = 0;
  const links = createInviteLinks({
    clock,
    random: () => 0.5,
    logger,
    dataDir: '/data',
    settingsProfile: () => profile,
    readFile: async (path) => {
      const file = files.get(path)!;
      await file.wait;
      return file.text;
    },
    onChange: () => (changes += 1),
  });
  return { clock, links, files, logged, changes: () => changes };
}

describe('the pending connection link', () => {
  it('is the newest hand-over, even when an older file is read after it', async () => {
    const { links, files } = setUp();
    let release = () => undefined as void;
    files.set('/slow.cloudbridge', {
      text: await signInviteLink(content('slow', { subject: 'old' }), key),
      wait: new Promise<void>((resolve) => (release = resolve)),
    });
    const slow = links.receive({ kind: 'file', path: '/slow.cloudbridge' });
    await links.receive({
      kind: 'link',
      text: await signInviteLink(content('fast', { subject: 'new' }), key),
    });
    release();
    await slow;
    expect(links.view().pending?.subject).toBe('new');
  });

  it(`refuses an accepted link handed over again, remembering the last ${MAX_REMEMBERED_INVITES}`, async () => {
    const { links } = setUp();
    const texts: string[] = [];
    for (let i = 0; i <= MAX_REMEMBERED_INVITES; i += 1) {
      texts.push(await signInviteLink(content(`link-${i}`), key));
      await links.receive({ kind: 'link', text: texts[i]! });
      links.markUsed(links.take(links.view().pending!.id));
    }
    await links.receive({ kind: 'link', text: texts[1]! });
    expect(links.view()).toMatchObject({
      pending: null,
      problem: { error: { code: 'invite_used', detail: 'already_used' } },
    });
    // The oldest fell out of the bound: it is asked about again, not refused.
    await links.receive({ kind: 'link', text: texts[0]! });
    expect(links.view().pending?.subject).toBe('alice');
    expect(links.view().problem).toBeNull();
  });

  it('says what it replaces: another profile, or this one with a new key', async () => {
    const manual: RelayProfile = {
      id: 'corp',
      name: 'Corp relay',
      host: 'relay.example.test',
      port: 443,
      caFile: null,
      pinSha256: null,
      serverName: null,
      insecure: false,
      opener: 'auto',
      builtin: false,
    };
    const other = setUp(manual);
    await other.links.receive({ kind: 'link', text: await signInviteLink(content('a'), key) });
    expect(other.links.view().pending?.replaces).toEqual({
      name: 'Corp relay',
      host: 'relay.example.test',
      port: 443,
      builtin: false,
      sameProfile: false,
      changedFields: ['pinSha256'],
    });
    const same = setUp({
      ...manual,
      id: inviteProfileId(content('b')),
      pinSha256: 'A'.repeat(43) + '=',
    });
    await same.links.receive({ kind: 'link', text: await signInviteLink(content('b'), key) });
    expect(same.links.view().pending?.replaces).toMatchObject({
      sameProfile: true,
      changedFields: ['pinSha256'],
    });
    const unchanged = setUp({
      ...manual,
      id: inviteProfileId(content('c')),
      pinSha256: spkiPinOf(key),
    });
    await unchanged.links.receive({ kind: 'link', text: await signInviteLink(content('c'), key) });
    expect(unchanged.links.view().pending?.replaces).toBeNull();
  });

  it('is refused at accept once it expired while waiting, and is gone', async () => {
    const { clock, links } = setUp();
    await links.receive({ kind: 'link', text: await signInviteLink(content('late'), key) });
    const id = links.view().pending!.id;
    clock.advance(3600 * 1000);
    const untouchable = new Proxy(
      {},
      {
        get: () => () => {
          throw new Error('must not be used');
        },
      },
    );
    let changed = 0;
    const requests = createInviteRequests({
      links,
      settingsStore: untouchable as never,
      dataDir: '/data',
      builtin: untouchable as never,
      tokens: untouchable as never,
      session: untouchable as never,
      state: { changed: () => ((changed += 1), undefined as never), dropNotices: () => false },
      expiry: untouchable as never,
      logger: untouchable as never,
      clock,
    });
    await expect(requests.accept(id)).rejects.toMatchObject({ code: 'invite_expired' });
    expect(links.view().pending).toBeNull();
    expect(changed).toBe(1);
    await expect(requests.accept(id)).rejects.toMatchObject({ code: 'invite_used' });
    expect(() => requests.dismiss(id)).toThrow(/already answered/);
  });
});

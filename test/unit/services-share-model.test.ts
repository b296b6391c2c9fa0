// The share's rules and words without a relay: the draft's field rules (name syntax, services,
// the allow list's bounds) as main and the form apply them, the IPC guard's bounds on the same
// fields, a name suggested from the host name, the status folded from settings and engine,
// and the tray row listing at most MAX_LISTED_CONNECTIONS people (the rest counted in its
// label), in English and Russian.
import { describe, expect, it } from 'vitest';
import { MAX_LISTED_CONNECTIONS, shareRows } from '../../src-main/services/tray-share-row';
import { translatorFor } from '../../src-main/shared/i18n/translator';
import type { AppSnapshot } from '../../src-main/shared/ipc-contract';
import { isValidRequest } from '../../src-main/shared/ipc-guards';
import type { PublishSnapshot, ServedConnection } from '../../src-main/shared/model';
import {
  MAX_ALLOWED_SUBS,
  MAX_SUB_LENGTH,
  parseSubs,
  suggestShareName,
  validateShareDraft,
  type ShareDraft,
} from '../../src-main/shared/share-model';
import { shareStatus } from '../../src-main/shared/share-view';
import type { TrayMenuItem } from '../../src-main/shared/tray-types';
import { activeSnapshot } from '../harness/fake-bridge';

const NOW = Date.parse('2026-06-01T08:00:00Z');
const draft = (over: Partial<ShareDraft> = {}): ShareDraft => ({
  name: 'office-pc',
  services: ['rdp', 'ssh'],
  allowSubs: null,
  ...over,
});
const subs = (n: number) => Array.from({ length: n }, (_, i) => `user-${i}`);

describe('the share draft', () => {
  it('takes a server name of 1 to 63 lower-case letters, digits, - and _ with a letter or digit at each end', () => {
    for (const name of ['a', 'office-pc', 'desk_42', 'x'.repeat(63)])
      expect(validateShareDraft(draft({ name }))).toEqual({});
    expect(validateShareDraft(draft({ name: '' }))).toEqual({
      name: { key: 'validation.required' },
    });
    for (const name of ['Office', '-pc', 'pc-', 'office pc', 'x'.repeat(64), 'офис', 'a.b'])
      expect(validateShareDraft(draft({ name })), name).toEqual({
        name: { key: 'validation.serverName' },
      });
  });

  it('needs one or both services, each once', () => {
    expect(validateShareDraft(draft({ services: ['ssh'] }))).toEqual({});
    for (const services of [[], ['rdp', 'rdp']] as const)
      expect(validateShareDraft(draft({ services }))).toEqual({
        services: { key: 'validation.shareServices' },
      });
  });

  it(`holds the allow list to 1..${MAX_ALLOWED_SUBS} distinct subs of at most ${MAX_SUB_LENGTH} characters`, () => {
    expect(validateShareDraft(draft({ allowSubs: subs(MAX_ALLOWED_SUBS) }))).toEqual({});
    expect(validateShareDraft(draft({ allowSubs: ['s'.repeat(MAX_SUB_LENGTH)] }))).toEqual({});
    expect(validateShareDraft(draft({ allowSubs: [] }))).toEqual({
      allowSubs: { key: 'validation.required' },
    });
    expect(validateShareDraft(draft({ allowSubs: subs(MAX_ALLOWED_SUBS + 1) }))).toEqual({
      allowSubs: { key: 'validation.subCount', params: { max: MAX_ALLOWED_SUBS } },
    });
    for (const allowSubs of [['bob', 'bob'], ['s'.repeat(MAX_SUB_LENGTH + 1)], [' bob']])
      expect(validateShareDraft(draft({ allowSubs }))).toEqual({
        allowSubs: { key: 'validation.subs', params: { max: MAX_SUB_LENGTH } },
      });
  });

  it('is refused at the IPC boundary when its shape is beyond the bounds, before any rule runs', () => {
    const ok = (payload: unknown) => isValidRequest('cloudbridge:share.start', payload);
    expect(ok(draft())).toBe(true);
    expect(ok(draft({ allowSubs: subs(MAX_ALLOWED_SUBS) }))).toBe(true);
    expect(ok(draft({ allowSubs: subs(MAX_ALLOWED_SUBS + 1) }))).toBe(false);
    expect(ok(draft({ allowSubs: ['s'.repeat(MAX_SUB_LENGTH + 1)] }))).toBe(false);
    expect(ok({ ...draft(), services: ['rdp', 'ssh', 'rdp'] })).toBe(false);
    expect(ok({ ...draft(), services: ['vnc'] })).toBe(false);
    expect(ok({ ...draft(), name: 'x'.repeat(64) })).toBe(false);
    expect(ok({ ...draft(), enabled: true })).toBe(false);
    expect(ok({ name: 'office-pc', services: ['rdp'] })).toBe(false);
  });

  it('reads typed user ids split by commas, spaces or lines, each once', () => {
    expect(parseSubs(' alice, bob;carol\n\nalice ')).toEqual(['alice', 'bob', 'carol']);
    expect(parseSubs('  ')).toEqual([]);
  });

  it('suggests a name from the host name, or none when nothing fits', () => {
    expect(suggestShareName('DESK-42.corp.local')).toBe('desk-42');
    expect(suggestShareName('Ivan’s MacBook Pro')).toBe('ivan-s-macbook-pro');
    expect(suggestShareName('--')).toBe('');
    expect(suggestShareName('')).toBe('');
  });
});

function connection(id: number): ServedConnection {
  return {
    id,
    sub: `user-${id}`,
    tenantId: 'acme',
    remote: '198.51.100.7',
    port: id % 2 === 0 ? 22 : 3389,
    since: new Date(NOW - id * 60_000).toISOString(),
    bytesIn: 0,
    bytesOut: 0,
  };
}

function sharing(publish: Partial<PublishSnapshot> | null, enabled = true): AppSnapshot {
  const base = activeSnapshot(NOW);
  return {
    ...base,
    settings: {
      ...base.settings,
      share: { name: 'office-pc', services: ['rdp', 'ssh'], allowSubs: null, enabled },
    },
    engine: {
      ...base.engine,
      publish:
        publish === null
          ? null
          : {
              name: 'office-pc',
              ports: [3389, 22],
              allowSubs: null,
              publicKey: 'MFkw',
              status: 'online',
              tunnelId: 'srv-1',
              bytesIn: 0,
              bytesOut: 0,
              totalConnections: 0,
              connections: [],
              error: null,
              ...publish,
            },
    },
  };
}

const submenu = (items: readonly TrayMenuItem[]) => {
  const row = items[0];
  if (row?.kind !== 'submenu') throw new Error('no share row');
  return row;
};

describe('the share folded for the window and the tray', () => {
  it('is off, starting, online, or refused as settings and engine say', () => {
    const engine = (s: AppSnapshot) => shareStatus(s.settings.share, s.engine);
    expect(engine(sharing(null, false))).toBe('off');
    expect(engine(sharing(null))).toBe('starting');
    expect(engine(sharing({ status: 'registering', tunnelId: null }))).toBe('starting');
    expect(engine(sharing({}))).toBe('online');
    expect(engine(sharing({ status: 'offline' }))).toBe('offline');
    expect(engine(sharing({ status: 'error' }))).toBe('error');
    // The engine's publish is of another name: this share is not live yet.
    expect(engine(sharing({ name: 'old-name' }))).toBe('starting');
    const down = sharing({});
    expect(
      shareStatus(down.settings.share, { ...down.engine, state: 'disconnected', publish: null }),
    ).toBe('waiting');
  });

  it(`lists at most ${MAX_LISTED_CONNECTIONS} people in the tray row and counts them all in its label`, () => {
    const many = MAX_LISTED_CONNECTIONS + 2;
    const snapshot = sharing({
      connections: Array.from({ length: many }, (_, i) => connection(i + 1)),
    });
    const row = submenu(shareRows(translatorFor('en'), snapshot));
    expect(row.label).toBe(`Share “office-pc” — online · ${many} connected`);
    const people = row.items.flatMap((i) =>
      i.kind === 'label' && i.label.startsWith('user-') ? [i.label] : [],
    );
    expect(people).toHaveLength(MAX_LISTED_CONNECTIONS);
    expect(people[0]).toBe('user-1 — Remote Desktop');
    expect(people[1]).toBe('user-2 — SSH');
    const ruRow = submenu(shareRows(translatorFor('ru'), snapshot));
    expect(ruRow.label).toContain('«office-pc»');
    expect(ruRow.label).toContain(String(many));
  });

  it('has no row before a share was set up', () => {
    expect(shareRows(translatorFor('en'), activeSnapshot(NOW))).toEqual([]);
  });
});

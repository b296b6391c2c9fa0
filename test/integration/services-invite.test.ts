// Connection links through the real desktop services and real relays over TLS on loopback
// (docs/protocol.md#connection-links): a link handed to the services shows as the pending
// invite in the snapshot, and accepting it (by id, over the router) sets a pinned profile with
// its CA, stores its token and brings the engine to Active; asked once, so a second accept and
// the same link handed over again are refused; a tampered, expired, oversized or misnamed link
// is refused with its code; a relay presenting another key than the pinned one gets no token;
// a link for the same relay with a new key does not send the stored token, and a link for
// another identity never receives it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  INVITE_LINK_PREFIX,
  MAX_INVITE_BYTES,
  inviteFileText,
} from '../../src-main/protocol/invite-link';
import { spkiSha256 } from '../../src-main/protocol/tls';
import { issueInvite, type InviteRequest } from '../../src-main/relay/invite-issuer';
import { createAppServices, type AppServices } from '../../src-main/services/app-services';
import { createMemorySecretStore } from '../../src-main/services/secret-store';
import type { AppSettings, Result } from '../../src-main/shared/ipc-contract';
import { newJwtSecret, sharedTestPki, startTestRelay, type TestRelay } from '../harness/relay';
import { waitFor } from './services-helpers';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function expectOk<T>(result: Result<unknown>): T {
  if (!result.ok) throw new Error(`request failed: ${JSON.stringify(result.error)}`);
  return result.value as T;
}

const authEvents = (relay: TestRelay) => relay.logs.filter((l) => l.event.startsWith('auth'));
const DAY = 86_400;

async function setUp() {
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-invite-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const pki = await sharedTestPki();
  const secret = newJwtSecret();
  const relay = await startTestRelay({ pki, secret });
  cleanups.push(() => relay.close());
  const app: AppServices = createAppServices({
    dataDir,
    secretStore: createMemorySecretStore(),
    startBuiltinRelay: null,
    launch: () => Promise.resolve(),
  });
  cleanups.push(() => app.close());
  await app.start();
  const nowSec = Math.floor(Date.now() / 1000);
  /** A link for `relay`'s address from the test PKI's EC certificate, unless told otherwise. */
  const link = async (overrides: Partial<InviteRequest> = {}, withToken = true) =>
    (
      await issueInvite({
        certPem: pki.serverEc.cert,
        keyPem: pki.serverEc.key,
        extraCaPem: pki.caPem,
        host: '127.0.0.1',
        port: relay.port,
        serverName: 'localhost',
        subject: 'alice',
        tenant: null,
        ttlSec: DAY,
        token: withToken ? { secret, ttlSec: 7 * DAY, issuer: null, audience: null } : null,
        nowSec,
        ...overrides,
      })
    ).link;
  const invite = () => app.controller.snapshot().invite;
  const accept = (id: string) => app.router.handle('cloudbridge:invite.accept', { id });
  return { app, dataDir, pki, secret, relay, link, invite, accept, nowSec };
}

describe('a connection link handed to the desktop services', () => {
  it('shows as pending, and accepting it pins the relay, stores the token and connects', async () => {
    const { app, dataDir, pki, relay, link, invite, accept } = await setUp();
    const text = await link();
    await app.controller.receiveInvite({ kind: 'link', text });
    const pending = invite().pending!;
    expect(pending).toMatchObject({
      host: '127.0.0.1',
      port: relay.port,
      serverName: 'localhost',
      pinSha256: spkiSha256(pki.serverEc.cert),
      hasCa: true,
      subject: 'alice',
      tenant: null,
      hasToken: true,
      replaces: null,
    });
    expect(Date.parse(pending.expiresAt) - Date.parse(pending.issuedAt)).toBe(DAY * 1000);
    // The window sees what the link sets, never the link or its token.
    const token = JSON.parse(
      Buffer.from(text.slice(INVITE_LINK_PREFIX.length).split('.')[1]!, 'base64url').toString(),
    ) as { token: string };
    expect(JSON.stringify(app.controller.snapshot())).not.toContain(token.token);
    expect(JSON.stringify(app.controller.snapshot())).not.toContain(text.slice(30, 90));
    expect(app.controller.snapshot().settings.relay).toBeNull();

    const settings = expectOk<AppSettings>(await accept(pending.id));
    const profile = settings.relay!;
    expect(profile).toMatchObject({
      host: '127.0.0.1',
      port: relay.port,
      serverName: 'localhost',
      pinSha256: spkiSha256(pki.serverEc.cert),
      insecure: false,
      builtin: false,
    });
    expect(profile.caFile!.startsWith(join(dataDir, 'relay-ca'))).toBe(true);
    expect(readFileSync(profile.caFile!, 'utf8').trim()).toBe(pki.caPem.trim());
    await waitFor(() => app.controller.snapshot().engine.state === 'active');
    expect(app.controller.snapshot().account).toMatchObject({ signedIn: true, subject: 'alice' });
    expect(authEvents(relay).map((l) => l.event)).toEqual(['auth_ok']);
    expect(invite()).toEqual({ pending: null, problem: null });
    expect(app.controller.snapshot().notices.some((n) => n.kind === 'first_run')).toBe(false);

    // Asked once: the same invite again, and the same link handed over again, are refused.
    const again = await accept(pending.id);
    expect(again.ok ? null : again.error.code).toBe('invite_used');
    await app.controller.receiveInvite({ kind: 'link', text });
    expect(invite().pending).toBeNull();
    expect(invite().problem?.error.code).toBe('invite_used');
    const dismissed = await app.router.handle('cloudbridge:invite.dismiss', {
      id: invite().problem!.id,
    });
    expect(dismissed.ok).toBe(true);
    expect(invite().problem).toBeNull();
  });

  it('refuses a tampered, expired, oversized or misnamed link with its code, and keeps nothing pending', async () => {
    const { app, dataDir, link, invite, nowSec } = await setUp();
    const [head, payload, signature] = (await link()).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const moved = Buffer.from(JSON.stringify({ ...claims, host: '127.0.0.2' })).toString(
      'base64url',
    );
    const cases: [Parameters<AppServices['controller']['receiveInvite']>[0], string, string][] = [
      [{ kind: 'link', text: `${head}.${moved}.${signature}` }, 'invite_invalid', 'bad_signature'],
      [
        { kind: 'link', text: await link({ nowSec: nowSec - 2 * DAY }, false) },
        'invite_expired',
        'expired',
      ],
      [{ kind: 'link', text: 'https://example.test/invite' }, 'invite_invalid', 'wrong_scheme'],
    ];
    const big = join(dataDir, 'big.cloudbridge');
    writeFileSync(big, ' '.repeat(MAX_INVITE_BYTES + 1));
    cases.push([{ kind: 'file', path: big }, 'invite_invalid', 'too_large']);
    const misnamed = join(dataDir, 'invite.txt');
    writeFileSync(misnamed, inviteFileText(await link()));
    cases.push([{ kind: 'file', path: misnamed }, 'invite_invalid', 'wrong_scheme']);
    cases.push([{ kind: 'file', path: join(dataDir, 'gone.cloudbridge') }, 'io_error', 'ENOENT']);
    for (const [input, code, reason] of cases) {
      await app.controller.receiveInvite(input);
      expect(invite().pending, JSON.stringify(input).slice(0, 80)).toBeNull();
      expect(invite().problem?.error).toMatchObject({ code, detail: reason });
    }
    expect(app.controller.snapshot().settings.relay).toBeNull();

    // A good .cloudbridge file is read; a bad link handed over after it leaves it pending.
    const file = join(dataDir, 'alice.cloudbridge');
    writeFileSync(file, inviteFileText(await link()));
    await app.controller.receiveInvite({ kind: 'file', path: file });
    const pending = invite().pending!;
    expect(pending.subject).toBe('alice');
    await app.controller.receiveInvite({ kind: 'link', text: 'cloudbridge://invite/x' });
    expect(invite().pending?.id).toBe(pending.id);
    expect(invite().problem?.error.code).toBe('invite_invalid');
    // "Not now" drops it; accepting it afterwards is refused.
    expectOk(await app.router.handle('cloudbridge:invite.dismiss', { id: pending.id }));
    const late = await app.router.handle('cloudbridge:invite.accept', { id: pending.id });
    expect(late.ok ? null : late.error.code).toBe('invite_used');
  });

  it('never hands the token to a relay with another key, nor to a new key or another identity', async () => {
    const { app, pki, secret, relay, link, invite, accept } = await setUp();
    await app.controller.receiveInvite({ kind: 'link', text: await link() });
    expectOk(await accept(invite().pending!.id));
    await waitFor(() => app.controller.snapshot().engine.state === 'active');
    const boundProfile = app.controller.snapshot().settings.relay!;

    // The same address now presents another key (same CA): the pin refuses it before any auth.
    await relay.close();
    const rekeyed = await startTestRelay({ pki, secret, port: relay.port, tls: pki.serverRsa });
    cleanups.push(() => rekeyed.close());
    await waitFor(
      () => app.controller.snapshot().engine.lastError?.code === 'tls_pin_mismatch',
      30_000,
    );
    expect(authEvents(rekeyed)).toEqual([]);

    // A link for the same relay and identity with the new key: the stored token stays bound to
    // the old key, so it is not sent until the user confirms.
    await app.controller.receiveInvite({
      kind: 'link',
      text: await link({ certPem: pki.serverRsa.cert, keyPem: pki.serverRsa.key }, false),
    });
    const rekeyInvite = invite().pending!;
    expect(rekeyInvite.replaces).toMatchObject({
      sameProfile: true,
      changedFields: ['pinSha256'],
      host: '127.0.0.1',
    });
    expectOk(await accept(rekeyInvite.id));
    expect(app.controller.snapshot().settings.relay).toMatchObject({
      id: boundProfile.id,
      pinSha256: spkiSha256(pki.serverRsa.cert),
    });
    await waitFor(() => app.controller.snapshot().engine.lastError?.code === 'token_relay_changed');
    expect(authEvents(rekeyed)).toEqual([]);

    // A link for another identity on this relay is another profile: no token, nothing sent.
    await app.controller.receiveInvite({
      kind: 'link',
      text: await link(
        { subject: 'bob', certPem: pki.serverRsa.cert, keyPem: pki.serverRsa.key },
        false,
      ),
    });
    expect(invite().pending!.replaces).toMatchObject({ sameProfile: false, changedFields: [] });
    expectOk(await accept(invite().pending!.id));
    const bobProfile = app.controller.snapshot().settings.relay!;
    expect(bobProfile.id).not.toBe(boundProfile.id);
    expect(app.controller.snapshot().account.signedIn).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(authEvents(rekeyed)).toEqual([]);
  });
});

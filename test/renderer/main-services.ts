// Main's real services as the renderer tests reach them: over the contract only, through a
// factory the renderer project's setup file (test/harness/renderer-setup.ts) puts on
// globalThis. Main runs in a Node child process of its own (test/harness/main-host.ts), as it
// does beside a renderer, so its requests and pushes are structured-cloned like IPC. Types
// from src-main/shared only: this folder is type-checked without Node.
import type {
  AppSettings,
  AppSnapshot,
  BridgeApi,
  RelayProfile,
  RequestChannel,
  RequestOf,
  Result,
  TunnelDraft,
} from '../../src-main/shared/ipc-contract';
import type { LogLevel, TunnelConfig } from '../../src-main/shared/model';

export interface MainOptions {
  /** settings.json's text before start (something unreadable, to see main reset it). */
  readonly settingsFileText?: string;
  /** Records logged while hidden that the window gets on show (main's default: 500). */
  readonly catchUpLogRecords?: number;
  /** relay.useBuiltin starts the real built-in local relay (default: main has none). */
  readonly builtinRelay?: boolean;
  /** False: the window starts hidden, as when the app starts in the tray (default: shown). */
  readonly windowShown?: boolean;
  /** What main's open-file dialog answers for a CA file (default: cancelled, null). */
  readonly caFileChoice?: string | null;
  /** What main's clipboard holds for Account's Paste (default: nothing). */
  readonly clipboardText?: string;
}

/** What main handed the OS instead of doing it: programs launched, folders opened. */
export interface MainOutside {
  readonly launched: readonly { readonly command: string; readonly args: readonly string[] }[];
  readonly openedPaths: readonly string[];
  /** Pages handed to the system browser (a Web tunnel's Open). */
  readonly openedUrls: readonly string[];
  /** What main put on the clipboard (a tunnel's Copy). */
  readonly copied: readonly string[];
  readonly relayChangesConfirmed: number;
}

export interface MainUnderTest {
  /** The preload's API over main's router and pushes. What the window sends is recorded. */
  readonly api: BridgeApi;
  /** The same router, for setting a scene before the window acts; not recorded. */
  readonly prep: BridgeApi;
  /** Requests the window made on one channel, in order. */
  callsTo<C extends RequestChannel>(channel: C): RequestOf<C>[];
  /** Main's own snapshot, as the tray sees it whatever the window shows. */
  snapshot(): Promise<AppSnapshot>;
  /** Main's settings as saved. */
  settings(): Promise<AppSettings>;
  /** Waits (bounded) until main's snapshot passes `check`; rejects naming `what`. */
  until(check: (s: AppSnapshot) => boolean, what: string): Promise<AppSnapshot>;
  /** A record through main's logger, as any part of main logs one. */
  log(
    level: LogLevel,
    event: string,
    details?: Readonly<Record<string, unknown>>,
    tunnelId?: string | null,
  ): Promise<void>;
  /** As the Electron layer tells main when the window is shown or hidden. */
  setWindowVisible(visible: boolean): Promise<void>;
  /** From now on every keychain call fails as a locked keyring's does (or works again). */
  lockKeychain(locked: boolean): Promise<void>;
  /** A connection link handed over as the OS would (a second instance, open-url). */
  handOver(link: string): Promise<void>;
  outside(): Promise<MainOutside>;
  close(): Promise<void>;
}

export interface TokenClaims {
  readonly sub?: string;
  readonly tenant?: string;
  readonly ttlSec?: number;
}

/** A real relay over TLS on 127.0.0.1 (test/harness/relay.ts), its CA in a file for profiles. */
export interface RelayUnderTest {
  readonly port: number;
  /** The same CA at another path: a profile pointing here is a changed relay identity. */
  readonly movedCaFile: string;
  profile(overrides?: Partial<RelayProfile>): RelayProfile;
  token(claims?: TokenClaims): Promise<string>;
  /** A well-formed token this relay refuses (signed with another secret). */
  foreignToken(claims?: TokenClaims): Promise<string>;
  /** Stops serving (its sessions are cut) until start() serves again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** A connection link for this relay, signed with its key (docs/protocol.md#connection-links). */
  invite(options?: InviteOptions): Promise<string>;
}

/** A connection link for a test relay (cloudbridge-relay invite's options). */
export interface InviteOptions {
  readonly sub?: string;
  readonly tenant?: string;
  /** Default true: the link carries a token this relay accepts. */
  readonly withToken?: boolean;
}

export interface RelayOptions {
  /** Plain TCP, no TLS (a development relay; profiles need `insecure`). */
  readonly plaintext?: boolean;
}

export interface MainServicesFactory {
  /** Every main started is closed after its test. */
  startMain(options?: MainOptions): Promise<MainUnderTest>;
  /** Every relay started is closed after its test file. */
  startRelay(options?: RelayOptions): Promise<RelayUnderTest>;
  /** A loopback port held by another process (main's host) until the test ends. */
  holdPort(): Promise<number>;
  /** A loopback port nothing listens on now. */
  freePort(): Promise<number>;
}

export const MAIN_SERVICES_GLOBAL = '__cloudbridgeMainServices';

/** The factory the setup file installed. */
export function mainServices(): MainServicesFactory {
  const factory = (globalThis as Record<string, unknown>)[MAIN_SERVICES_GLOBAL];
  if (typeof factory !== 'object' || factory === null)
    throw new Error('test/harness/renderer-setup.ts is not in the renderer setupFiles');
  return factory as MainServicesFactory;
}

export function expectOk<T>(result: Result<T>, what: string): T {
  if (!result.ok) throw new Error(`${what} failed: ${JSON.stringify(result)}`);
  return result.value;
}

/**
 * The scene most screens start from, set through the contract: the relay chosen, a token
 * saved, the tunnels added, and (unless `connect: false`) connected with every enabled
 * tunnel listening.
 */
export async function signedIn(
  main: MainUnderTest,
  relay: RelayUnderTest,
  options: { claims?: TokenClaims; tunnels?: readonly TunnelDraft[]; connect?: boolean } = {},
): Promise<{ tunnels: TunnelConfig[]; token: string }> {
  expectOk(await main.prep.settingsUpdate({ relay: relay.profile() }), 'choosing the relay');
  const token = await relay.token(options.claims);
  expectOk(await main.prep.tokenSave({ token }), 'saving the token');
  const tunnels: TunnelConfig[] = [];
  for (const draft of options.tunnels ?? [])
    tunnels.push(expectOk(await main.prep.tunnelSave(draft), `adding ${draft.name}`));
  if (options.connect !== false) {
    expectOk(await main.prep.sessionConnect(), 'connecting');
    await main.until(
      (s) =>
        s.engine.state === 'active' &&
        s.engine.tunnels.every((t) => t.status === (t.enabled ? 'listening' : 'off')),
      'Active with every enabled tunnel listening',
    );
  }
  return { tunnels, token };
}

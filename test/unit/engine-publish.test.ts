// The engine's publishing decisions without sockets, on an injected clock: the greeting a
// relay may send before an answer, where serving connections go, and the publisher's
// register / refusal / retry / stop flow over a scripted session link.

import { describe, expect, it, vi } from 'vitest';
import type { EngineContext } from '../../src-main/engine/engine-context';
import { SecretSet } from '../../src-main/engine/log';
import { Publisher } from '../../src-main/engine/publisher';
import { AnswerReader } from '../../src-main/engine/relay-answer';
import { servingEndpoint } from '../../src-main/engine/serving-endpoint';
import type { RegistrationLink } from '../../src-main/engine/tunnel-set';
import type { PublishOptions, RelayEndpoint, ServerKeyStore } from '../../src-main/engine/types';
import { LineDecoder, type JsonObject } from '../../src-main/protocol/codec';
import { parseRelayMessage } from '../../src-main/protocol/messages';
import type { LogRecord } from '../../src-main/shared/model';
import { FakeClock } from './engine-fake-clock';

const line = (message: JsonObject): Buffer => Buffer.from(JSON.stringify(message) + '\n');

describe('the answer on a data connection', () => {
  it('skips one leading hello, even when the lines come in pieces', () => {
    const decoder = new LineDecoder();
    const reader = new AnswerReader(decoder);
    const bytes = Buffer.concat([
      line({ type: 'hello', version: '1.0', features: [] }),
      line({ type: 'stream_response', status: 'ok' }),
      Buffer.from('raw bytes'),
    ]);
    let answer: JsonObject | undefined;
    for (let i = 0; i < bytes.length && answer === undefined; i += 7)
      answer = reader.push(bytes.subarray(i, i + 7));
    expect(answer).toEqual({ type: 'stream_response', status: 'ok' });
    expect(reader.greeted).toBe(true);
    // What came after the answer in its piece stays for the stream.
    const rest = decoder.takeRest().toString();
    expect('raw bytes'.startsWith(rest)).toBe(true);
    expect(rest.length).toBeGreaterThan(0);
  });

  it('takes a second hello as the answer, and an answer without a greeting at once', () => {
    const twice = new AnswerReader(new LineDecoder());
    expect(twice.push(Buffer.concat([line({ type: 'HELLO' }), line({ type: 'hello' })]))).toEqual({
      type: 'hello',
    });
    const plain = new AnswerReader(new LineDecoder());
    expect(plain.push(line({ type: 'mux_response', status: 'ok' }))).toMatchObject({
      type: 'mux_response',
    });
    expect(plain.greeted).toBe(false);
  });
});

describe('where serving connections go', () => {
  const relay: RelayEndpoint = {
    host: '127.0.0.1',
    port: 8443,
    ca: 'PEM',
    serverName: 'relay.test',
  };

  it('uses the profile when the relay names its own address, pinned to the key it gave', () => {
    expect(servingEndpoint(relay, 'relay.test:8443', 'PIN')).toEqual({
      ...relay,
      pinSha256: 'PIN',
    });
    expect(servingEndpoint({ ...relay, pinSha256: 'MINE' }, '127.0.0.1:8443', 'PIN')).toEqual({
      ...relay,
      pinSha256: 'MINE',
    });
  });

  it('dials another address with the profile trust; a name becomes the server name', () => {
    expect(servingEndpoint(relay, 'edge.relay.test:443', 'PIN')).toEqual({
      ...relay,
      host: 'edge.relay.test',
      port: 443,
      serverName: 'edge.relay.test',
      pinSha256: 'PIN',
    });
    expect(servingEndpoint(relay, '[::1]:9443', null)).toEqual({
      ...relay,
      host: '::1',
      port: 9443,
    });
  });

  it('keeps the profile for an endpoint it cannot read, and pins nothing in plaintext', () => {
    expect(servingEndpoint(relay, 'no port', 'PIN')).toEqual({ ...relay, pinSha256: 'PIN' });
    expect(servingEndpoint(relay, 'host:70000', null)).toEqual(relay);
    const plain = { host: 'dev', port: 1, insecure: true };
    expect(servingEndpoint(plain, null, 'PIN')).toEqual(plain);
  });
});

interface Scripted {
  readonly link: RegistrationLink;
  readonly sent: JsonObject[];
  readonly failed: unknown[];
}

/** A session link whose relay answers each request with the next scripted line. */
function scripted(answers: JsonObject[], features = ['tcp_mux', 'published_servers']): Scripted {
  const sent: JsonObject[] = [];
  const failed: unknown[] = [];
  const link: RegistrationLink = {
    tenantId: 'acme',
    features,
    register: () => Promise.reject(new Error('not a tunnel')),
    request: (message, read) => {
      sent.push(message as unknown as JsonObject);
      const answer = answers.shift();
      if (answer === undefined) return Promise.resolve(null);
      return Promise.resolve(read(answer, parseRelayMessage(answer)));
    },
    reconnectToken: () => undefined,
    failed: (error) => failed.push(error),
  };
  return { link, sent, failed };
}

function publisher(
  publish: PublishOptions,
  clock = new FakeClock(),
): {
  publisher: Publisher;
  logs: LogRecord[];
  connects: number;
  clock: FakeClock;
} {
  const logs: LogRecord[] = [];
  const state = { connects: 0 };
  const context: EngineContext = {
    clock,
    log: (level, event, tunnelId, details) =>
      logs.push({ timestamp: '', level, event, tunnel_id: tunnelId, details: details ?? {} }),
    secrets: new SecretSet(),
    countError: () => undefined,
    stateChanged: () => undefined,
    countersChanged: () => undefined,
  };
  const made = new Publisher({
    context,
    publish,
    relay: () => ({ host: '127.0.0.1', port: 8443 }),
    // Serving connections never come up here: the flow before them is what is tested.
    connect: () => {
      state.connects += 1;
      return new Promise(() => undefined);
    },
  });
  return {
    publisher: made,
    logs,
    clock,
    get connects() {
      return state.connects;
    },
  };
}

function memoryStore(): ServerKeyStore & { saved: string[] } {
  const saved: string[] = [];
  return {
    saved,
    load: () => Promise.resolve(saved.at(-1) ?? null),
    save: (pem) => {
      saved.push(pem);
      return Promise.resolve();
    },
  };
}

const OK = {
  type: 'register_response',
  status: 'success',
  tunnel_id: 'srv-1',
  serve_token: 'serve-token-0123456789',
  handed_back: false,
  config: { endpoint: '127.0.0.1:8443', public_key: 'PIN', allowed_ips: [] },
};

describe('the publisher', () => {
  it('registers the name, its ports, the key made on first use and who may reach it', async () => {
    const store = memoryStore();
    const test = publisher({
      name: 'office-pc',
      ports: [{ port: 3389 }, { port: 22, targetHost: '10.0.0.5', targetPort: 2222 }],
      allowSubs: ['alice', 'bob'],
      keyStore: store,
    });
    const session = scripted([OK]);
    await test.publisher.attach(session.link);
    expect(store.saved).toHaveLength(1);
    const view = test.publisher.view();
    expect(session.sent).toEqual([
      {
        type: 'register',
        tunnel_info: {
          name: 'office-pc',
          protocol: 'tcp',
          ports: [3389, 22],
          public_key: view?.publicKey,
          allowed_subs: ['alice', 'bob'],
        },
      },
    ]);
    expect(view).toMatchObject({
      status: 'offline',
      tunnelId: 'srv-1',
      error: null,
      ports: [3389, 22],
    });
    expect(test.connects).toBe(1);
    expect(test.logs.map((r) => r.event)).toEqual(['server_key_created', 'server_registered']);
    expect(JSON.stringify(test.logs)).not.toContain(OK.serve_token);
  });

  it('says why the relay refused, with its reason, and opens no serving connection', async () => {
    const test = publisher({ name: 'office-pc', ports: [{ port: 22 }], keyStore: null });
    await test.publisher.attach(
      scripted([
        {
          type: 'error',
          code: 'tunnel_exists',
          message: 'name "office-pc" is taken in this tenant',
          details: { reason: 'name_taken' },
        },
      ]).link,
    );
    expect(test.publisher.view()).toMatchObject({
      status: 'error',
      error: { code: 'tunnel_exists', detail: 'name_taken' },
    });
    expect(test.connects).toBe(0);
  });

  it('asks again after the retry_after of an hourly limit, and says when', async () => {
    const test = publisher({ name: 'office-pc', ports: [{ port: 22 }], keyStore: null });
    const session = scripted([
      {
        type: 'error',
        code: 'rate_limit_exceeded',
        message: 'too many',
        details: { retry_after: 30 },
      },
      OK,
    ]);
    await test.publisher.attach(session.link);
    expect(test.publisher.view()?.error?.message).toBe('too many; retry in 30 s');
    test.clock.advance(29_000);
    expect(session.sent).toHaveLength(1);
    test.clock.advance(1_000);
    await Promise.resolve();
    await Promise.resolve();
    expect(session.sent).toHaveLength(2);
    await vi.waitFor(() => expect(test.publisher.view()?.status).toBe('offline'));
  });

  it('sends nothing to a relay without published servers', async () => {
    const test = publisher({ name: 'office-pc', ports: [{ port: 22 }], keyStore: null });
    const session = scripted([OK], ['tcp_stream']);
    await test.publisher.attach(session.link);
    expect(session.sent).toEqual([]);
    expect(test.publisher.view()?.error?.code).toBe('protocol_error');
  });

  it('fails the session on a fatal answer, and shows a key store that cannot be read', async () => {
    const test = publisher({ name: 'office-pc', ports: [{ port: 22 }], keyStore: null });
    const fatal = scripted([{ type: 'error', code: 'invalid_token', message: 'expired' }]);
    await test.publisher.attach(fatal.link);
    expect(fatal.failed).toHaveLength(1);
    const broken = publisher({
      name: 'office-pc',
      ports: [{ port: 22 }],
      keyStore: {
        load: () => Promise.reject(new Error('keychain locked')),
        save: () => Promise.resolve(),
      },
    });
    const session = scripted([OK]);
    await broken.publisher.attach(session.link);
    expect(session.sent).toEqual([]);
    expect(broken.publisher.view()?.error).toMatchObject({
      code: 'keychain_unavailable',
      message: 'keychain locked',
    });
  });

  it('unregisters when sharing stops, and a new name unregisters the old one first', async () => {
    const test = publisher({ name: 'office-pc', ports: [{ port: 22 }], keyStore: null });
    const session = scripted([
      OK,
      { type: 'unregister_response', status: 'ok' },
      { ...OK, tunnel_id: 'srv-2' },
    ]);
    await test.publisher.attach(session.link);
    test.publisher.set({ name: 'lab-pc', ports: [{ port: 22 }], keyStore: null });
    await vi.waitFor(() => expect(session.sent).toHaveLength(3));
    expect(session.sent[1]).toEqual({ type: 'unregister', tunnel_id: 'srv-1' });
    expect(session.sent[2]).toMatchObject({ type: 'register', tunnel_info: { name: 'lab-pc' } });
    test.publisher.set(null);
    expect(session.sent[3]).toEqual({ type: 'unregister', tunnel_id: 'srv-2' });
    expect(test.publisher.view()).toBeNull();
  });
});

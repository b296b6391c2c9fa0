// Redaction of free text and structured values: bearer credentials, api-key-style names in
// every spelling, header values, JWT-shaped strings without the eyJ start, blobs after secret
// words, PEM private keys, known secrets in their encodings; ordinary log text is left alone.
import { describe, expect, it } from 'vitest';
import {
  REDACTED,
  isSecretKey,
  redactKnownSecrets,
  redactString,
  redactValue,
  secretVariants,
} from '../../src-main/services/redact';

describe('redaction', () => {
  it('removes credentials written in free text, whatever the spelling', () => {
    const cases: [string, string][] = [
      ['Authorization: Bearer opaque-Tok3n.abc_def', 'Authorization: [redacted]'],
      ['proxy-authorization: Basic dXNlcjpwYXNz', 'proxy-authorization: [redacted]'],
      ['{"authorization":"Bearer abcdefgh12345"}', '{"authorization":"[redacted]"}'],
      ['sent Bearer abcdEFGH1234 upstream', 'sent Bearer [redacted] upstream'],
      ['GET /x?api_key=sk_live_123&page=2', 'GET /x?api_key=[redacted]&page=2'],
      ['apikey: 42abcdef, next', 'apikey: [redacted], next'],
      ['X-Api-Key: zzz9999', 'X-Api-Key: [redacted]'],
      ['client_secret="s3cr3t value"', 'client_secret="[redacted]"'],
      ["password='hunter22'", "password='[redacted]'"],
      ['passwd=pw123456 next', 'passwd=[redacted] next'],
      ['private_key: abcdefgh', 'private_key: [redacted]'],
      ['Cookie: session=abc; other=def', 'Cookie: [redacted]'],
      ['Set-Cookie: sid=xyz; Path=/; HttpOnly', 'Set-Cookie: [redacted]'],
      ['{\\"stream_token\\":\\"short\\"}', '{\\"stream_token\\":\\"[redacted]\\"}'],
      [
        'the reconnect token is 3f9a0c1d2e3f4a5b6c7d8e9f00112233 ok',
        'the reconnect token is [redacted] ok',
      ],
      ['signing key Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA', 'signing key [redacted]'],
      ['eyAiYWxnIjogIkhTMjU2IiB9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl', REDACTED],
      ['a -----BEGIN PRIVATE KEY-----\nMIIE\nabc\n-----END PRIVATE KEY----- b', `a ${REDACTED} b`],
      [
        'k -----BEGIN EC PRIVATE KEY-----\\nMHc\\n-----END EC PRIVATE KEY----- z',
        `k ${REDACTED} z`,
      ],
    ];
    for (const [input, output] of cases) expect(redactString(input), input).toBe(output);
  });

  it('leaves ordinary log text alone', () => {
    for (const text of [
      'token malformed: not three parts',
      'token expired at 2026-01-02T03:04:05.000Z',
      'relay relay.corp.example:443 pin qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq=',
      '"tokenExpiry":true',
      'basic configuration loaded from /etc/cloudbridge/config.json',
      'three.dotted.names-but-not-base64-json.example',
    ])
      expect(redactString(text), text).toBe(text);
  });

  it('redacts secret-named keys in structured values, in every spelling', () => {
    for (const key of [
      'apiKey',
      'api_key',
      'x-api-key',
      'client_secret',
      'password',
      'passwd',
      'private_key',
      'cookie',
      'set-cookie',
      'hs256Secret',
      'reconnectToken',
      'Authorization',
      'session_id',
    ])
      expect(isSecretKey(key), key).toBe(true);
    for (const key of ['tokenExpiry', 'pinSha256', 'keychainError', 'caFile', 'tokens'])
      expect(isSecretKey(key), key).toBe(false);
    expect(
      redactValue({ nested: { 'X-Api-Key': 'v', tokenExpiry: true, apiKey: 7 }, hasSecret: true }),
    ).toEqual({
      nested: { 'X-Api-Key': REDACTED, tokenExpiry: true, apiKey: REDACTED },
      hasSecret: true,
    });
  });

  it('removes a known secret as is, percent-encoded, base64, base64url and segment by segment', () => {
    const secret = 'aaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbb.cccccccccccccccccc/+';
    const variants = secretVariants(secret);
    const text = variants.map((v) => `<${v}>`).join(' ');
    const out = redactKnownSecrets(text, [secret]);
    for (const v of variants) expect(out).not.toContain(v);
    expect(redactKnownSecrets('short abc', ['abc'])).toBe('short abc');
  });
});

// Defence in depth against secrets in logs and diagnostics: removes anything token-shaped
// (JWTs, bearer credentials, secret-named keys and headers, long blobs after secret words)
// and every known secret value in its common encodings. Pure; no I/O.

export const REDACTED = '[redacted]';

/** Three base64url segments starting like a JSON header: a compact JWS/JWT. */
const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
/** Three base64url segments without the `eyJ` start; a JWS only if the first decodes to `{`. */
const JWS_SHAPE =
  /(?<![A-Za-z0-9_-])([A-Za-z0-9_-]{10,})\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}(?![A-Za-z0-9_-])/g;
/** A PEM private key block, raw or with its line breaks escaped. */
const PEM_PRIVATE_KEY =
  /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;
/** `Bearer <credential>` anywhere (RFC 6750 token68 characters). */
const BEARER = /(?<![A-Za-z])(bearer\s+)[A-Za-z0-9._~+/-]+=*/gi;

/** Names whose value is always secret, matched at the end of a name (`x-api-key`, `id_token`). */
const SECRET_WORD = String.raw`(?:token|secret|passw(?:or)?d|passphrase|pwd|api[_-]?key|private[_-]?key|secret[_-]?key|access[_-]?key|signing[_-]?key|cookie|authorization|credentials?|session[_-]?id|jwt)`;
/** `Authorization: Basic x`, `Cookie: a=1; b=2`: the whole header value, up to a quote or EOL. */
const HEADER_SECRET =
  /(?<![A-Za-z0-9])((?:proxy-)?authorization|(?:set-)?cookie)(\s*:\s*)(?!["'])[^\r\n"\\]+/gi;
/**
 * `name: value` / `name=value` / `"name": "value"` in free text, also with the quotes
 * escaped (a JSON line quoted inside another): the name (bounded, so a long run of name
 * characters costs linear time), its quote, the separator, then a quoted value, or an
 * unquoted one up to a delimiter.
 */
const INLINE_SECRET = new RegExp(
  String.raw`(?<![A-Za-z0-9])(\\?["']|)([A-Za-z0-9_.-]{0,40}?${SECRET_WORD})\1(\s*[:=]\s*)(?!\[redacted\])` +
    String.raw`(\\"(?:(?!\\")[^\r\n])*\\"|"(?:[^"\\\r\n]|\\.)*"|'[^'\r\n]*'|[^\s"'\\,;&}\]]+)`,
  'gi',
);

/**
 * A long base64/base64url/hex blob (20+ characters, letters and digits both) within a few
 * words after a secret word: "the reconnect token is 3f9a...", "key 9b1c...".
 */
const BLOB_AFTER_WORD =
  /((?<![A-Za-z])(?:tokens?|keys?|secrets?|passwords?|passwd|credentials?|signatures?)(?![A-Za-z])[^\r\n]{0,30}?)(?<![A-Za-z0-9+/_-])(?=[A-Za-z_+/-]*\d)(?=[0-9_+/-]*[A-Za-z])[A-Za-z0-9+/_-]{20,}={0,2}(?![A-Za-z0-9+/_=-])/gi;

/** Key names in structured values: normalised (lower case, no separators) suffix match. */
const SECRET_KEY_SUFFIX =
  /(token|secret|password|passwd|passphrase|pwd|apikey|privatekey|secretkey|accesskey|signingkey|cookie|cookies|authorization|credential|credentials|sessionid|jwt)$/;

/** Very short values would redact ordinary words; real secrets are long. */
export const MIN_SECRET_LENGTH = 8;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY_SUFFIX.test(key.toLowerCase().replace(/[^a-z0-9]/g, ''));
}

function looksLikeJwsHeader(segment: string): boolean {
  try {
    return Buffer.from(segment, 'base64url').toString('latin1').trimStart().startsWith('{');
  } catch {
    return false;
  }
}

export function redactString(text: string): string {
  return text
    .replace(PEM_PRIVATE_KEY, REDACTED)
    .replace(JWT_PATTERN, REDACTED)
    .replace(JWS_SHAPE, (match: string, header: string) =>
      looksLikeJwsHeader(header) ? REDACTED : match,
    )
    .replace(HEADER_SECRET, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`)
    .replace(BEARER, (_m, prefix: string) => `${prefix}${REDACTED}`)
    .replace(INLINE_SECRET, (_m, quote: string, name: string, sep: string, value: string) => {
      const head = `${quote}${name}${quote}${sep}`;
      const q = value.startsWith('\\"') ? '\\"' : /^["']/.test(value) ? value.charAt(0) : '';
      return `${head}${q}${REDACTED}${q}`;
    })
    .replace(BLOB_AFTER_WORD, (_m, prefix: string) => `${prefix}${REDACTED}`);
}

/**
 * Every form a known secret may take in a file: as is, percent-encoded, base64 and
 * base64url (with and without padding), JSON-escaped, and a JWT's segments one by one.
 */
export function secretVariants(secret: string): string[] {
  if (secret.length < MIN_SECRET_LENGTH) return [];
  const bytes = Buffer.from(secret, 'utf8');
  const forms = [
    secret,
    encodeURIComponent(secret),
    bytes.toString('base64'),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
    JSON.stringify(secret).slice(1, -1),
  ];
  const segments = secret.split('.');
  if (segments.length === 3) forms.push(...segments.filter((s) => s.length >= 16));
  return [...new Set(forms)].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/** Replaces every variant of every secret in `text`, longest first. */
export function redactKnownSecrets(text: string, secrets: readonly string[]): string {
  const variants = [...new Set(secrets.flatMap(secretVariants))].sort(
    (a, b) => b.length - a.length,
  );
  let out = text;
  for (const variant of variants)
    if (out.includes(variant)) out = out.split(variant).join(REDACTED);
  return out;
}

/** Deep copy with secrets removed. Cycles and depth beyond 20 become a marker. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (depth > 20) return '[depth]';
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: redactString(value.message) };
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      // A boolean says whether something is set; it cannot be the secret itself.
      out[key] =
        isSecretKey(key) && inner !== null && inner !== undefined && typeof inner !== 'boolean'
          ? REDACTED
          : redactValue(inner, depth + 1);
    }
    return out;
  }
  return value;
}

export function redactRecord<T extends Readonly<Record<string, unknown>>>(
  details: T,
): Record<string, unknown> {
  return redactValue(details) as Record<string, unknown>;
}

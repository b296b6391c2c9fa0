// Defence in depth against secrets in logs and diagnostics: removes anything token-shaped
// (JWTs, stream/reconnect tokens, secrets by key name) from strings and nested values.
// PROTOCOL.md §6: tokens and stream tokens never appear in any log. Pure; no I/O.

export const REDACTED = '[redacted]';

/** Three base64url segments starting like a JSON header: a compact JWS/JWT. */
const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
/** `"stream_token":"..."` or `stream_token=...` inside free text (a raw line in a message). */
const INLINE_SECRET =
  /((?:stream_token|reconnect_token|token|secret|password|authorization)["']?\s*[:=]\s*["']?)([^"'\s,}&]+)/gi;
/** Key names whose values are always secret, whatever they look like. */
const SECRET_KEYS =
  /^(token|stream_?token|reconnect_?token|secret|relay_?secret|password|authorization|jwt|access_?token)$/i;

export function redactString(text: string): string {
  return text
    .replace(JWT_PATTERN, REDACTED)
    .replace(INLINE_SECRET, (_m, prefix: string) => `${prefix}${REDACTED}`);
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
      out[key] =
        SECRET_KEYS.test(key) && inner !== null && inner !== undefined
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

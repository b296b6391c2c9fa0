// Finds English left in text meant to be Russian: Latin words that are not product or
// protocol names, not the user's own data (tunnel names, hosts, paths the test passes) and
// not machine tokens (paths, host names, host:port, identifiers). Shared by the tray test
// and the renderer's every-view test.

/** Names that stay as they are in every language. */
export const ALLOWED_WORDS: ReadonlySet<string> = new Set([
  'CloudBridge',
  'TLS',
  'SSH',
  'RDP',
  'JWT',
  'HTTP',
  'HTTPS',
  'SNI',
  'PEM',
  'SHA',
  'base64',
  'IP',
  'ID',
  'Electron',
  'Chrome',
  'Node',
  'TCP',
  'Windows',
  // The host name a preset starts with (RFC 6761), typed as it is in every language.
  'localhost',
  // The language picker names each language in itself.
  'English',
]);

/** A token that is a path, URL, e-mail, host name, host:port or identifier, not a word. */
function isMachineToken(token: string): boolean {
  return (
    /[/\\@]/.test(token) ||
    /[A-Za-z0-9][._:][A-Za-z0-9]/.test(token.replace(/[.,;:!?)»"”]+$/, '')) ||
    token.includes('_')
  );
}

/**
 * The English words in `text`. `data` lists the user's own strings shown as they are (tunnel
 * names, hosts, a subject): each occurrence is taken out before looking.
 */
export function englishWords(text: string, data: readonly string[] = []): string[] {
  let rest = text;
  for (const value of [...data].sort((a, b) => b.length - a.length))
    if (value !== '') rest = rest.split(value).join(' ');
  const found: string[] = [];
  for (const token of rest.split(/\s+/)) {
    if (token === '' || isMachineToken(token)) continue;
    for (const word of token.match(/[A-Za-z][A-Za-z0-9]*/g) ?? [])
      if (!ALLOWED_WORDS.has(word)) found.push(word);
  }
  return found;
}

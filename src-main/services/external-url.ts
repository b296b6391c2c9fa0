// Which links may leave the app for the system browser: shared by the window's new-window
// handler and the app.openExternal request, so both refuse the same things. Pure.

/** https to an allow-listed host (or its subdomains), no user name in it; nothing else. */
export function isAllowedExternalUrl(url: string, allowList: readonly string[]): boolean {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname.toLowerCase();
    return (
      parsed.protocol === 'https:' &&
      parsed.username === '' &&
      allowList.some((h) => host === h || host.endsWith(`.${h}`))
    );
  } catch {
    return false;
  }
}

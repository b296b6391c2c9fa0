// The app's mark beside its name in the sidebar: assets/src/app-icon-small.svg drawn inline
// (no image request). Decorative: the name next to it says what it is. Display only.
export function AppMark() {
  return (
    <svg className="app-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <defs>
        <linearGradient id="app-mark-bg" x1="0" y1="0" x2="1" y2="1">
          <stop offset="0" stopColor="#2F8CFF" />
          <stop offset="1" stopColor="#1438A6" />
        </linearGradient>
      </defs>
      <rect width="32" height="32" rx="7" fill="url(#app-mark-bg)" />
      <path d="M 6 26 A 10 13 0 0 1 26 26" fill="none" stroke="#FFFFFF" strokeWidth="3" />
      <line x1="4" y1="20" x2="28" y2="20" stroke="#FFFFFF" strokeWidth="3" strokeLinecap="round" />
      <circle cx="16" cy="13" r="4.5" fill="#FFFFFF" />
      <circle cx="16" cy="13" r="2.5" fill="#FFB21E" />
    </svg>
  );
}

// Side-effect imports vite resolves at build time (the stylesheet); tsc only needs to know
// they exist.
declare module '*.css';

// Comments cite documents the repository contains: every `docs/protocol.md#anchor` in the
// sources, tests, scripts and docs names a heading that exists, and nothing cites the first
// protocol draft, the seed documents, the style guide or the environment notes, which live
// outside the repository.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/bundle';

const SCANNED = ['src-main', 'src-renderer', 'test', 'bench', 'scripts', 'docs', 'README.md'];
const SKIPPED = new Set(['node_modules', 'dist', 'lint-fixtures']);
const THIS_FILE = 'test/unit/doc-citations.test.ts';

function files(path: string): string[] {
  const full = join(REPO_ROOT, path);
  if (statSync(full).isFile()) return [path];
  return readdirSync(full).flatMap((name) => (SKIPPED.has(name) ? [] : files(join(path, name))));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

const sources = SCANNED.flatMap(files).filter(
  (path) => /\.(ts|tsx|mjs|cjs|md)$/.test(path) && relative('.', path) !== THIS_FILE,
);
const protocolDoc = readFileSync(join(REPO_ROOT, 'docs', 'protocol.md'), 'utf8');
const anchors = new Set(
  [...protocolDoc.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1] ?? '')),
);

describe('citations', () => {
  it('makes anchors the way GitHub does', () => {
    expect(anchorOf('Data streams (feature `tcp_stream`)')).toBe('data-streams-feature-tcp_stream');
    expect(anchorOf('Relays in the wild: tolerances')).toBe('relays-in-the-wild-tolerances');
  });

  it('points every docs/protocol.md#anchor at a heading that exists', () => {
    const broken: string[] = [];
    for (const path of sources) {
      const text = readFileSync(join(REPO_ROOT, path), 'utf8');
      const cited = [...text.matchAll(/docs\/protocol\.md#([\w-]+)/g)].map((m) => m[1] ?? '');
      if (path === 'docs/protocol.md')
        cited.push(...[...text.matchAll(/\]\(#([\w-]+)\)/g)].map((m) => m[1] ?? ''));
      for (const anchor of cited) if (!anchors.has(anchor)) broken.push(`${path}: #${anchor}`);
    }
    expect(sources.length).toBeGreaterThan(100);
    expect(broken).toEqual([]);
  });

  it('cites no document from outside the repository', () => {
    const outside = /PROTOCOL\.md|STYLE\.md|ENVIRONMENT\.md|\bseed v[12]\b|seeds\//;
    const found = sources.filter((path) =>
      outside.test(readFileSync(join(REPO_ROOT, path), 'utf8')),
    );
    expect(found).toEqual([]);
  });
});

// Makes a placeholder Electron distribution for the Linux packaging check: electron-builder
// copies it as if it were Electron (electronDist), so `--linux dir` works with no download.
// It is never shipped: the `electron` script only says what it is and exits non-zero.
'use strict';

const { chmodSync, mkdirSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { PLACEHOLDER_MARKER } = require('../after-pack.cjs');

/** Writes the placeholder into `dir` (created if needed); returns `dir`. */
function createPlaceholderElectron(dir, version) {
  mkdirSync(path.join(dir, 'resources'), { recursive: true });
  const executable = path.join(dir, 'electron');
  writeFileSync(
    executable,
    [
      '#!/bin/sh',
      `# ${PLACEHOLDER_MARKER} ${version}: stands in for the Electron binary in packaging checks.`,
      `echo "${PLACEHOLDER_MARKER}: not a real Electron build; install the app from a release" >&2`,
      'exit 1',
      '',
    ].join('\n'),
  );
  chmodSync(executable, 0o755);
  // electron-builder reads the Electron version from node_modules/electron; the dist's own
  // version file and licences are what a real Electron zip also carries.
  writeFileSync(path.join(dir, 'version'), version);
  writeFileSync(
    path.join(dir, 'LICENSE'),
    `${PLACEHOLDER_MARKER}: placeholder, no Electron code inside.\n`,
  );
  writeFileSync(
    path.join(dir, 'LICENSES.chromium.html'),
    '<!doctype html><title>placeholder</title>\n',
  );
  return dir;
}

module.exports = { createPlaceholderElectron };

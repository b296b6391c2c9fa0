// The Electron fuses every packaged CloudBridge Desktop gets: the one list that
// scripts/after-pack.cjs applies and test/packaging checks. Data only; flips nothing itself.
'use strict';

/**
 * Fuse name (as in @electron/fuses FuseV1Options) -> wanted state. Why each one:
 * - RunAsNode off: ELECTRON_RUN_AS_NODE would turn the signed app into a general Node runtime.
 * - EnableCookieEncryption on: cookies at rest are encrypted with the OS keychain key.
 * - EnableNodeOptionsEnvironmentVariable off: NODE_OPTIONS could inject code at start.
 * - EnableNodeCliInspectArguments off: --inspect would open a debugger port on the app.
 * - EnableEmbeddedAsarIntegrityValidation on: app.asar is checked against the hash
 *   electron-builder embeds (macOS Info.plist, Windows resources).
 * - OnlyLoadAppFromAsar on: no loose `app/` folder next to the archive is ever loaded.
 * - GrantFileProtocolExtraPrivileges off: the window loads from the app scheme
 *   (src-main/electron/app-protocol.ts), so no page needs file:// beyond what a browser
 *   allows it, and a file:// page could otherwise fetch any file:// URL.
 */
const FUSES = Object.freeze({
  RunAsNode: false,
  EnableCookieEncryption: true,
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  EnableEmbeddedAsarIntegrityValidation: true,
  OnlyLoadAppFromAsar: true,
  GrantFileProtocolExtraPrivileges: false,
});

/**
 * The @electron/fuses `flipFuses` config for FUSES. `fuses` is the @electron/fuses module
 * (passed in, so this file stays data-only); Apple Silicon builds need their ad-hoc
 * signature redone after the binary changes.
 */
function toFuseConfig(fuses, { resetAdHocDarwinSignature }) {
  const config = { version: fuses.FuseVersion.V1, resetAdHocDarwinSignature };
  for (const [name, enabled] of Object.entries(FUSES)) {
    const index = fuses.FuseV1Options[name];
    if (typeof index !== 'number') throw new Error(`fuses-config: unknown fuse ${name}`);
    config[index] = enabled;
  }
  return config;
}

module.exports = { FUSES, toFuseConfig };

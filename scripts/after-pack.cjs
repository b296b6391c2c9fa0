// electron-builder afterPack hook: flips the Electron fuses of scripts/fuses-config.cjs in
// the packed binary, before signing. Skips (and says so) only when the binary is the local
// placeholder the Linux packaging check builds with; any other failure fails the build.
'use strict';

const { open } = require('node:fs/promises');
const path = require('node:path');
const fuses = require('@electron/fuses');
const { FUSES, toFuseConfig } = require('./fuses-config.cjs');

/** Written on line 2 of the placeholder `electron` script (scripts/placeholder-electron). */
const PLACEHOLDER_MARKER = 'cloudbridge-placeholder-electron';
/** electron-builder's Arch enum value for arm64 (builder-util). */
const ARCH_ARM64 = 3;

/** The file that carries the fuse wire, found the way electron-builder finds it. */
function electronBinaryPath(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  switch (electronPlatformName) {
    case 'darwin':
    case 'mas':
      return path.join(appOutDir, `${packager.appInfo.productFilename}.app`);
    case 'win32':
      return path.join(appOutDir, `${packager.appInfo.productFilename}.exe`);
    case 'linux':
      return path.join(appOutDir, packager.executableName);
    default:
      throw new Error(`after-pack: unknown platform ${electronPlatformName}`);
  }
}

/** True when the file starts like our placeholder script (reads 256 bytes, not the binary). */
async function isPlaceholderBinary(file) {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return false; // a .app bundle is a directory; the placeholder is only ever a file
  }
  try {
    const head = Buffer.alloc(256);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead).toString('latin1').includes(PLACEHOLDER_MARKER);
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}

async function afterPack(context, log = console.log) {
  const binary = electronBinaryPath(context);
  if (await isPlaceholderBinary(binary)) {
    log(
      `after-pack: ${binary} is the local placeholder Electron (packaging check), fuses not flipped`,
    );
    return { flipped: false, binary };
  }
  const isDarwin =
    context.electronPlatformName === 'darwin' || context.electronPlatformName === 'mas';
  const config = toFuseConfig(fuses, {
    resetAdHocDarwinSignature: isDarwin && context.arch === ARCH_ARM64,
  });
  await fuses.flipFuses(binary, config);
  const summary = Object.entries(FUSES)
    .map(([name, on]) => `${name}=${on ? 'on' : 'off'}`)
    .join(' ');
  log(`after-pack: fuses flipped in ${binary}: ${summary}`);
  return { flipped: true, binary };
}

module.exports = afterPack;
module.exports.default = afterPack;
module.exports.afterPack = afterPack;
module.exports.electronBinaryPath = electronBinaryPath;
module.exports.isPlaceholderBinary = isPlaceholderBinary;
module.exports.PLACEHOLDER_MARKER = PLACEHOLDER_MARKER;

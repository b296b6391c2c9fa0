#!/usr/bin/env node
// Renders the icon set from the SVG sources in assets/src/ into the files the app and the
// installers load (assets/icon.*, assets/tray/*). Owns the ICO and ICNS containers; the
// outputs are committed, so packaging never needs this script or its rasteriser.
//
//   node scripts/make-icons.mjs                  regenerate every file under assets/
//   node scripts/make-icons.mjs --out DIR        write them under DIR instead (sync check)
//   node scripts/make-icons.mjs --sheet out.png  also draw a contact sheet for a visual check
import { Resvg } from '@resvg/resvg-js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'assets', 'src');
const outIndex = process.argv.indexOf('--out');
const out = outIndex >= 0 ? process.argv[outIndex + 1] : join(root, 'assets');

/** Tray states the main process loads by name (assets/tray/<state>.png, <state>Template.png). */
export const TRAY_STATES = ['disconnected', 'connecting', 'active', 'error'];
/** Windows .ico sizes: shell views from small icons to the 256 px "extra large" view. */
export const APP_ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
/** Windows tray: 16 px at 100 % scaling, 20 at 125 %, 24 at 150 %, 32 at 200 %. */
export const TRAY_ICO_SIZES = [16, 20, 24, 32];
/** Below this the detailed artwork turns to mush: use the small, grid-fitted drawing. */
const SMALL_ARTWORK_MAX_PX = 32;

/** ICNS chunk types with PNG payloads (OS X 10.7+), as iconutil writes them. */
export const ICNS_CHUNKS = [
  ['icp4', 16],
  ['icp5', 32],
  ['ic11', 32],
  ['icp6', 64],
  ['ic12', 64],
  ['ic07', 128],
  ['ic13', 256],
  ['ic08', 256],
  ['ic14', 512],
  ['ic09', 512],
  ['ic10', 1024],
];

function readSvg(name) {
  return readFileSync(join(src, name), 'utf8');
}

/** Rasterises an SVG to a square PNG of `size` px; returns the PNG and its RGBA pixels. */
function render(svg, size) {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'width', value: size },
    background: 'rgba(0,0,0,0)',
    shapeRendering: 2,
    font: { loadSystemFonts: false },
  });
  const image = resvg.render();
  if (image.width !== size || image.height !== size) {
    throw new Error(`make-icons: rendered ${image.width}x${image.height}, wanted ${size}x${size}`);
  }
  return { png: Buffer.from(image.asPng()), rgba: Buffer.from(image.pixels), size };
}

/** The SVG's markup without its outer <svg> element, for embedding in another drawing. */
function innerMarkup(svg) {
  const open = svg.indexOf('>', svg.indexOf('<svg')) + 1;
  return svg.slice(open, svg.lastIndexOf('</svg>'));
}

/**
 * macOS draws app icons on its own grid: an 824 px body centred in 1024 with a soft shadow
 * (Apple HIG, "App icons"). The same artwork, scaled into that body.
 */
function macVariant(svg) {
  const body = 824;
  const artwork = 944; // the rounded square in app-icon.svg spans 40..984
  const scale = body / artwork;
  const offset = (1024 - 1024 * scale) / 2;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="1024" viewBox="0 0 1024 1024">
  <defs><filter id="shadow" x="-20%" y="-20%" width="140%" height="140%">
    <feGaussianBlur stdDeviation="14"/></filter></defs>
  <rect x="100" y="112" width="824" height="824" rx="185" fill="#000000" fill-opacity="0.32" filter="url(#shadow)"/>
  <g transform="translate(${offset} ${offset}) scale(${scale})">${innerMarkup(svg)}</g>
</svg>`;
}

/** Sets the root `color` so that `currentColor` paints the glyph in `color`. */
function withColor(svg, color) {
  return svg.replace(/(<svg[^>]*\scolor=")[^"]*(")/, `$1${color}$2`);
}

/**
 * A 32-bit BMP (DIB) icon image: BITMAPINFOHEADER with doubled height, bottom-up BGRA rows,
 * then the 1-bit AND mask. Used for entries under 256 px, which every Windows shell and
 * NSIS read; PNG payloads are kept for the 256 px entry (Vista and later).
 */
function dibImage({ rgba, size }) {
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(size, 4);
  header.writeInt32LE(size * 2, 8);
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  header.writeUInt32LE(0, 16); // BI_RGB
  header.writeUInt32LE(size * size * 4, 20);
  const pixels = Buffer.alloc(size * size * 4);
  const maskStride = Math.ceil(size / 32) * 4;
  const mask = Buffer.alloc(maskStride * size);
  for (let y = 0; y < size; y++) {
    const row = size - 1 - y;
    for (let x = 0; x < size; x++) {
      const from = (y * size + x) * 4;
      const to = (row * size + x) * 4;
      const alpha = rgba[from + 3];
      // resvg hands out premultiplied RGBA; DIB icons want straight alpha.
      const unpremultiply = (c) => (alpha === 0 ? 0 : Math.min(255, Math.round((c * 255) / alpha)));
      pixels[to] = unpremultiply(rgba[from + 2]);
      pixels[to + 1] = unpremultiply(rgba[from + 1]);
      pixels[to + 2] = unpremultiply(rgba[from]);
      pixels[to + 3] = alpha;
      if (alpha === 0) mask[row * maskStride + (x >> 3)] |= 0x80 >> (x & 7);
    }
  }
  return Buffer.concat([header, pixels, mask]);
}

/** ICO container: ICONDIR, one ICONDIRENTRY per image, then the payloads. */
export function encodeIco(images) {
  const headerSize = 6 + 16 * images.length;
  const payloads = images.map((image) => (image.size >= 256 ? image.png : dibImage(image)));
  const dir = Buffer.alloc(headerSize);
  dir.writeUInt16LE(0, 0);
  dir.writeUInt16LE(1, 2); // 1 = icon
  dir.writeUInt16LE(images.length, 4);
  let offset = headerSize;
  images.forEach((image, index) => {
    const entry = 6 + index * 16;
    dir.writeUInt8(image.size >= 256 ? 0 : image.size, entry); // 0 means 256
    dir.writeUInt8(image.size >= 256 ? 0 : image.size, entry + 1);
    dir.writeUInt8(0, entry + 2);
    dir.writeUInt8(0, entry + 3);
    dir.writeUInt16LE(1, entry + 4);
    dir.writeUInt16LE(32, entry + 6);
    dir.writeUInt32LE(payloads[index].length, entry + 8);
    dir.writeUInt32LE(offset, entry + 12);
    offset += payloads[index].length;
  });
  return Buffer.concat([dir, ...payloads]);
}

/** ICNS container: 'icns' + big-endian total length, then (type, length, PNG) chunks. */
export function encodeIcns(chunks) {
  const parts = chunks.map(([type, png]) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + parts.reduce((sum, part) => sum + part.length, 0), 4);
  return Buffer.concat([head, ...parts]);
}

function write(relative, data) {
  const path = join(out, relative);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  return relative;
}

/** A PNG showing every output at 1:1 and enlarged, on light and dark grounds. */
function contactSheet(entries) {
  const cell = 150;
  const columns = 6;
  const rows = Math.ceil(entries.length / columns);
  const items = entries
    .map(({ label, png, size }, index) => {
      const x = (index % columns) * cell;
      const y = Math.floor(index / columns) * cell;
      const actual = Math.min(size, 40);
      const shown = Math.min(96, size * 4);
      const href = `data:image/png;base64,${png.toString('base64')}`;
      const dark = index % 2 === 1;
      return `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${dark ? '#1F2329' : '#F4F5F7'}"/>
<image x="${x + 4}" y="${y + 6}" width="${actual}" height="${actual}" href="${href}"/>
<image x="${x + 48}" y="${y + 6}" width="${shown}" height="${shown}" href="${href}" image-rendering="optimizeSpeed"/>
<text x="${x + 6}" y="${y + cell - 10}" font-size="11" fill="${dark ? '#FFFFFF' : '#000000'}">${label}</text>`;
    })
    .join('\n');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${columns * cell}" height="${rows * cell}">${items}</svg>`;
  return new Resvg(svg, { font: { loadSystemFonts: true } }).render().asPng();
}

function main() {
  const large = readSvg('app-icon.svg');
  const small = readSvg('app-icon-small.svg');
  const appPng = (size) => render(size <= SMALL_ARTWORK_MAX_PX ? small : large, size);
  const written = [];
  const sheet = [];

  const ico = APP_ICO_SIZES.map(appPng);
  written.push(write('icon.ico', encodeIco(ico)));
  for (const image of ico) sheet.push({ label: `icon.ico ${image.size}`, ...image });

  const mac = macVariant(large);
  const icnsChunks = ICNS_CHUNKS.map(([type, size]) => [type, render(mac, size).png]);
  written.push(write('icon.icns', encodeIcns(icnsChunks)));
  sheet.push({ label: 'icon.icns 128 (macOS grid)', ...render(mac, 128) });

  for (const size of [512, 1024]) written.push(write(`icon-${size}.png`, render(large, size).png));
  written.push(write('icon.png', render(large, 512).png));

  for (const state of TRAY_STATES) {
    const svg = readSvg(`tray-${state}.svg`);
    const template = withColor(svg, '#000000');
    for (const [suffix, size] of [
      ['', 16],
      ['@2x', 32],
    ]) {
      const colour = render(svg, size);
      const mono = render(template, size);
      written.push(write(`tray/${state}${suffix}.png`, colour.png));
      written.push(write(`tray/${state}Template${suffix}.png`, mono.png));
      sheet.push(
        { label: `${state}${suffix}`, ...colour },
        { label: `${state}Template${suffix}`, ...mono },
      );
    }
    written.push(
      write(`tray/${state}.ico`, encodeIco(TRAY_ICO_SIZES.map((size) => render(svg, size)))),
    );
  }

  const sheetIndex = process.argv.indexOf('--sheet');
  const sheetPath = sheetIndex >= 0 ? process.argv[sheetIndex + 1] : undefined;
  if (sheetPath) writeFileSync(sheetPath, contactSheet(sheet));
  console.log(
    `make-icons: wrote ${written.length} files under ${out}${sheetPath ? ` and ${sheetPath}` : ''}`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();

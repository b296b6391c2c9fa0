// The committed icon set: every file the installers and the tray load exists, in the right
// container, at the right sizes. Parses PNG (IHDR + pixels), ICO directories and ICNS chunks
// itself, so a broken encoder in scripts/make-icons.mjs cannot vouch for its own output.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { TrayIconState } from '../../src-main/shared/tray-types';
import { TRAY_STATES } from './package-layout';

const assets = join(import.meta.dirname, '..', '..', 'assets');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface Png {
  width: number;
  height: number;
  /** Straight RGBA, row-major. */
  rgba: Buffer;
}

/** Decodes an 8-bit RGBA, non-interlaced PNG (what resvg writes); throws on anything else. */
function decodePng(data: Buffer): Png {
  expect(data.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < data.length) {
    const length = data.readUInt32BE(offset);
    const type = data.toString('latin1', offset + 4, offset + 8);
    const body = data.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect({ depth: body[8], colourType: body[9], interlace: body[12] }).toEqual({
        depth: 8,
        colourType: 6,
        interlace: 0,
      });
    } else if (type === 'IDAT') {
      idat.push(body);
    } else if (type === 'IEND') {
      break;
    }
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const rgba = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= 4 ? rgba[y * stride + x - 4]! : 0;
      const b = y > 0 ? rgba[(y - 1) * stride + x]! : 0;
      const c = x >= 4 && y > 0 ? rgba[(y - 1) * stride + x - 4]! : 0;
      const paeth = (): number => {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      };
      const predictor = [0, a, b, (a + b) >> 1, 0][filter ?? 0] ?? 0;
      rgba[y * stride + x] = (line[x]! + (filter === 4 ? paeth() : predictor)) & 0xff;
    }
  }
  return { width, height, rgba };
}

function png(relative: string): Png {
  return decodePng(readFileSync(join(assets, relative)));
}

interface IcoEntry {
  width: number;
  height: number;
  bitCount: number;
  payload: Buffer;
}

function readIco(relative: string): IcoEntry[] {
  const data = readFileSync(join(assets, relative));
  expect([data.readUInt16LE(0), data.readUInt16LE(2)]).toEqual([0, 1]);
  const count = data.readUInt16LE(4);
  return Array.from({ length: count }, (_, index) => {
    const entry = 6 + index * 16;
    const size = data.readUInt32LE(entry + 8);
    const offset = data.readUInt32LE(entry + 12);
    expect(offset + size).toBeLessThanOrEqual(data.length);
    return {
      width: data[entry] || 256,
      height: data[entry + 1] || 256,
      bitCount: data.readUInt16LE(entry + 6),
      payload: data.subarray(offset, offset + size),
    };
  });
}

/** Size of an ICO image payload: PNG IHDR, or the DIB header (whose height counts the mask). */
function payloadSize(payload: Buffer): { width: number; height: number; format: 'png' | 'dib' } {
  if (payload.subarray(0, 8).equals(PNG_SIGNATURE)) {
    return { width: payload.readUInt32BE(16), height: payload.readUInt32BE(20), format: 'png' };
  }
  expect(payload.readUInt32LE(0)).toBe(40);
  expect(payload.readUInt16LE(14)).toBe(32);
  const width = payload.readInt32LE(4);
  const doubled = payload.readInt32LE(8);
  // 40-byte header, BGRA pixels, then a 1-bit mask with rows padded to 32 bits.
  expect(payload.length).toBe(40 + width * width * 4 + Math.ceil(width / 32) * 4 * width);
  return { width, height: doubled / 2, format: 'dib' };
}

function opaquePixels(image: Png): number {
  let count = 0;
  for (let i = 3; i < image.rgba.length; i += 4) if (image.rgba[i]! > 0) count++;
  return count;
}

/** Compile-time: the icon set covers exactly the states the tray model can show. */
type SameUnion<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const TRAY_STATES_MATCH_MODEL: SameUnion<(typeof TRAY_STATES)[number], TrayIconState> = true;

describe('icon set', () => {
  it('has a tray icon for every state the tray model shows, and no other', () => {
    expect(TRAY_STATES_MATCH_MODEL).toBe(true);
    expect([...TRAY_STATES].sort()).toEqual(['active', 'connecting', 'disconnected', 'error']);
  });

  it('app icon PNGs are square at 512 and 1024 px, and icon.png (Linux) is 512 px', () => {
    expect([png('icon-512.png').width, png('icon-512.png').height]).toEqual([512, 512]);
    expect([png('icon-1024.png').width, png('icon-1024.png').height]).toEqual([1024, 1024]);
    expect(png('icon.png').width).toBe(512);
    // A drawn icon, not an empty canvas: most of it is opaque, the corners are not.
    const big = png('icon-1024.png');
    expect(opaquePixels(big)).toBeGreaterThan(1024 * 1024 * 0.7);
    expect(big.rgba[3]).toBe(0);
  });

  it('icon.ico has 16, 24, 32, 48, 64, 128 and 256 px images whose payloads match their entries', () => {
    const entries = readIco('icon.ico');
    expect(entries.map((entry) => entry.width)).toEqual([16, 24, 32, 48, 64, 128, 256]);
    for (const entry of entries) {
      expect(entry.bitCount).toBe(32);
      const inner = payloadSize(entry.payload);
      expect({ width: inner.width, height: inner.height }).toEqual({
        width: entry.width,
        height: entry.height,
      });
      // PNG only where every Windows shell and NSIS accept it: the 256 px image.
      expect(inner.format).toBe(entry.width === 256 ? 'png' : 'dib');
    }
  });

  it('icon.icns holds PNG chunks from 16 to 1024 px and its lengths add up', () => {
    const data = readFileSync(join(assets, 'icon.icns'));
    expect(data.toString('latin1', 0, 4)).toBe('icns');
    expect(data.readUInt32BE(4)).toBe(data.length);
    const chunks = new Map<string, number>();
    for (let offset = 8; offset < data.length;) {
      const type = data.toString('latin1', offset, offset + 4);
      const length = data.readUInt32BE(offset + 4);
      expect(length).toBeGreaterThan(8);
      const image = decodePng(data.subarray(offset + 8, offset + length));
      expect(image.width).toBe(image.height);
      chunks.set(type, image.width);
      offset += length;
    }
    expect(Object.fromEntries(chunks)).toEqual({
      icp4: 16,
      icp5: 32,
      ic11: 32,
      icp6: 64,
      ic12: 64,
      ic07: 128,
      ic13: 256,
      ic08: 256,
      ic14: 512,
      ic09: 512,
      ic10: 1024,
    });
  });

  for (const state of TRAY_STATES) {
    it(`tray "${state}": colour PNGs at 16/32 px, a Windows .ico, and black-with-alpha macOS templates`, () => {
      expect(png(`tray/${state}.png`).width).toBe(16);
      expect(png(`tray/${state}@2x.png`).width).toBe(32);
      expect(readIco(`tray/${state}.ico`).map((entry) => entry.width)).toEqual([16, 20, 24, 32]);

      for (const [name, size] of [
        [`tray/${state}Template.png`, 16],
        [`tray/${state}Template@2x.png`, 32],
      ] as const) {
        const image = png(name);
        expect([image.width, image.height]).toEqual([size, size]);
        expect(existsSync(join(assets, name))).toBe(true);
        let partlyTransparent = 0;
        for (let i = 0; i < image.rgba.length; i += 4) {
          const alpha = image.rgba[i + 3]!;
          if (alpha === 0) continue;
          // macOS tints template images itself: only black, the shape is all in the alpha.
          expect(
            [image.rgba[i], image.rgba[i + 1], image.rgba[i + 2]],
            `${name} pixel ${i / 4}`,
          ).toEqual([0, 0, 0]);
          if (alpha < 255) partlyTransparent++;
        }
        const covered = opaquePixels(image) / (size * size);
        expect(covered).toBeGreaterThan(0.12);
        expect(covered).toBeLessThan(0.8);
        expect(partlyTransparent).toBeGreaterThan(0); // anti-aliased edges, not a hard mask
      }

      // The colour version is coloured (not black like the template).
      const colour = png(`tray/${state}@2x.png`);
      const opaque = [...Array(colour.width * colour.height).keys()].find(
        (i) => colour.rgba[i * 4 + 3] === 255,
      )!;
      const rgb = [...colour.rgba.subarray(opaque * 4, opaque * 4 + 3)];
      expect(Math.max(...rgb)).toBeGreaterThan(90);
    });
  }

  it('each tray state has its own shape, so the state reads without colour', () => {
    const shapes = TRAY_STATES.map((state) => {
      const image = png(`tray/${state}Template@2x.png`);
      return Buffer.from(image.rgba.filter((_, i) => i % 4 === 3));
    });
    for (let i = 0; i < shapes.length; i++) {
      for (let j = i + 1; j < shapes.length; j++) {
        let differing = 0;
        for (let k = 0; k < shapes[i]!.length; k++)
          if (Math.abs(shapes[i]![k]! - shapes[j]![k]!) > 128) differing++;
        expect(differing, `${TRAY_STATES[i]} vs ${TRAY_STATES[j]}`).toBeGreaterThan(20);
      }
    }
  });

  it('the committed files are what `npm run icons` makes from the SVG sources', () => {
    const out = mkdtempSync(join(tmpdir(), 'cloudbridge-icons-'));
    try {
      execFileSync(
        process.execPath,
        [join(assets, '..', 'scripts', 'make-icons.mjs'), '--out', out],
        { stdio: 'pipe', timeout: 60_000 },
      );
      const generated = readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((file) =>
        file.includes('.'),
      );
      expect(generated.length).toBe(25);
      for (const file of generated) {
        expect(
          readFileSync(join(out, file)).equals(readFileSync(join(assets, file))),
          `${file} is stale: run npm run icons`,
        ).toBe(true);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('keeps the SVG sources next to the generated files', () => {
    for (const source of [
      'app-icon.svg',
      'app-icon-small.svg',
      ...TRAY_STATES.map((state) => `tray-${state}.svg`),
    ]) {
      expect(readFileSync(join(assets, 'src', source), 'utf8')).toMatch(/^<svg [^>]*viewBox=/);
    }
  });
});

/**
 * Draws Tsunagu's icons as PNG files, so no binary art has to be downloaded or hand-edited:
 *   tray/<state>.png (22 px) and tray/<state>@2x.png (44 px) for the five tray states, and
 *   icons/<n>x<n>.png, the app icon (two linked rings: tsunagu, "to connect").
 * The states differ in shape as well as colour (ring, dot, check, "!", slash), so they can be told
 * apart without colour vision. Run: npx tsx resources/generate-icons.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

type Rgba = readonly [number, number, number, number];

/** A shape as a signed distance (negative inside), in a unit square from (0,0) to (1,1). */
type Shape = (x: number, y: number) => number;

const circle = (cx: number, cy: number, r: number): Shape => (x, y) => Math.hypot(x - cx, y - cy) - r;
const ring = (cx: number, cy: number, r: number, width: number): Shape => (x, y) => Math.abs(Math.hypot(x - cx, y - cy) - r) - width / 2;
function segment(ax: number, ay: number, bx: number, by: number, width: number): Shape {
  return (x, y) => {
    const dx = bx - ax;
    const dy = by - ay;
    const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
    return Math.hypot(x - (ax + t * dx), y - (ay + t * dy)) - width / 2;
  };
}

interface Layer {
  shape: Shape;
  color: Rgba;
}

/** Renders layers (later ones on top) with 4×4 supersampling for smooth edges. */
function render(size: number, layers: Layer[]): Uint8Array {
  const pixels = new Uint8Array(size * size * 4);
  const samples = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = (px + (sx + 0.5) / samples) / size;
          const y = (py + (sy + 0.5) / samples) / size;
          let color: Rgba = [0, 0, 0, 0];
          for (const layer of layers) if (layer.shape(x, y) <= 0) color = layer.color;
          const alpha = color[3] / 255;
          r += color[0] * alpha;
          g += color[1] * alpha;
          b += color[2] * alpha;
          a += alpha;
        }
      }
      const i = (py * size + px) * 4;
      const n = samples * samples;
      pixels[i] = a > 0 ? Math.round(r / a) : 0;
      pixels[i + 1] = a > 0 ? Math.round(g / a) : 0;
      pixels[i + 2] = a > 0 ? Math.round(b / a) : 0;
      pixels[i + 3] = Math.round((a / n) * 255);
    }
  }
  return pixels;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A minimal PNG: 8-bit RGBA, no filtering, one IDAT. */
export function encodePng(size: number, rgba: Uint8Array): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.subarray(y * size * 4, (y + 1) * size * 4)).copy(raw, y * (size * 4 + 1) + 1);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array())]);
}

const WHITE: Rgba = [255, 255, 255, 255];
const GREY: Rgba = [128, 134, 139, 255];
const AMBER: Rgba = [230, 145, 0, 255];
const GREEN: Rgba = [30, 142, 62, 255];
const RED: Rgba = [217, 48, 37, 255];
const BLUE: Rgba = [26, 115, 232, 255];

export const TRAY_ART: Record<string, Layer[]> = {
  // A hollow ring: nothing is up.
  disconnected: [{ shape: ring(0.5, 0.5, 0.36, 0.14), color: GREY }],
  // A ring with a dot inside: on its way.
  connecting: [
    { shape: ring(0.5, 0.5, 0.36, 0.14), color: AMBER },
    { shape: circle(0.5, 0.5, 0.14), color: AMBER },
  ],
  // A filled disc with a check mark.
  connected: [
    { shape: circle(0.5, 0.5, 0.45), color: GREEN },
    { shape: (x, y) => Math.min(segment(0.28, 0.52, 0.44, 0.67, 0.12)(x, y), segment(0.44, 0.67, 0.73, 0.35, 0.12)(x, y)), color: WHITE },
  ],
  // A filled disc with "!".
  error: [
    { shape: circle(0.5, 0.5, 0.45), color: RED },
    { shape: segment(0.5, 0.25, 0.5, 0.56, 0.13), color: WHITE },
    { shape: circle(0.5, 0.73, 0.075), color: WHITE },
  ],
  // A ring struck through: the helper is missing.
  'helper-unavailable': [
    { shape: ring(0.5, 0.5, 0.36, 0.14), color: GREY },
    { shape: segment(0.2, 0.8, 0.8, 0.2, 0.13), color: GREY },
  ],
};

const APP_ICON: Layer[] = [
  { shape: circle(0.5, 0.5, 0.47), color: BLUE },
  { shape: ring(0.4, 0.5, 0.17, 0.07), color: WHITE },
  { shape: ring(0.6, 0.5, 0.17, 0.07), color: WHITE },
];

export function writeIcons(root: string): string[] {
  const written: string[] = [];
  const put = (path: string, size: number, layers: Layer[]) => {
    writeFileSync(path, encodePng(size, render(size, layers)));
    written.push(path);
  };
  mkdirSync(join(root, 'tray'), { recursive: true });
  mkdirSync(join(root, 'icons'), { recursive: true });
  for (const [state, layers] of Object.entries(TRAY_ART)) {
    put(join(root, 'tray', `${state}.png`), 22, layers);
    put(join(root, 'tray', `${state}@2x.png`), 44, layers);
  }
  for (const size of [32, 64, 128, 256, 512]) put(join(root, 'icons', `${size}x${size}.png`), size, APP_ICON);
  return written;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  console.log(`wrote ${writeIcons(import.meta.dirname).length} icons`);
}

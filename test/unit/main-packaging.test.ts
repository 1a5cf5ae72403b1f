/**
 * What ships besides code: the electron-builder configuration (validated by electron-builder's own
 * schema, offline), the Linux desktop entry and MIME type for tsunagu:// links and .ovpn files,
 * the icons (reproducible from their generator), and the bundles of the main process and preload
 * (the preload small and requiring nothing but Electron).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleElectron } from '../../build/bundle.js';
import { TRAY_ICONS } from '../../electron/main/services/tray-model.js';
import { writeIcons } from '../../resources/generate-icons.js';

const ROOT = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'tsunagu-main-packaging-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface BuilderConfig {
  appId?: string;
  executableName?: string;
  protocols?: Array<{ schemes: string[] }>;
  fileAssociations?: Array<{ ext: string; mimeType?: string }>;
  linux?: { target?: string[]; mimeTypes?: string[] };
  deb?: { fpm?: string[] };
  rpm?: { fpm?: string[] };
  electronFuses?: Record<string, boolean>;
}

describe('electron-builder configuration', () => {
  it('passes electron-builder’s own validation and declares the Linux targets, scheme and .ovpn', async () => {
    // electron-builder's loader and schema check, without building (building needs downloads).
    const require = createRequire(join(ROOT, 'package.json'));
    const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
      getConfig(projectDir: string, configPath: string, options: null): Promise<BuilderConfig>;
      validateConfiguration(config: BuilderConfig, logger: unknown): Promise<void>;
    };
    const { DebugLogger } = require('builder-util/out/DebugLogger.js') as { DebugLogger: new (enabled: boolean) => unknown };
    const config = await getConfig(ROOT, join(ROOT, 'build/electron-builder.yml'), null);
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    expect(config.linux?.target).toEqual(['dir', 'tar.gz', 'deb', 'rpm']);
    // The app's packages need the helper's; /usr/bin/tsunagu is the helper package's CLI.
    expect(config.deb?.fpm).toEqual(['--depends=tsunagu-helper']);
    expect(config.rpm?.fpm).toEqual(['--depends=tsunagu-helper']);
    expect(config.executableName).toBe('tsunagu-desktop');
    expect(config.protocols?.flatMap((p) => p.schemes)).toEqual(['tsunagu']);
    // .ovpn only: .conf belongs to countless programs.
    expect(config.fileAssociations).toEqual([expect.objectContaining({ ext: 'ovpn', mimeType: 'application/x-openvpn-profile' })]);
    expect(config.linux?.mimeTypes).toEqual(['x-scheme-handler/tsunagu', 'application/x-openvpn-profile']);
  });

  it('flips the fuses that would let another program run code as the app', async () => {
    const require = createRequire(join(ROOT, 'package.json'));
    const { getConfig } = require('app-builder-lib/out/util/config/config.js') as { getConfig(projectDir: string, configPath: string, options: null): Promise<BuilderConfig> };
    const config = await getConfig(ROOT, join(ROOT, 'build/electron-builder.yml'), null);
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });

  it('ships a desktop entry and MIME package for links and .ovpn files', () => {
    const desktop = readFileSync(join(ROOT, 'resources/linux/tsunagu.desktop'), 'utf8');
    expect(desktop).toMatch(/^\[Desktop Entry\]\n/);
    expect(desktop).toContain('\nExec=tsunagu-desktop %U\n');
    expect(desktop).toContain('\nMimeType=x-scheme-handler/tsunagu;application/x-openvpn-profile;\n');
    const mime = readFileSync(join(ROOT, 'resources/linux/tsunagu-mime.xml'), 'utf8');
    expect(mime).toContain('<mime-type type="application/x-openvpn-profile">');
    expect(mime).toContain('<glob pattern="*.ovpn"/>');
    expect(mime).not.toContain('*.conf');
  });
});

/** Width, height, colour type and pixel bytes of one of our PNGs. */
function readPng(bytes: Buffer): { width: number; height: number; colourType: number; pixels: Buffer } {
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let header: Buffer | null = null;
  const data: Buffer[] = [];
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('ascii', offset + 4, offset + 8);
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') header = body;
    if (type === 'IDAT') data.push(body);
    offset += 12 + length;
  }
  if (!header) throw new Error('no IHDR');
  return { width: header.readUInt32BE(0), height: header.readUInt32BE(4), colourType: header[9] ?? -1, pixels: inflateSync(Buffer.concat(data)) };
}

describe('icons', () => {
  it('has a 1x and 2x tray image for every tray state, and app icons, all reproducible', () => {
    const fresh = join(work, 'icons');
    writeIcons(fresh);
    for (const state of TRAY_ICONS) {
      for (const [suffix, size] of [['', 22], ['@2x', 44]] as const) {
        const name = `tray/${state}${suffix}.png`;
        const shipped = readFileSync(join(ROOT, 'resources', name));
        expect(shipped.equals(readFileSync(join(fresh, name))), `${name} is what generate-icons.ts draws`).toBe(true);
        const png = readPng(shipped);
        expect([png.width, png.height, png.colourType]).toEqual([size, size, 6]);
        // Transparent corners: an icon, not a square.
        expect(png.pixels[4]).toBe(0);
      }
    }
    const appIcons = readdirSync(join(ROOT, 'resources/icons')).sort();
    expect(appIcons).toEqual(['128x128.png', '256x256.png', '32x32.png', '512x512.png', '64x64.png']);
    for (const name of appIcons) expect(readFileSync(join(ROOT, 'resources/icons', name)).equals(readFileSync(join(fresh, 'icons', name)))).toBe(true);
  });

  it('draws the five states differently', () => {
    const pixels = TRAY_ICONS.map((state) => readPng(readFileSync(join(ROOT, 'resources/tray', `${state}.png`))).pixels.toString('hex'));
    expect(new Set(pixels).size).toBe(TRAY_ICONS.length);
  });
});

describe('bundles', () => {
  it('builds the main process and a preload that needs nothing but Electron', async () => {
    const out = join(work, 'out');
    await bundleElectron(out);
    const preload = readFileSync(join(out, 'preload/preload.cjs'), 'utf8');
    expect(preload.length).toBeLessThan(10_000);
    expect([...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron']);
    expect(preload).toContain('exposeInMainWorld("tsunagu"');
    const main = readFileSync(join(out, 'main/main.js'), 'utf8');
    expect(main).toMatch(/from "electron"/);
    // Syntax check of the ESM bundle with plain Node (running it needs Electron).
    execFileSync(process.execPath, ['--check', join(out, 'main/main.js')]);
  }, 60_000);
});

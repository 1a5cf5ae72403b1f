import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../../electron/cli/main.js';

const ROOT = join(import.meta.dirname, '../..');
const SEED = join(ROOT, 'test/fixtures/seed');
const work = mkdtempSync(join(tmpdir(), 'tsunagu-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, readStdin: async () => stdin };
  const code = await main(args, io);
  return { code, out, err };
}

describe('tsunagu inspect', () => {
  it('prints one JSON object for a file and exits 0 when importable', async () => {
    const r = await run(['inspect', join(SEED, 'client.ovpn'), '--json', '--lang', 'en']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json).toMatchObject({ ok: true, kind: 'openvpn', name: 'client', layer: 'L3', errors: [] });
    expect(json.advisories.map((a: { code: string }) => a.code)).toContain('OVPN_COMPRESSION');
    expect(Object.keys(json.advisories[0]).sort()).toEqual(['code', 'line', 'message']);
  });

  it('exits 1 for a refused profile and explains why', async () => {
    const r = await run(['inspect', join(SEED, 'server.conf'), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ ok: false, errors: [{ code: 'POLICY_SERVER_CONFIG', line: 8 }] });
    const human = await run(['inspect', join(SEED, 'server.conf'), '--lang', 'ja']);
    expect(human.out).toContain('サーバーの設定');
  });

  it('prints an array for a folder', async () => {
    const r = await run(['inspect', SEED, '--json']);
    const json = JSON.parse(r.out);
    expect(Array.isArray(json)).toBe(true);
    expect(json.map((j: { file: string; ok: boolean }) => [j.file, j.ok])).toEqual([
      ['client.ovpn', true], ['server.conf', false], ['wg-client.conf', true], ['wg-server.conf', false],
    ]);
    expect(r.code).toBe(1);
  });

  it('reads a .zip bundle with the referenced files inside', async () => {
    const file = (n: string) => new Uint8Array(readFileSync(join(SEED, n)));
    const zip = join(work, 'bundle.zip');
    writeFileSync(zip, zipSync({ 'office/client.ovpn': file('client.ovpn'), 'office/ca.crt': file('ca.crt'), 'office/client.crt': file('client.crt'), 'office/client.key': file('client.key'), 'home/wg.conf': file('wg-client.conf') }));
    const r = await run(['inspect', zip, '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.map((j: { file: string; kind: string; ok: boolean }) => [j.file, j.kind, j.ok])).toEqual([
      ['bundle.zip/home/wg.conf', 'wireguard', true],
      ['bundle.zip/office/client.ovpn', 'openvpn', true],
    ]);
  });

  it('refuses a broken zip, a missing path and a binary file clearly', async () => {
    writeFileSync(join(work, 'broken.zip'), 'PK\u0003\u0004garbage');
    const broken = await run(['inspect', join(work, 'broken.zip')]);
    expect(broken.code).toBe(1);
    expect(broken.err).toContain('not a readable .zip');
    const missing = await run(['inspect', join(work, 'nope.ovpn'), '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.out).errors[0].code).toBe('IMPORT_NOT_FOUND');
    writeFileSync(join(work, 'bin.ovpn'), new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]));
    const binary = await run(['inspect', join(work, 'bin.ovpn'), '--json']);
    expect(JSON.parse(binary.out).errors[0].code).toBe('PROFILE_BINARY');
  });

  it('copies of the seed folder: the client imports with its files beside it', async () => {
    const dir = join(work, 'seedcopy');
    cpSync(SEED, dir, { recursive: true });
    rmSync(join(dir, 'client.key'));
    const r = await run(['inspect', join(dir, 'client.ovpn'), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).errors).toEqual([{ code: 'IMPORT_FILE_MISSING', line: 7, message: expect.stringContaining("'client.key'") }]);
  });

  it('rejects bad usage with exit 2', async () => {
    expect((await run(['inspect'])).code).toBe(2);
    expect((await run(['inspect', 'a', '--frob'])).code).toBe(2);
    expect((await run(['nonsense'])).code).toBe(2);
    expect((await run(['--lang', 'fr', 'genkey'])).code).toBe(2);
  });

  it('--version prints the package version, and --help lists it', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await run(['--version'])).toEqual({ code: 0, out: `tsunagu ${version}\n`, err: '' });
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^\s+--version\s+Print the version of Tsunagu\.$/m);
  });
});

describe('WireGuard keys, like wg(8)', () => {
  it('tsunagu pubkey equals wg pubkey for 20 generated keys', async () => {
    for (let i = 0; i < 20; i++) {
      const gen = await run(['genkey']);
      expect(gen.out).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
      const ours = await run(['pubkey'], gen.out);
      const theirs = execFileSync('wg', ['pubkey'], { input: gen.out }).toString();
      expect(ours.out).toBe(theirs);
    }
  });
  it('genkey output is accepted by wg, and genpsk gives 32 random bytes', async () => {
    const key = (await run(['genkey'])).out;
    expect(spawnSync('wg', ['pubkey'], { input: key }).status).toBe(0);
    const psk = (await run(['genpsk'])).out.trim();
    expect(Buffer.from(psk, 'base64')).toHaveLength(32);
    expect((await run(['genpsk'])).out.trim()).not.toBe(psk);
  });
  it('pubkey rejects a bad key like wg does', async () => {
    const r = await run(['pubkey'], 'not-a-key\n');
    expect(r.code).toBe(1);
    expect(r.err).toBe('pubkey: Key is not the correct length or format\n');
    expect(spawnSync('wg', ['pubkey'], { input: 'not-a-key\n' }).status).not.toBe(0);
  });
  it('the installed bin runs: npx tsunagu inspect exits 0/1', () => {
    const okRun = spawnSync('npx', ['tsunagu', 'inspect', join(SEED, 'wg-client.conf'), '--json'], { cwd: ROOT, encoding: 'utf8' });
    expect(okRun.status).toBe(0);
    expect(JSON.parse(okRun.stdout).kind).toBe('wireguard');
    const bad = spawnSync('npx', ['tsunagu', 'inspect', join(SEED, 'wg-server.conf')], { cwd: ROOT, encoding: 'utf8' });
    expect(bad.status).toBe(1);
  }, 30_000);
});

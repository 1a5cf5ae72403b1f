/**
 * `tsunagu wg new` as a user runs it (electron/cli/bin.js, the package's bin): the profile lands in
 * the app's profile store, readable by the app's own ProfileStore, accepted by the inspector; the
 * [Peer] block is printed alone on stdout; errors name the options, in English and Japanese.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProfileStore } from '../../electron/main/services/profile-store.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { generatePrivateKey, publicKeyFromPrivate } from '../../shared/profiles/wireguard/keys.js';

const BIN = join(import.meta.dirname, '../../electron/cli/bin.js');

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LANG: 'C', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const serverKey = (() => {
  const k = publicKeyFromPrivate(generatePrivateKey());
  if (!k.ok) throw new Error('no key');
  return k.key;
})();

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-wgnew-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ARGS = ['--name', 'Branch office', '--address', '10.44.0.5/24', '--endpoint', 'vpn.branch.test:51820', '--server-key', serverKey, '--allowed-ips', '10.44.0.0/24, 192.168.44.0/24', '--dns', '10.44.0.1', '--keepalive', '25'];

describe('tsunagu wg new', () => {
  it('saves a profile the app store reads and the inspector accepts, and prints the [Peer] block', async () => {
    const dir = dataDir();
    const r = await cli(['wg', 'new', ...ARGS, '--data-dir', dir]);
    expect(r.stderr).toContain('Saved the WireGuard profile "Branch office"');
    expect(r.code).toBe(0);
    const block = /^\[Peer\]\n# Branch office\nPublicKey = ([A-Za-z0-9+/]{43}=)\nAllowedIPs = 10\.44\.0\.5\/32\n$/.exec(r.stdout);
    expect(block, r.stdout).not.toBeNull();
    const publicKey = block?.[1] ?? '';
    expect(r.stderr).toContain(`Your public key: ${publicKey}`);

    // The app's own store reads it: one record, private to the user.
    const folder = join(dir, 'profiles');
    const files = readdirSync(folder);
    expect(files).toHaveLength(1);
    expect(statSync(join(folder, files[0] ?? '')).mode & 0o777).toBe(0o600);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    const store = new ProfileStore(folder);
    await store.open();
    const [record] = await store.list();
    expect(record).toMatchObject({ name: 'Branch office', kind: 'wireguard', layer: 'L3', publicKey, server: 'vpn.branch.test:51820', needsCredentials: false });

    // What the helper will be given is accepted by the inspector, and its key pair is the printed one.
    const inspected = inspectProfile(record?.canonical ?? '', { kind: 'wireguard' });
    expect(inspected.errors).toEqual([]);
    if (!inspected.ok || inspected.kind !== 'wireguard') throw new Error('refused');
    expect(inspected.profile.interface.publicKey).toBe(publicKey);
    expect(inspected.profile.peers[0]).toMatchObject({ publicKey: serverKey, allowedIPs: ['10.44.0.0/24', '192.168.44.0/24'], persistentKeepalive: 25 });
    expect(inspected.profile.interface.dns.servers).toEqual(['10.44.0.1']);
    const privateKey = inspected.profile.interface.privateKey;
    expect(execFileSync('wg', ['pubkey'], { input: `${privateKey}\n`, encoding: 'utf8' }).trim()).toBe(publicKey);
    // The private key is in the profile only, never printed.
    expect(r.stdout + r.stderr).not.toContain(privateKey);
  });

  it('--json gives the id, public key and block; a taken name gets " (2)"', async () => {
    const dir = dataDir();
    expect((await cli(['wg', 'new', ...ARGS, '--data-dir', dir])).code).toBe(0);
    const r = await cli(['wg', 'new', ...ARGS, '--data-dir', dir, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; id: string; name: string; publicKey: string; peerBlock: string; store: string };
    expect(out).toMatchObject({ ok: true, name: 'Branch office (2)', store: join(dir, 'profiles') });
    expect(out.peerBlock).toBe(`[Peer]\n# Branch office (2)\nPublicKey = ${out.publicKey}\nAllowedIPs = 10.44.0.5/32\n`);
    const store = new ProfileStore(join(dir, 'profiles'));
    await store.open();
    const saved = await store.get(out.id);
    expect(saved.ok && saved.value.publicKey).toBe(out.publicKey);
    expect((await store.list()).map((p) => p.name)).toEqual(['Branch office', 'Branch office (2)']);
  });

  it('uses $TSUNAGU_DATA_DIR, else the app folder under $XDG_CONFIG_HOME', async () => {
    const dir = dataDir();
    expect((await cli(['wg', 'new', ...ARGS], { TSUNAGU_DATA_DIR: join(dir, 'a') })).code).toBe(0);
    expect(readdirSync(join(dir, 'a', 'profiles'))).toHaveLength(1);
    expect((await cli(['wg', 'new', ...ARGS], { TSUNAGU_DATA_DIR: '', XDG_CONFIG_HOME: join(dir, 'config') })).code).toBe(0);
    expect(readdirSync(join(dir, 'config', 'Tsunagu', 'profiles'))).toHaveLength(1);
  });

  it('refuses bad fields by option name, saves nothing, exit 1 (English, Japanese, JSON)', async () => {
    const dir = dataDir();
    const bad = ['--name', 'X', '--address', '10.44.0.5/24', '--endpoint', 'vpn.branch.test', '--server-key', 'abc', '--allowed-ips', '10.44.0.0/24', '--data-dir', dir];
    const en = await cli(['wg', 'new', ...bad]);
    expect(en.code).toBe(1);
    expect(en.stdout).toBe('');
    expect(en.stderr).toMatch(/--server-key: Invalid key: "abc" is not a base64 key.*\[WG_KEY_INVALID\]/);
    expect(en.stderr).toMatch(/--endpoint: Missing port from endpoint.*\[WG_ENDPOINT_MISSING_PORT\]/);
    const ja = await cli(['--lang', 'ja', 'wg', 'new', ...bad]);
    expect(ja.code).toBe(1);
    expect(ja.stderr).toContain('トンネルを作成できませんでした');
    expect(ja.stderr).toMatch(/--server-key: 鍵が無効です/);
    const json = await cli(['wg', 'new', ...bad, '--json']);
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { errors: Array<{ option: string; code: string }> }).errors.map((e) => [e.option, e.code])).toEqual([
      ['--server-key', 'WG_KEY_INVALID'],
      ['--endpoint', 'WG_ENDPOINT_MISSING_PORT'],
    ]);
    expect(readdirSync(join(dir, 'profiles'))).toEqual([]);
    const missing = await cli(['wg', 'new', '--name', 'X', '--data-dir', dir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--address: .*--endpoint: .*--server-key: .*--allowed-ips: /s);
  });

  it('usage errors exit 2', async () => {
    expect((await cli(['wg', 'new', '--bogus', 'x'])).code).toBe(2);
    expect((await cli(['wg', 'new', '--name'])).code).toBe(2);
    expect((await cli(['wg', 'delete'])).code).toBe(2);
  });
});

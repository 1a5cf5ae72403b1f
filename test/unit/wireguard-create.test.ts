/** "New WireGuard tunnel" builder: keys, field errors in both languages, and a profile import accepts as is. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { newWireGuardTunnel, type NewWireGuardInput } from '../../shared/profiles/wireguard/create.js';
import { generatePrivateKey, publicKeyFromPrivate } from '../../shared/profiles/wireguard/keys.js';

const WG = ['/usr/bin/wg', '/usr/local/bin/wg'].find((p) => existsSync(p));
const SERVER_KEY = publicKeyFromPrivate(generatePrivateKey());
if (!SERVER_KEY.ok) throw new Error('no server key');

const GOOD: NewWireGuardInput = {
  name: 'Office',
  address: '10.8.0.7/24, fd00:8::7/64',
  dns: '10.8.0.1, corp.example',
  endpoint: '203.0.113.9:51820',
  serverPublicKey: SERVER_KEY.key,
  allowedIPs: '10.8.0.0/24, fd00:8::/64',
  persistentKeepalive: '25',
};

function created(input: NewWireGuardInput, keys?: { privateKey: string }) {
  const result = newWireGuardTunnel(input, keys);
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.fieldErrors)}`);
  return result;
}

function errorsOf(input: NewWireGuardInput) {
  const result = newWireGuardTunnel(input);
  if (result.ok) throw new Error('accepted');
  return result.fieldErrors;
}

describe('newWireGuardTunnel: keys', () => {
  it('generates a fresh key pair each time, whose public key is what `wg pubkey` prints', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const t = created(GOOD);
      expect(keys.has(t.privateKey)).toBe(false);
      keys.add(t.privateKey);
      expect(t.publicKey).toHaveLength(44);
      expect(t.publicKey).not.toBe(t.privateKey);
      if (WG) expect(execFileSync(WG, ['pubkey'], { input: `${t.privateKey}\n`, encoding: 'utf8' }).trim()).toBe(t.publicKey);
      else expect(publicKeyFromPrivate(t.privateKey)).toEqual({ ok: true, key: t.publicKey });
    }
  });

  it('generates keys that `wg` accepts as private keys (clamped, 32 bytes)', () => {
    const t = created(GOOD);
    const bytes = Uint8Array.from(atob(t.privateKey), (c) => c.charCodeAt(0));
    expect(bytes).toHaveLength(32);
    expect((bytes[0] ?? 0) & 7).toBe(0);
    expect((bytes[31] ?? 0) & 0xc0).toBe(0x40);
  });

  it('uses a given private key (and derives its public key)', () => {
    const privateKey = generatePrivateKey();
    const t = created(GOOD, { privateKey });
    expect(t.privateKey).toBe(privateKey);
    expect(publicKeyFromPrivate(privateKey)).toEqual({ ok: true, key: t.publicKey });
    expect(t.text).toContain(`PrivateKey = ${privateKey}\n`);
  });
});

describe('newWireGuardTunnel: the profile', () => {
  it('is wg-quick text that import accepts unchanged, re-inspecting to the same model', () => {
    const t = created(GOOD);
    const again = inspectProfile(t.text, { fileName: 'Office.conf' });
    expect(again.ok).toBe(true);
    if (!again.ok || again.kind !== 'wireguard') throw new Error('not accepted as WireGuard');
    expect(again.profile).toEqual(t.inspection.profile);
    expect(again.canonical).toBe(t.text);
    expect(again.errors).toEqual([]);
    const p = again.profile;
    expect(p.interface.addresses).toEqual(['10.8.0.7/24', 'fd00:8::7/64']);
    expect(p.interface.dns).toEqual({ servers: ['10.8.0.1'], searchDomains: ['corp.example'] });
    expect(p.interface.publicKey).toBe(t.publicKey);
    expect(p.peers).toHaveLength(1);
    expect(p.peers[0]).toMatchObject({ publicKey: SERVER_KEY.key, allowedIPs: ['10.8.0.0/24', 'fd00:8::/64'], endpoint: { host: '203.0.113.9', port: 51820 }, persistentKeepalive: 25 });
    expect(t.name).toBe('Office');
  });

  it('leaves out optional fields left empty, and trims what was typed', () => {
    const t = created({ name: '  Home ', address: ' 10.9.0.2/32 ', endpoint: ' [2001:db8::1]:51820 ', serverPublicKey: ` ${SERVER_KEY.key} `, allowedIPs: '0.0.0.0/0, ::/0', dns: '', persistentKeepalive: '' });
    expect(t.name).toBe('Home');
    expect(t.text).not.toMatch(/DNS|PersistentKeepalive/);
    expect(t.inspection.profile.peers[0]?.endpoint).toEqual({ host: '2001:db8::1', port: 51820 });
    expect(t.peerBlock).toContain('AllowedIPs = 10.9.0.2/32\n');
  });

  it('gives the [Peer] block for the server: the client public key and its addresses as single hosts', () => {
    const t = created(GOOD);
    expect(t.peerBlock).toBe(`[Peer]\n# Office\nPublicKey = ${t.publicKey}\nAllowedIPs = 10.8.0.7/32, fd00:8::7/128\n`);
    expect(t.peerBlock).not.toContain(t.privateKey);
    // The block is itself a valid peer section: a server config with it parses.
    const server = inspectProfile(`[Interface]\nPrivateKey = ${generatePrivateKey()}\nAddress = 10.8.0.1/24\n\n${t.peerBlock}`, { kind: 'wireguard' });
    expect(server.errors).toEqual([]);
  });
});

describe('newWireGuardTunnel: errors per field, in English and Japanese', () => {
  const cases: Array<{ field: keyof NewWireGuardInput; value: string; code: string; en: RegExp; ja: RegExp }> = [
    { field: 'serverPublicKey', value: 'not-a-key', code: 'WG_KEY_INVALID', en: /not a base64 key/, ja: /鍵が無効です/ },
    { field: 'serverPublicKey', value: 'AAAA', code: 'WG_KEY_LENGTH', en: /32 bytes/, ja: /32 バイト|32/ },
    { field: 'address', value: '10.8.0.300/24', code: 'WG_INVALID_IP', en: /Invalid IP address/, ja: /IP アドレスが無効/ },
    { field: 'endpoint', value: '203.0.113.9', code: 'WG_ENDPOINT_MISSING_PORT', en: /Missing port/, ja: /ポート番号がありません/ },
    { field: 'endpoint', value: '203.0.113.9:99999', code: 'WG_INVALID_PORT', en: /port/i, ja: /ポート/ },
    { field: 'allowedIPs', value: '10.8.0.0/33', code: 'WG_INVALID_PREFIX', en: /prefix length/, ja: /プレフィックス長/ },
    { field: 'dns', value: 'not a server', code: 'WG_INVALID_DNS', en: /Invalid DNS/, ja: /DNS の指定が無効/ },
    { field: 'persistentKeepalive', value: 'often', code: 'WG_INVALID_KEEPALIVE', en: /keepalive/i, ja: /PersistentKeepalive/ },
  ];
  for (const c of cases) {
    it(`${c.field} = ${JSON.stringify(c.value)} → ${c.code} on that field only`, () => {
      const errors = errorsOf({ ...GOOD, [c.field]: c.value });
      expect(errors.map((e) => [e.field, e.code])).toEqual([[c.field, c.code]]);
      const [error] = errors;
      expect(error?.message.en).toMatch(c.en);
      expect(error?.message.ja).toMatch(c.ja);
      // A form field has no line: the file's "Line N:" prefix is gone.
      expect(error?.message.en).not.toMatch(/^Line \d+/);
      expect(error?.message.ja).not.toMatch(/^\d+ 行目/);
    });
  }

  it('says which required fields are empty, without the file-level errors they would cause', () => {
    const errors = errorsOf({ name: '', address: '', endpoint: '', serverPublicKey: '', allowedIPs: '' });
    expect(errors.map((e) => [e.field, e.code])).toEqual([
      ['name', 'WG_NEW_REQUIRED'],
      ['address', 'WG_NEW_REQUIRED'],
      ['endpoint', 'WG_NEW_REQUIRED'],
      ['serverPublicKey', 'WG_NEW_REQUIRED'],
      ['allowedIPs', 'WG_NEW_REQUIRED'],
    ]);
    for (const e of errors) {
      expect(e.message.en.length).toBeGreaterThan(10);
      expect(e.message.ja).toMatch(/ください/);
    }
  });

  it('reports several wrong fields at once, each on its own field', () => {
    const errors = errorsOf({ ...GOOD, serverPublicKey: 'x', endpoint: 'host', allowedIPs: '1.2.3.4/40' });
    expect(errors.map((e) => e.field).sort()).toEqual(['allowedIPs', 'endpoint', 'serverPublicKey']);
  });

  it('refuses a line break in a field, so no value can add keys or sections to the profile', () => {
    const errors = errorsOf({ ...GOOD, allowedIPs: '10.8.0.0/24\nPostUp = touch /tmp/pwned' });
    expect(errors).toEqual([expect.objectContaining({ field: 'allowedIPs', code: 'WG_NEW_MULTILINE' })]);
    const tricky = errorsOf({ ...GOOD, dns: '10.8.0.1\r\n[Peer]' });
    expect(tricky.map((e) => e.field)).toEqual(['dns']);
  });

  it('refuses a name with nothing usable in it', () => {
    expect(errorsOf({ ...GOOD, name: '...' }).map((e) => [e.field, e.code])).toEqual([['name', 'WG_NEW_NAME_INVALID']]);
  });

  it('refuses the server key when it is this client’s own key (the import check, on the form)', () => {
    const privateKey = generatePrivateKey();
    const own = publicKeyFromPrivate(privateKey);
    if (!own.ok) throw new Error('no key');
    const result = newWireGuardTunnel({ ...GOOD, serverPublicKey: own.key }, { privateKey });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.fieldErrors.map((e) => e.code)).toContain('WG_PEER_IS_SELF');
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ikev2Format } from '../../shared/profiles/ikev2/format.js';
import { looksLikeIpsecConf, readIpsecConf } from '../../shared/profiles/ikev2/ipsec-conf.js';
import type { Ikev2ReadResult } from '../../shared/profiles/ikev2/result.js';
import { readSwanctl } from '../../shared/profiles/ikev2/swanctl.js';
import { writeIkev2 } from '../../shared/profiles/ikev2/writer.js';
import type { ProfileFileSource } from '../../shared/profiles/openvpn/inliner.js';

const DIR = join(import.meta.dirname, '../fixtures/ikev2/ipsec-conf');
function folder(dir: string, extra: Record<string, string> = {}): ProfileFileSource {
  return {
    description: { en: `the folder ${dir}`, ja: `フォルダー ${dir}` },
    read: (name) => (name in extra ? new TextEncoder().encode(extra[name]) : existsSync(join(DIR, dir, name)) ? readFileSync(join(DIR, dir, name)) : null),
  };
}
const conf = (dir: string) => readFileSync(join(DIR, dir, 'ipsec.conf'), 'utf8');
const pem = (dir: string, name: string) => readFileSync(join(DIR, dir, name), 'utf8');

function ok(r: Ikev2ReadResult): Extract<Ikev2ReadResult, { ok: true }> {
  if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.errors)}`);
  return r;
}
function refused(r: Ikev2ReadResult): Extract<Ikev2ReadResult, { ok: false }> {
  if (r.ok) throw new Error('not refused');
  return r;
}
function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

describe('legacy ipsec.conf + ipsec.secrets road-warrior connections', () => {
  it('imports an EAP-MSCHAPv2 connection with %default, a ca section and its EAP secret', () => {
    const r = ok(readIpsecConf(conf('eap'), { files: folder('eap') }));
    const p = r.profile;
    expect(p.connection).toBe('corp-eap');
    expect(p.version).toBe(2);
    expect(p.remoteAddrs).toEqual(['vpn.example.test']);
    expect(p.local).toEqual([{ auth: 'eap-mschapv2', id: null, eapId: 'alice', xauthId: null, usesClientCert: false }]);
    expect(p.remote).toEqual({ auth: 'pubkey', id: '@vpn.example.test', revocation: null });
    expect(p.vips).toEqual(['0.0.0.0']);
    expect(p.children[0]?.remoteTs).toEqual(['0.0.0.0/0']);
    // 'ike=…!' is exactly that list; dpdaction=restart in %default turns on dpddelay.
    expect(p.proposals).toEqual(['aes256-sha256-modp2048']);
    expect(p.children[0]?.espProposals).toEqual(['aes256-sha256']);
    expect(p.dpdDelay).toBe(30);
    expect(p.secrets.eapPassword).toBe('s3cret#pass');
    expect(p.files.caCerts).toEqual([pem('eap', 'ca.pem')]);
    expect(r.inlinedFiles?.sort()).toEqual(['ca.pem', 'ipsec.secrets']);
    const auto = r.advisories.find((a) => a.code === 'IPSEC_CONF_AUTO_IGNORED');
    expect(auto?.line).toBe(conf('eap').split('\n').lastIndexOf('\tauto=add') + 1);
    expect(r.advisories.map((a) => a.code)).toContain('IPSEC_CONF_IGNORED_SETTINGS');
    const back = readSwanctl(writeIkev2(p));
    expect(back.ok && back.profile).toEqual(p);
  });

  it('imports IKEv1 aggressive mode with PSK + XAuth, with the advisories saying why it is weaker', () => {
    const r = ok(readIpsecConf(conf('xauth'), { files: folder('xauth') }));
    const p = r.profile;
    expect(p.version).toBe(1);
    expect(p.aggressive).toBe(true);
    expect(p.local).toEqual([
      { auth: 'psk', id: '@office-group', eapId: null, xauthId: null, usesClientCert: false },
      { auth: 'xauth', id: null, eapId: null, xauthId: 'suzuki', usesClientCert: false },
    ]);
    expect(p.remote.auth).toBe('psk');
    expect(p.secrets).toEqual({ psk: 'yamaha-rtx-shared-secret', eapPassword: null, xauthPassword: 'hunter2' });
    // Without '!' charon adds its defaults after the listed proposal.
    expect(p.proposals).toEqual(['aes128-sha1-modp2048', 'default']);
    expect(p.children[0]?.remoteTs).toEqual(['192.168.10.0/24']);
    expect(p.mobike).toBe(false);
    const codes = r.advisories.map((a) => a.code);
    expect(codes).toEqual(expect.arrayContaining(['IKEV2_IKEV1', 'IKEV2_AGGRESSIVE_MODE']));
    expect(r.advisories.find((a) => a.code === 'IKEV2_IKEV1')?.line).toBe(lineOf(conf('xauth'), 'keyexchange=ikev1'));
  });

  it('imports a certificate connection: leftcert, the ECDSA key from ipsec.secrets, an IPv6 server, both virtual IPs', () => {
    const p = ok(readIpsecConf(conf('cert'), { files: folder('cert') })).profile;
    expect(p.remoteAddrs).toEqual(['2001:db8::10']);
    expect(p.local).toEqual([{ auth: 'pubkey', id: 'CN=alice@example.test', eapId: null, xauthId: null, usesClientCert: true }]);
    expect(p.remote.id).toBe('CN=vpn.example.test');
    expect(p.vips).toEqual(['0.0.0.0', '::']);
    expect(p.children[0]?.remoteTs).toEqual(['0.0.0.0/0', '::/0']);
    expect(p.encap).toBe(true);
    expect(p.mobike).toBe(false);
    expect(p.files.clientCert).toBe(pem('cert', 'client.crt'));
    expect(p.files.privateKey).toBe(pem('cert', 'client.key'));
    expect(p.files.caCerts).toEqual([pem('cert', 'ca.pem')]);
  });

  it('refuses a gateway configuration (address pool for clients) as a server configuration', () => {
    const r = refused(readIpsecConf(conf('server'), { files: folder('server') }));
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['POLICY_SERVER_CONFIG', lineOf(conf('server'), 'rightsourceip=')]]);
  });

  it('refuses L2TP/IPsec (transport mode, UDP 1701) with the L2TP message', () => {
    const r = refused(readIpsecConf(conf('l2tp')));
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['IKEV2_L2TP_UNSUPPORTED', lineOf(conf('l2tp'), 'leftprotoport=17/1701')]]);
    expect(r.errors[0]?.message.en).toContain('L2TP/IPsec is not supported');
  });

  it('refuses a racoon (ipsec-tools) configuration, as the seed notes describe it, saying what it is', () => {
    const text = readFileSync(join(DIR, 'racoon/racoon.conf'), 'utf8');
    expect(looksLikeIpsecConf(text)).toBe(true);
    const r = refused(readIpsecConf(text));
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['IPSEC_CONF_IPSEC_TOOLS', 3]]);
    expect(r.errors[0]?.message.en).toContain('racoon');
    const setkey = refused(readIpsecConf('flush;\nspdflush;\nspdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/transport//require;\n'));
    expect(setkey.errors[0]?.message.en).toContain('setkey');
  });

  it('refuses leftupdown unless the policy allows scripts', () => {
    const text = `${conf('eap')}\tleftupdown=/usr/local/bin/vpn-hook.sh\n`;
    const r = refused(readIpsecConf(text, { files: folder('eap') }));
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['POLICY_IKEV2_SCRIPT', text.split('\n').length - 1]]);
    const allowed = ok(readIpsecConf(text, { files: folder('eap'), policy: { allowScripts: true } }));
    expect(allowed.profile.children[0]?.updown).toBe('/usr/local/bin/vpn-hook.sh');
  });

  it('asks for ipsec.secrets when a PSK is needed, and for the CA when the server uses a certificate', () => {
    const psk = refused(readIpsecConf(conf('xauth')));
    expect(psk.errors.map((e) => e.code)).toEqual(['IPSEC_FILE_MISSING']);
    expect(psk.errors[0]?.message.en).toContain('ipsec.secrets');
    const noCa = refused(readIpsecConf(conf('eap').replace(/ca example-corp\n\tcacert=ca.pem\n\tauto=add\n/, ''), { files: folder('eap') }));
    expect(noCa.errors.map((e) => e.code)).toEqual(['IPSEC_CONF_CA_MISSING']);
    const missingFile = refused(readIpsecConf(conf('cert'), { files: folder('eap') }));
    expect(missingFile.errors.map((e) => e.code)).toContain('IPSEC_FILE_MISSING');
  });

  it('reports syntax errors, also= loops and encrypted keys with their lines', () => {
    const syntax = refused(readIpsecConf('conn a\n\tright=vpn.example.test\nright=oops\n'));
    expect(syntax.errors.map((e) => [e.code, e.line])).toEqual([['IPSEC_CONF_SYNTAX', 3]]);
    const loop = refused(readIpsecConf('conn a\n\talso=b\n\tright=x.example.test\nconn b\n\talso=a\n'));
    expect(loop.errors.map((e) => e.code)).toContain('IPSEC_CONF_ALSO');
    const enc = refused(readIpsecConf(conf('cert'), { files: folder('cert', { 'ipsec.secrets': ': ECDSA client.key "passphrase"\n' }) }));
    expect(enc.errors[0]?.message.en).toMatch(/^ipsec\.secrets, line 1: .*passphrase/);
    expect(enc.errors[0]?.code).toBe('IPSEC_FILE_UNUSABLE');
  });

  it('resolves also= and lets a section’s own values win', () => {
    const text = 'conn base\n\tright=base.example.test\n\tleftauth=eap-mschapv2\n\trightauth=psk\n\tauto=ignore\nconn real\n\talso=base\n\tright=real.example.test\n';
    const r = ok(readIpsecConf(text, { files: folder('eap', { 'ipsec.secrets': 'real.example.test : PSK "a-long-enough-pre-shared-key"\n' }) }));
    expect(r.profile.connection).toBe('real');
    expect(r.profile.remoteAddrs).toEqual(['real.example.test']);
    expect(r.profile.secrets.psk).toBe('a-long-enough-pre-shared-key');
  });

  it('is told apart from other formats by content', () => {
    expect(looksLikeIpsecConf(conf('eap'))).toBe(true);
    expect(looksLikeIpsecConf('connections {\n  home {\n  }\n}\n')).toBe(false);
    expect(looksLikeIpsecConf('client\nremote vpn.example.test\n')).toBe(false);
  });
});

describe('robustness', () => {
  it('never throws on mangled ipsec.conf files, and every error names a line of the file (or 0)', async () => {
    const fc = (await import('fast-check')).default;
    const sources = ['eap', 'xauth', 'cert', 'server', 'l2tp'].map(conf);
    fc.assert(
      fc.property(fc.constantFrom(...sources), fc.array(fc.tuple(fc.nat(40), fc.string({ maxLength: 30 }))), (source, edits) => {
        const lines = source.split('\n');
        for (const [at, text] of edits) lines.splice(at % (lines.length + 1), at % 3 === 0 ? 1 : 0, text);
        const r = readIpsecConf(lines.join('\n'), { files: folder('cert') });
        if (!r.ok) for (const e of r.errors) expect(e.line).toBeLessThanOrEqual(lines.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('through the IKEv2 format', () => {
  it('the canonical text of each imported fixture passes the IKEv2 format (policy and both re-reads) unchanged', () => {
    for (const dir of ['eap', 'xauth', 'cert']) {
      const p = ok(readIpsecConf(conf(dir), { files: folder(dir) })).profile;
      const canonical = writeIkev2(p);
      const r = ikev2Format.inspect({ input: canonical, text: canonical, options: {}, fallbackName: 'VPN' });
      expect(r.errors, dir).toEqual([]);
      expect(r.canonical, dir).toBe(canonical);
      expect(r.profile, dir).toEqual(p);
    }
  });
});

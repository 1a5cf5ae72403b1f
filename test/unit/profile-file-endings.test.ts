/**
 * The kind registry's file endings (shared/profiles/kinds.ts PROFILE_FILE_ENDINGS) and everything
 * derived from them: the longest ending wins, launch requests and the open dialog take every
 * ending, provisioned profiles get their kind from it (a `.conf` by detection), and a .zip or a
 * folder holding a .sswan, a .mobileconfig, an .ovpn and an ipsec.conf (+ ipsec.secrets) imports
 * all of them with their companions (a signed .mobileconfig too, though binary); any other binary
 * is still refused as one. Provisioned files are checked for root ownership: run as root.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProvisioned } from '../../electron/helper/policy/provisioned.js';
import { chosenZip, profileCandidates, type ProfileCandidate } from '../../electron/main/profile-sources.js';
import { launchRequests } from '../../electron/main/services/launch-requests.js';
import { contentTypeProblem } from '../../electron/main/services/url-import.js';
import { catalog } from '../../shared/i18n/catalog.js';
import { DETECTION_ORDER, inspectProfile } from '../../shared/profiles/inspect.js';
import { fileStem } from '../../shared/profiles/name.js';
import {
  PROFILE_DIALOG_EXTENSIONS,
  PROFILE_FILE_ENDINGS,
  PROFILE_FILE_EXTENSIONS,
  PROFILE_IMPORT_ENDINGS,
  PROFILE_KINDS,
  profileEndingsText,
  profileFileEnding,
  profileFileName,
} from '../../shared/profiles/kinds.js';

const FIXTURES = join(import.meta.dirname, '../fixtures');
const fixture = (path: string) => new Uint8Array(readFileSync(join(FIXTURES, path)));

/** What a bundle holds: three IKEv2 files of different formats, an OpenVPN profile, their companions. */
const BUNDLE: Record<string, Uint8Array> = {
  'split.sswan': fixture('ikev2/sswan/split.sswan'),
  'corp.mobileconfig': fixture('ikev2/mobileconfig/eap-mschapv2.mobileconfig'),
  // Signed: DER (NUL bytes) around the XML, still read.
  'signed.mobileconfig': fixture('ikev2/mobileconfig/psk-signed.mobileconfig'),
  'office/client.ovpn': fixture('seed/client.ovpn'),
  'office/ca.crt': fixture('seed/ca.crt'),
  'office/client.crt': fixture('seed/client.crt'),
  'office/client.key': fixture('seed/client.key'),
  'legacy/ipsec.conf': fixture('ikev2/ipsec-conf/eap/ipsec.conf'),
  'legacy/ipsec.secrets': fixture('ikev2/ipsec-conf/eap/ipsec.secrets'),
  'legacy/ca.pem': fixture('ikev2/ipsec-conf/eap/ca.pem'),
  'README.txt': new TextEncoder().encode('not a profile'),
};

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tsunagu-endings-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function verdicts(candidates: readonly ProfileCandidate[]): Array<[string, boolean, string, string[]]> {
  return candidates.map((c) => {
    const r = inspectProfile(c.bytes, { fileName: c.fileName, files: c.files });
    return [c.displayName, r.ok, r.kind, r.errors.map((e) => e.code)];
  });
}

describe('the registry of profile file endings', () => {
  it('finds the longest ending, in any case, and never a bare ending', () => {
    expect(profileFileEnding('Office.swanctl.conf')?.ending).toBe('.swanctl.conf');
    expect(profileFileEnding('OFFICE.SWANCTL.CONF')?.ending).toBe('.swanctl.conf');
    expect(profileFileEnding('wg0.conf')?.ending).toBe('.conf');
    expect(profileFileEnding('ipsec.conf')?.kinds).toContain('ikev2');
    expect(profileFileEnding('phone.sswan')?.kinds).toEqual(['ikev2']);
    expect(profileFileEnding('mac.mobileconfig')?.kinds).toEqual(['ikev2']);
    expect(profileFileEnding('home.nmconnection')?.translated).toBe(true);
    expect(profileFileEnding('ca.crt')).toBeNull();
    expect(profileFileEnding('ipsec.secrets')).toBeNull();
    expect(profileFileEnding('.conf')).toBeNull();
    expect(profileFileEnding('bundle.zip')).toBeNull();
    // A profile's name drops the whole ending.
    expect(['Office.swanctl.conf', 'Office.sswan', 'Office.mobileconfig', 'Office.nmconnection', 'Office.ovpn', 'Office.conf'].map(fileStem)).toEqual(Array(6).fill('Office'));
  });

  it('lists every ending once, longest first; every kind has its own format and its export name reads back as it', () => {
    expect([...PROFILE_IMPORT_ENDINGS].sort()).toEqual(PROFILE_FILE_ENDINGS.map((e) => e.ending).sort());
    expect(new Set(PROFILE_IMPORT_ENDINGS).size).toBe(PROFILE_IMPORT_ENDINGS.length);
    for (let i = 1; i < PROFILE_IMPORT_ENDINGS.length; i++) {
      expect((PROFILE_IMPORT_ENDINGS[i - 1] ?? '').length).toBeGreaterThanOrEqual((PROFILE_IMPORT_ENDINGS[i] ?? '').length);
    }
    for (const e of PROFILE_FILE_ENDINGS) {
      expect(e.kinds.length).toBeGreaterThan(0);
      for (const k of e.kinds) expect(DETECTION_ORDER).toContain(k);
    }
    for (const kind of PROFILE_KINDS) {
      expect(PROFILE_FILE_ENDINGS.some((e) => !e.translated && (e.kinds as readonly string[]).includes(kind))).toBe(true);
      // The exported file is found under its own ending, which can hold its kind.
      const ending = profileFileEnding(profileFileName('Office', kind));
      expect(ending?.ending).toBe(PROFILE_FILE_EXTENSIONS[kind]);
      expect(ending?.kinds).toContain(kind);
    }
    expect(PROFILE_DIALOG_EXTENSIONS).toEqual(['ovpn', 'conf', 'sswan', 'mobileconfig', 'nmconnection', 'zip']);
    expect(profileEndingsText()).toEqual({
      en: '.ovpn, .conf, .swanctl.conf, .sswan, .mobileconfig or .nmconnection',
      ja: '.ovpn、.conf、.swanctl.conf、.sswan、.mobileconfig、.nmconnection',
    });
  });

  it('the import help and the empty list name every ending, in both languages', () => {
    for (const lang of ['en', 'ja'] as const) {
      for (const text of [catalog[lang].import.fromFileHelp, catalog[lang].profiles.emptyBody]) {
        for (const e of PROFILE_FILE_ENDINGS) expect(text).toContain(e.ending);
        expect(text).toContain('.zip');
      }
    }
  });

  it('launch requests take a file with any ending and a .zip, nothing else', () => {
    const files = ['a.ovpn', 'b.conf', 'c.swanctl.conf', 'd.sswan', 'e.MOBILECONFIG', 'f.nmconnection', 'g.zip'];
    const argv = ['/opt/Tsunagu/tsunagu', ...files, 'ca.crt', 'ipsec.secrets', 'notes.txt'];
    expect(launchRequests(argv, { cwd: '/d', skip: 1 })).toEqual(files.map((f) => ({ kind: 'file', path: `/d/${f}` })));
  });

  it('a download may be a .mobileconfig as servers send one (application/x-apple-aspen-config)', () => {
    expect(contentTypeProblem('application/x-apple-aspen-config')).toBeNull();
    expect(contentTypeProblem('application/x-apple-aspen-configuration')).toMatchObject({ code: 'url-content-type' });
  });
});

describe('provisioned profiles by ending', () => {
  it('takes .swanctl.conf, .sswan and .mobileconfig as IKEv2, a .conf by its content, and reports a .nmconnection', () => {
    const policyDir = join(work, 'policy');
    const dir = join(policyDir, 'profiles');
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(policyDir, 0o755);
    chmodSync(dir, 0o755);
    const swanctl = readFileSync(join(FIXTURES, 'ikev2/swanctl', 'psk.swanctl.conf'), 'utf8');
    const files: Record<string, string | Uint8Array> = {
      'branch.swanctl.conf': swanctl,
      'hq.conf': swanctl,
      'wg.conf': '[Interface]\nPrivateKey = x\n',
      'office.ovpn': 'client\nremote 192.0.2.1\n',
      'ovpn-as-conf.conf': 'client\nremote 192.0.2.1\n',
      'phone.sswan': BUNDLE['split.sswan'] ?? new Uint8Array(),
      'mac.mobileconfig': BUNDLE['corp.mobileconfig'] ?? new Uint8Array(),
      'home.nmconnection': fixture('networkmanager/wireguard/home-office.nmconnection'),
      'dup.conf': '[Interface]\n',
      'dup.swanctl.conf': swanctl,
    };
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o600 });
    const { profiles, problems } = readProvisioned(policyDir);
    expect(profiles.map((p) => [p.id, p.kind, p.name])).toEqual([
      ['branch', 'ikev2', 'branch.swanctl.conf'],
      ['dup', 'wireguard', 'dup.conf'],
      ['hq', 'ikev2', 'hq.conf'],
      ['mac', 'ikev2', 'mac.mobileconfig'],
      ['office', 'openvpn', 'office.ovpn'],
      ['ovpn-as-conf', 'openvpn', 'ovpn-as-conf.conf'],
      ['phone', 'ikev2', 'phone.sswan'],
      ['wg', 'wireguard', 'wg.conf'],
    ]);
    expect(problems).toHaveLength(2);
    expect(problems).toContain(`${join(dir, 'dup.swanctl.conf')}: another file already provides the id 'dup'; ignored`);
    expect(problems.find((p) => p.startsWith(join(dir, 'home.nmconnection')))).toMatch(/translated at import only; provision the VPN's own format \(\.ovpn, \.conf, \.swanctl\.conf, \.sswan, \.mobileconfig\); ignored$/);
  });
});

describe('a .zip or a folder of profiles of every format', () => {
  const expected: Array<[string, boolean, string, string[]]> = [
    ['corp.mobileconfig', true, 'ikev2', []],
    ['legacy/ipsec.conf', true, 'ikev2', []],
    ['office/client.ovpn', true, 'openvpn', []],
    ['signed.mobileconfig', true, 'ikev2', []],
    ['split.sswan', true, 'ikev2', []],
  ];

  it('a .zip holding a .sswan, a .mobileconfig, an .ovpn and an ipsec.conf imports all of them, companions read beside each', () => {
    const zipPath = join(work, 'bundle.zip');
    const zip = zipSync(BUNDLE);
    writeFileSync(zipPath, zip);
    const found = profileCandidates(zipPath);
    if (!found.ok) throw new Error(found.error.message.en);
    expect(verdicts(found.candidates)).toEqual(expected.map(([n, ...rest]) => [`bundle.zip/${n}`, ...rest]));
    // The same bytes chosen in the app (no path) are read the same way.
    const chosen = chosenZip({ name: 'bundle.zip', bytes: zip });
    expect(chosen).toMatchObject({ ok: true, kind: 'bundle' });
    if (chosen?.ok && chosen.kind === 'bundle') expect(chosen.candidates.map((c) => c.displayName)).toEqual(found.candidates.map((c) => c.displayName));
  });

  it('a binary file that is not a signed .mobileconfig is refused as binary, whatever its name', () => {
    const der = fixture('ikev2/swanctl/client.p12');
    expect(der.indexOf(0)).toBeGreaterThanOrEqual(0);
    for (const fileName of ['x.mobileconfig', 'x.ovpn']) {
      const r = inspectProfile(der, { fileName });
      expect([r.ok, r.errors.map((e) => e.code)]).toEqual([false, ['PROFILE_BINARY']]);
      // The hint names every ending, not only OpenVPN's and WireGuard's.
      expect(r.errors[0]?.message.en).toContain(profileEndingsText().en);
      expect(r.errors[0]?.message.ja).toContain(profileEndingsText().ja);
    }
  });

  it('a folder takes every ending at its top level; an empty one names them all', () => {
    const folder = join(work, 'folder');
    mkdirSync(folder);
    for (const name of ['split.sswan', 'corp.mobileconfig', 'README.txt']) writeFileSync(join(folder, name), BUNDLE[name] ?? new Uint8Array());
    for (const name of ['ca.crt', 'client.crt', 'client.key']) copyFileSync(join(FIXTURES, 'seed', name), join(folder, name));
    writeFileSync(join(folder, 'client.ovpn'), BUNDLE['office/client.ovpn'] ?? new Uint8Array());
    const found = profileCandidates(folder);
    if (!found.ok) throw new Error(found.error.message.en);
    expect(verdicts(found.candidates)).toEqual([
      ['client.ovpn', true, 'openvpn', []],
      ['corp.mobileconfig', true, 'ikev2', []],
      ['split.sswan', true, 'ikev2', []],
    ]);

    const empty = join(work, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'ca.crt'), 'x');
    const none = profileCandidates(empty);
    expect(none).toMatchObject({ ok: false, error: { code: 'IMPORT_FOLDER_EMPTY' } });
    if (!none.ok) {
      expect(none.error.message.en).toBe(`${empty} contains no profile (.ovpn, .conf, .swanctl.conf, .sswan, .mobileconfig or .nmconnection).`);
      expect(none.error.message.ja).toContain('.sswan、.mobileconfig');
    }
  });
});

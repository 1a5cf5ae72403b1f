import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { DIRECTIVES } from '../../shared/profiles/openvpn/directives.js';
import { OPENVPN_REVIEW, renderOpenVpnReview } from '../../shared/profiles/openvpn/review.js';

const ROOT = join(import.meta.dirname, '../..');
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const BASE = `client\ndev tun\nremote vpn.example.test 1194 udp\nremote-cert-tls server\nauth-user-pass\n<ca>\n${CA}</ca>\n`;
const START = '<!-- directive-review-openvpn:start -->';
const END = '<!-- directive-review-openvpn:end -->';

describe('the adversarial review of the OpenVPN allow-list', () => {
  it('reviews every directive a client profile may use, once', () => {
    const reviewed = OPENVPN_REVIEW.flatMap((r) => r.names);
    const permitted = Object.entries(DIRECTIVES).filter(([, s]) => s.role === 'client').map(([n]) => n);
    expect(new Set(reviewed).size).toBe(reviewed.length);
    expect([...reviewed].sort()).toEqual([...permitted].sort());
  });

  it('accepts every directive the review allows, with its example line', () => {
    for (const row of OPENVPN_REVIEW) {
      if (row.verdict === 'allowed') expect(row.examples, row.names.join(' ')).toBeDefined();
      if (!row.examples) continue;
      expect(row.examples.length, row.names.join(' ')).toBe(row.names.length);
      row.examples.forEach((line, i) => {
        expect(line.split(' ')[0]).toBe(row.names[i]);
        const r = inspectProfile(`${BASE}${line}\n`, { fileName: 'p.ovpn' });
        expect(r.errors, line).toEqual([]);
        // Kept as it is: allowed means neither dropped nor rewritten.
        expect(r.canonical?.split('\n'), line).toContain(line);
      });
    }
  });

  it('refuses standalone modes and unknown names, whatever they are', () => {
    for (const line of ['genkey secret x.key', 'mktun', 'show-ciphers', 'show-curves', 'setcon x', 'no-such-option 1']) {
      const r = inspectProfile(`${BASE}${line}\n`, { fileName: 'p.ovpn' });
      expect(r.ok, line).toBe(false);
      expect(r.errors.map((e) => e.code), line).toEqual([line.startsWith('genkey') || line.startsWith('mktun') || line.startsWith('show-') ? 'OVPN_STANDALONE_DIRECTIVE' : 'OVPN_UNKNOWN_DIRECTIVE']);
    }
  });

  it('names tests that exist', () => {
    const rendered = renderOpenVpnReview();
    for (const [, file, name] of rendered.matchAll(/\| `([^`]+\.test\.ts)` — (.+) \|$/gm)) {
      const source = readFileSync(join(ROOT, file as string), 'utf8');
      expect(source, `${file}: ${name}`).toContain((name as string).replace(/\\\|/g, '|').replace(/`(<[^`]+>)`/g, '$1'));
    }
  });

  it('is what README shows (regenerate with: npx tsx -e "import(\'./shared/profiles/openvpn/review.ts\').then((m) => console.log(m.renderOpenVpnReview()))")', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf(START) + START.length, readme.indexOf(END)).trim();
    expect(section).toBe(renderOpenVpnReview());
  });
});

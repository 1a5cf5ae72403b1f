import { describe, expect, it } from 'vitest';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { canonicalOpenVpn, verifyOpenVpnText } from '../../shared/profiles/openvpn/canonical.js';
import { quoteArg } from '../../shared/profiles/openvpn/lexer.js';
import type { OpenVpnDirective, OpenVpnMetadata } from '../../shared/profiles/openvpn/model.js';
import { rereadOpenVpn, type RereadDirective } from '../../shared/profiles/openvpn/reread.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const HEAD = `client\ndev tun\nauth-user-pass\nremote-cert-tls server\n<ca>\n${CA}</ca>\n`;
const NO_META: OpenVpnMetadata = { values: [], blocks: [] };

function reread(text: string): RereadDirective[] {
  const r = rereadOpenVpn(text);
  if (!r.ok) throw new Error(`reread refused: ${r.reason}`);
  return r.directives;
}

/**
 * The reported attack (issue 10, finding 1): a <connection> line that fits on import but whose
 * re-quoted form passes 255 bytes, so openvpn's string reader splits it and reads its tail,
 * `<tls-auth>`, as an inline tag. That desynchronises openvpn from the engine: the lines the
 * engine took for an unvalidated <tls-crypt> body become options, here an http-proxy that sends
 * the first lines of a root-only file as proxy credentials.
 */
const QUOTES = 100;
const SMUGGLER = `http-proxy-option CUSTOM-HEADER '${'"'.repeat(QUOTES)}' ${'x'.repeat(22)}<tls-auth>`;
const HIDDEN = '</tls-auth>\nhttp-proxy 127.0.0.1 8080 /root/secret basic\n<tls-crypt>\n';
const ATTACK = `${HEAD}<connection>\nremote 198.18.0.1 1194 tcp\n${SMUGGLER}\n<tls-crypt>\n${HIDDEN}</tls-crypt>\n</connection>\n`;
const attackModel = (): OpenVpnDirective[] => [
  { name: 'client', args: [] },
  { name: 'dev', args: ['tun'] },
  {
    name: 'connection',
    args: [],
    block: [
      { name: 'remote', args: ['198.18.0.1', '1194', 'tcp'] },
      { name: 'http-proxy-option', args: ['CUSTOM-HEADER', '"'.repeat(QUOTES), `${'x'.repeat(22)}<tls-auth>`] },
      { name: 'tls-crypt', args: [], inline: HIDDEN },
    ],
  },
];

/** The pre-fix writer: every argument re-quoted the readable way, whatever the line length. */
function oldWriter(directives: OpenVpnDirective[]): string {
  const out: string[] = [];
  const put = (d: OpenVpnDirective) => {
    if (d.block) {
      out.push(`<${d.name}>`);
      d.block.forEach(put);
      out.push(`</${d.name}>`);
    } else if (d.inline !== undefined) {
      out.push(`<${d.name}>`, d.inline.replace(/\n$/, ''), `</${d.name}>`);
    } else {
      out.push([d.name, ...d.args].map(quoteArg).join(' '));
    }
  };
  directives.forEach(put);
  return `${out.join('\n')}\n`;
}

describe('the smuggled-line attack of issue 10', () => {
  it('is refused at inspection (it passed before: ok with a canonical text openvpn read differently)', () => {
    expect(SMUGGLER.length).toBeLessThan(255);
    const r = inspectProfile(ATTACK, { fileName: 'attack.ovpn' });
    expect(r.ok).toBe(false);
    expect(r.canonical).toBeNull();
    // The <tls-crypt> body is no static key, so its grammar check refuses it, with its line.
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['OVPN_INLINE_FORMAT', 13]]);
  });

  it('the old writer’s text is what openvpn splits, and the independent re-reader sees it', () => {
    const text = oldWriter(attackModel());
    const line = text.split('\n').find((l) => l.startsWith('http-proxy-option')) ?? '';
    expect(line.indexOf('<tls-auth>')).toBe(257);
    const seen = reread(text).find((d) => d.name === 'connection')?.block?.map((d) => d.name);
    // What openvpn 2.6.14 did with this text: the tail opened <tls-auth>, http-proxy became an option.
    expect(seen).toEqual(['remote', 'http-proxy-option', 'tls-auth', 'http-proxy', 'tls-crypt']);
    const mismatch = verifyOpenVpnText(text, attackModel());
    expect(mismatch?.code).toBe('OVPN_CANONICAL_MISMATCH');
    expect(mismatch?.message.en).toContain("'http-proxy-option CUSTOM-HEADER");
  });

  it('the writer now keeps the line within 255 bytes, so openvpn reads exactly the model', () => {
    const written = canonicalOpenVpn({ directives: attackModel(), metadata: NO_META }, new Map());
    if (!written.ok) throw new Error(JSON.stringify(written.errors));
    // A bare token only needs its leading quote escaped: 101 bytes instead of 202.
    expect(written.text).toContain(` \\${'"'.repeat(QUOTES)} `);
    expect(Math.max(...written.text.split('\n').map((l) => Buffer.byteLength(l)))).toBeLessThanOrEqual(255);
    expect(reread(written.text)).toEqual(attackModel());
  });
});

describe('the canonical writer stays within openvpn’s line limits', () => {
  it('falls back to the shortest quoting when the readable one is too long, and the profile still imports', () => {
    const value = `a "b" ${'"'.repeat(120)} c`;
    const r = inspectProfile(`${HEAD}<connection>\nremote 198.18.0.1 1194 tcp\nhttp-proxy 127.0.0.1 8080\nhttp-proxy-option CUSTOM-HEADER X-A '${value}'\n</connection>\n`, { fileName: 'a.ovpn' });
    expect(r.errors).toEqual([]);
    expect(r.canonical).toContain(`http-proxy-option CUSTOM-HEADER X-A '${value}'\n`);
    // Short lines keep the readable form.
    const plain = inspectProfile(`${HEAD}remote 198.18.0.1 1194\nverify-x509-name 'C=JP, CN=a "b"' subject\n`, { fileName: 'a.ovpn' });
    expect(plain.canonical).toContain('verify-x509-name "C=JP, CN=a \\"b\\"" subject\n');
  });

  it('refuses, naming the directive and its line, a line that cannot be written within 254 bytes', () => {
    // `"…"name` is two tokens with no blank between them; written back they need one more byte.
    const value = `' ${'v'.repeat(229)}`;
    const line = `verify-x509-name "${value}"name`;
    expect(Buffer.byteLength(line)).toBe(254);
    const r = inspectProfile(`${HEAD}remote 198.18.0.1 1194\n${line}\n`, { fileName: 'a.ovpn' });
    expect(r.ok).toBe(false);
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['OVPN_CANONICAL_LINE_TOO_LONG', 11]]);
    expect(r.errors[0]?.message.en).toMatch(/^Line 11: 'verify-x509-name' cannot be written .* 254 bytes \(it needs 255\)/);
    expect(r.errors[0]?.message.ja).toContain('11 行目');
  });
});

describe('the re-reader follows openvpn 2.6 (figures measured with openvpn 2.6.14 --verb 4)', () => {
  const lport = (n: number, inConnection: boolean) => {
    const line = `lport${' '.repeat(n - 10)}12345`;
    const text = inConnection ? `<connection>\nremote h 1\n${line}\n</connection>\n` : `${line}\n`;
    const r = rereadOpenVpn(text);
    if (!r.ok) return r.reason;
    const list = inConnection ? r.directives[0]?.block ?? [] : r.directives;
    return list.filter((d) => d.name === 'lport').map((d) => d.args[0]).join(',');
  };

  it('inside <connection>: keeps 255 bytes, cuts the 256th, and reads from the 258th on as a new line', () => {
    expect([254, 255, 256, 257].map((n) => lport(n, true))).toEqual(['12345', '12345', '1234', '123']);
    const split = rereadOpenVpn(`<connection>\nremote h 1\nport 1194${' '.repeat(248)}lport 5555\n</connection>\n`);
    expect(split.ok && split.directives[0]?.block).toEqual([{ name: 'remote', args: ['h', '1'] }, { name: 'port', args: ['1194'] }, { name: 'lport', args: ['5555'] }]);
  });

  it('at top level: a line of 255 bytes plus its LF is a fatal "line too long"', () => {
    expect(lport(254, false)).toBe('12345');
    expect(lport(255, false)).toBe('maximum option line length (256) exceeded');
  });

  it('an inline line of 255 bytes inside <connection> loses its LF and runs into the next line', () => {
    const long = 'A'.repeat(255);
    const r = rereadOpenVpn(`<connection>\nremote h 1\n<tls-auth>\n${long}\nB\n</tls-auth>\n</connection>\n`);
    expect(r.ok && r.directives[0]?.block?.[1]).toEqual({ name: 'tls-auth', args: [], inline: `${long}B\n` });
  });

  it('reads pieces of 255 bytes in a top-level inline body, so a close tag can start mid-line', () => {
    const r = rereadOpenVpn(`<ca>\n${'A'.repeat(255)}</ca> tail\nverb 4\n`);
    expect(r.ok && r.directives).toEqual([{ name: 'ca', args: [], inline: 'A'.repeat(255) }, { name: 'verb', args: ['4'] }]);
  });

  it('tokens: quotes, escapes, comments, --, setenv opt, the BOM, close tags by prefix', () => {
    const text = '\uFEFF--remote "a b"c \'d\\e\' f\\ g # x\nsetenv opt block-outside-dns\n; c\n  <key>\nK\n  </key> junk\n';
    expect(reread(text)).toEqual([
      { name: 'remote', args: ['a b', 'c', 'd\\e', 'f g'] },
      { name: 'block-outside-dns', args: [] },
      { name: 'key', args: [], inline: 'K\n' },
    ]);
  });

  it('refuses what openvpn refuses', () => {
    for (const [text, reason] of [
      ['remote "a\n', 'no closing quotation (")'],
      ['remote a\\b\n', 'bad backslash usage'],
      ['<ca>\nX\n', 'endtag </ca> missing'],
      ['</ca>\n', 'endtag <//ca> missing'],
      ['setenv opt\n', "'setenv opt' without an option"],
      ['<connection>\nremote h\n<connection>\n</connection>\n', 'endtag </connection> missing'],
      [`remote ${'a'.repeat(257)}\n`, 'maximum option line length (256) exceeded'],
    ] as const) {
      const r = rereadOpenVpn(text);
      expect(r.ok ? 'read' : r.reason, text).toBe(reason);
    }
  });
});

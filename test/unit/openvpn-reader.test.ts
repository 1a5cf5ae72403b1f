import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readOpenVpnConfig, readOpenVpnConfigExact, type OpenVpnReadResult, type RawDirective } from '../../shared/profiles/openvpn/reader.js';

// Expected values follow OpenVPN 2.6 read_config_file()/read_inline_file(); the line-length,
// chunked close-tag and <connection> cases were checked against the openvpn 2.6.14 binary.

const bs = '\\';
const enc = new TextEncoder();

function read(text: string | Uint8Array): OpenVpnReadResult {
  return readOpenVpnConfig(text);
}

/** name + args of each directive, the shape most tests care about. */
function brief(ds: RawDirective[]): string[][] {
  return ds.map((d) => [d.name, ...d.args]);
}

function clean(text: string): OpenVpnReadResult {
  const r = read(text);
  expect(r.errors).toEqual([]);
  return r;
}

function codes(r: OpenVpnReadResult): string[] {
  return r.errors.map((e) => e.code);
}

describe('readOpenVpnConfig: directives', () => {
  it('reads directives with positions and source text', () => {
    const r = clean('client\n\n  remote vpn.example.com 1194 udp  # main\ndev tun\n');
    expect(brief(r.directives)).toEqual([['client'], ['remote', 'vpn.example.com', '1194', 'udp'], ['dev', 'tun']]);
    expect(r.directives[1]).toEqual({
      name: 'remote',
      args: ['vpn.example.com', '1194', 'udp'],
      line: 3,
      column: 3,
      endLine: 3,
      source: '  remote vpn.example.com 1194 udp  # main',
      setenvOpt: false,
    });
    expect(r.warnings).toEqual([]);
  });

  it('reads the last line without a line break', () => {
    expect(brief(clean('client\nverb 3').directives)).toEqual([['client'], ['verb', '3']]);
  });

  it('strips a leading -- only from tokens of 3+ characters', () => {
    const r = clean('--remote h 1\n--\n--x\n"--nobind"\n---y\n');
    expect(brief(r.directives)).toEqual([['remote', 'h', '1'], ['--'], ['x'], ['nobind'], ['-y']]);
    expect(r.directives[0]?.column).toBe(1);
  });

  it('keeps directive names case-sensitive', () => {
    expect(brief(clean('Remote h\nCLIENT\n').directives)).toEqual([['Remote', 'h'], ['CLIENT']]);
  });

  it('skips the UTF-8 BOM on line 1 only', () => {
    const r = clean('\uFEFFclient\n\uFEFFdev tun\n');
    expect(r.directives[0]).toMatchObject({ name: 'client', column: 1, source: 'client' });
    expect(r.directives[1]?.name).toBe('\uFEFFdev');
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode('<ca>\nX\n</ca>\n')]);
    expect(read(bytes).directives[0]).toMatchObject({ name: 'ca', inline: 'X\n' });
  });

  it('handles CRLF files', () => {
    const r = clean('client\r\nremote h 1194\r\n# comment\r\n');
    expect(brief(r.directives)).toEqual([['client'], ['remote', 'h', '1194']]);
    expect(r.directives[1]?.source).toBe('remote h 1194');
  });

  it('keeps the 16 first tokens and warns about the rest', () => {
    const words = Array.from({ length: 18 }, (_, i) => `w${i}`);
    const r = clean(`route-nopull\nx ${words.join(' ')}\n`);
    expect(r.directives[1]?.args).toEqual(words.slice(0, 15));
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatchObject({ code: 'OVPN_TOO_MANY_PARAMS', line: 2 });
    expect(r.warnings[0]?.column).toBe('x '.length + words.slice(0, 15).join(' ').length + 2);
    expect(r.warnings[0]?.message.en).toContain('3 extra');
  });

  it('reads quoted and escaped arguments', () => {
    const r = clean(`ca 'C:${bs}Program Files${bs}ca.crt'\ncert "C:${bs}${bs}x y${bs}${bs}c.crt"\nauth-user-pass a${bs} b\n`);
    expect(brief(r.directives)).toEqual([
      ['ca', `C:${bs}Program Files${bs}ca.crt`],
      ['cert', `C:${bs}x y${bs}c.crt`],
      ['auth-user-pass', 'a b'],
    ]);
  });

  it('takes an escaped line break into the token at top level', () => {
    expect(brief(clean(`remote foo${bs}\nclient\n`).directives)).toEqual([['remote', 'foo\n'], ['client']]);
  });

  it('reads string and byte input the same way', () => {
    const text = 'client\nremote 東京.example 1194\n<ca>\nPEM\n</ca>\n';
    expect(read(enc.encode(text))).toEqual(read(text));
  });
});

describe('readOpenVpnConfig: lexical errors', () => {
  it('reports each bad line and keeps reading, without a directive for the bad line', () => {
    const r = read(`client\nca C:${bs}ca.crt\nremote "h 1\nverb 'x\nfoo${bs}`);
    expect(brief(r.directives)).toEqual([['client']]);
    expect(r.errors.map((e) => [e.code, e.line, e.column])).toEqual([
      ['OVPN_BAD_BACKSLASH', 2, 6],
      ['OVPN_NO_CLOSING_QUOTE', 3, 8],
      ['OVPN_NO_CLOSING_SQUOTE', 4, 6],
      ['OVPN_RESIDUAL_STATE', 5, 4],
    ]);
    const bad = r.errors[0];
    expect(bad?.text).toBe(`ca C:${bs}ca.crt`);
    expect(bad?.message.en).toContain('line 2, column 6');
    expect(bad?.message.en).toContain(`Use ${bs}${bs} or single quotes for Windows paths`);
    expect(bad?.message.ja).toContain('2 行目');
  });

  it('accepts lines of 254 bytes plus LF and rejects 255 plus LF', () => {
    const ok = `remote ${'a'.repeat(254 - 7)}`;
    expect(clean(`${ok}\n`).directives).toHaveLength(1);
    const r = read(`${ok}b\nclient\n`);
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['OVPN_LINE_TOO_LONG', 1]]);
    expect(r.errors[0]?.message.en).toContain('Maximum option line length (256) exceeded');
    expect(brief(r.directives)).toEqual([['client']]);
  });

  it('applies the limit to the last line without LF too (255 ok, 256 not)', () => {
    expect(clean(`remote ${'a'.repeat(255 - 7)}`).directives).toHaveLength(1);
    expect(codes(read(`remote ${'a'.repeat(256 - 7)}`))).toEqual(['OVPN_LINE_TOO_LONG']);
  });

  it('counts the limit in bytes, CR and BOM included', () => {
    expect(codes(read(`remote ${'é'.repeat(123)}a\n`))).toEqual([]);
    expect(codes(read(`remote ${'é'.repeat(123)}a\r\n`))).toEqual(['OVPN_LINE_TOO_LONG']);
    expect(codes(read(`\uFEFFremote ${'a'.repeat(251 - 7)}\n`))).toEqual([]);
    expect(codes(read(`\uFEFFremote ${'a'.repeat(252 - 7)}\n`))).toEqual(['OVPN_LINE_TOO_LONG']);
  });

  it('applies the line limit to comments as well', () => {
    expect(codes(read(`# ${'x'.repeat(300)}\n`))).toEqual(['OVPN_LINE_TOO_LONG']);
  });

  it('reports a NUL byte as a binary file at its line', () => {
    const r = read(new Uint8Array([...enc.encode('client\nre'), 0, ...enc.encode('mote h\ndev tun\n')]));
    expect(r.errors.map((e) => [e.code, e.line, e.column])).toEqual([['PROFILE_BINARY', 2, 3]]);
    expect(brief(r.directives)).toEqual([['client'], ['dev', 'tun']]);
  });

  it('reports invalid UTF-8 in a token, but only warns about it in a comment', () => {
    const r = read(new Uint8Array([...enc.encode('remote h'), 0xff, ...enc.encode(' 1\n# caf'), 0xe9, ...enc.encode('\nclient\n')]));
    expect(r.errors.map((e) => [e.code, e.line, e.column])).toEqual([['PROFILE_NOT_UTF8', 1, 8]]);
    expect(r.warnings.map((e) => [e.code, e.line])).toEqual([['OVPN_COMMENT_NOT_UTF8', 2]]);
    expect(brief(r.directives)).toEqual([['client']]);
  });
});

describe('readOpenVpnConfig: inline blocks', () => {
  it('reads a block verbatim with its line span', () => {
    const r = clean('client\n<ca>\n-----BEGIN CERTIFICATE-----\n  indented\n\nMIIB\n-----END CERTIFICATE-----\n</ca>\nverb 3\n');
    expect(r.directives[1]).toEqual({
      name: 'ca',
      args: [],
      line: 2,
      column: 1,
      endLine: 8,
      source: '<ca>',
      setenvOpt: false,
      inline: '-----BEGIN CERTIFICATE-----\n  indented\n\nMIIB\n-----END CERTIFICATE-----\n',
    });
    expect(r.directives[2]).toMatchObject({ name: 'verb', line: 9 });
  });

  it('accepts indentation, a trailing comment, quotes and -- on the opening tag', () => {
    const r = clean('  <ca> # CA\nA\n</ca>\n"<cert>"\nB\n</cert>\n--<key>\nC\n</key>\n');
    expect(r.directives.map((d) => [d.name, d.inline, d.column])).toEqual([
      ['ca', 'A\n', 3],
      ['cert', 'B\n', 1],
      ['key', 'C\n', 1],
    ]);
  });

  it('does not open a block when the tag is not the only token', () => {
    const r = clean('<ca> extra\nclient\n');
    expect(brief(r.directives)).toEqual([['<ca>', 'extra'], ['client']]);
  });

  it('closes at a line that starts with the close tag after blanks, ignoring what follows', () => {
    const r = clean('<ca>\nA\n \t </ca> trailing junk\n<cert>\nB\n</cert>xyz\nclient\n');
    expect(r.directives.map((d) => [d.name, d.inline, d.endLine])).toEqual([
      ['ca', 'A\n', 3],
      ['cert', 'B\n', 6],
      ['client', undefined, 7],
    ]);
  });

  it('does not close at a close tag in the middle of a line or a near miss', () => {
    const r = clean('<ca>\nx </ca>\n</CA>\n</ca >\n</ca>\n');
    expect(r.directives[0]?.inline).toBe('x </ca>\n</CA>\n</ca >\n');
  });

  it('removes the CR of CRLF body lines', () => {
    expect(clean('<ca>\r\nA\r\nB\r\n</ca>\r\n').directives[0]?.inline).toBe('A\nB\n');
  });

  it('gives an empty body as an empty string', () => {
    expect(clean('<auth-user-pass>\n</auth-user-pass>\n').directives[0]?.inline).toBe('');
  });

  it('allows body lines of any length', () => {
    const long = 'Q'.repeat(10_000);
    expect(clean(`<pkcs12>\n${long}\n</pkcs12>\n`).directives[0]?.inline).toBe(`${long}\n`);
  });

  it('checks the close tag at the start of every 255-byte piece of a long line, like fgets()', () => {
    const a255 = 'A'.repeat(255);
    // The second piece of this line starts with the tag, so OpenVPN ends the block there.
    const r = clean(`<ca>\n${a255}</ca>\nclient\n`);
    expect(r.directives.map((d) => [d.name, d.inline, d.endLine])).toEqual([
      ['ca', `${a255}\n`, 2],
      ['client', undefined, 3],
    ]);
    // Blanks at the start of a piece are skipped too.
    expect(clean(`<ca>\n${a255}   </ca>\n`).directives[0]?.inline).toBe(`${a255}\n`);
    // One byte off: the tag straddles two pieces and is not seen.
    expect(codes(read(`<ca>\n${'A'.repeat(254)}</ca>\n`))).toEqual(['OVPN_ENDTAG_MISSING']);
  });

  it('reads the rest of a line after a mid-line close tag as a new config line', () => {
    const a255 = 'A'.repeat(255);
    const closing = `</ca>${' '.repeat(250)}`; // exactly one 255-byte piece
    const r = clean(`<ca>\n${a255}${closing}verb 4\n`);
    expect(r.directives.map((d) => [d.name, d.args, d.line])).toEqual([
      ['ca', [], 1],
      ['verb', ['4'], 2],
    ]);
    expect(r.directives[1]?.column).toBe(511);
  });

  it('reports a missing end tag at the opening line and consumes the rest', () => {
    const r = read('client\n <ca>\nPEM\nremote h 1\n');
    expect(r.errors.map((e) => [e.code, e.line, e.column])).toEqual([['OVPN_ENDTAG_MISSING', 2, 2]]);
    expect(r.errors[0]?.message.en).toContain('Endtag </ca> missing');
    expect(r.errors[0]?.message.ja).toContain('</ca>');
    expect(brief(r.directives)).toEqual([['client']]);
  });

  it('reports a stray close tag (OpenVPN: "Endtag <//ca> missing") and keeps reading', () => {
    const r = read('client\n</ca>\nverb 3\n<connection>\nremote h 1\n </tls-auth>\n</connection>\n');
    expect(r.errors.map((e) => [e.code, e.line, e.column])).toEqual([
      ['OVPN_UNEXPECTED_ENDTAG', 2, 1],
      ['OVPN_UNEXPECTED_ENDTAG', 6, 2],
    ]);
    expect(r.errors[0]?.message.en).toContain('</ca>');
    expect(brief(r.directives)).toEqual([['client'], ['verb', '3'], ['connection']]);
  });

  it('treats <> as a block named by the empty string', () => {
    expect(clean('<>\nx\n</>\n').directives[0]).toMatchObject({ name: '', inline: 'x\n' });
  });

  it('reports a NUL byte inside a block and drops the block', () => {
    const r = read(new Uint8Array([...enc.encode('<ca>\nA\nB'), 0, ...enc.encode('\n</ca>\nclient\n')]));
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['PROFILE_BINARY', 3]]);
    expect(brief(r.directives)).toEqual([['client']]);
  });

  it('does not treat a body line as metadata or as a directive', () => {
    const r = clean('<ca>\n# OVPN_ACCESS_SERVER_X=1\nremote h 1\n</ca>\n');
    expect(r.directives).toHaveLength(1);
    expect(r.metadata.values).toEqual([]);
  });
});

describe('readOpenVpnConfig: <connection> blocks', () => {
  const text = [
    'client', //                               1
    'proto udp', //                            2
    '<connection>', //                         3
    'remote a.example 1194 udp', //            4
    '  <tls-auth>', //                         5
    'KEY', //                                  6
    '  </tls-auth>', //                        7
    'setenv opt explicit-exit-notify 2', //    8
    '</connection>', //                        9
    '<connection>', //                         10
    '# comment', //                            11
    'remote b.example 443 tcp', //             12
    '</connection>', //                        13
    '',
  ].join('\n');

  it('reads the body as a mini-config with absolute line numbers', () => {
    const r = clean(text);
    expect(brief(r.directives)).toEqual([['client'], ['proto', 'udp'], ['connection'], ['connection']]);
    const [c1, c2] = r.directives.filter((d) => d.name === 'connection');
    expect(c1).toMatchObject({ line: 3, endLine: 9, args: [] });
    expect(c1?.inline).toBe('remote a.example 1194 udp\n  <tls-auth>\nKEY\n  </tls-auth>\nsetenv opt explicit-exit-notify 2\n');
    expect(c1?.block).toEqual([
      { name: 'remote', args: ['a.example', '1194', 'udp'], line: 4, column: 1, endLine: 4, source: 'remote a.example 1194 udp', setenvOpt: false },
      { name: 'tls-auth', args: [], line: 5, column: 3, endLine: 7, source: '  <tls-auth>', setenvOpt: false, inline: 'KEY\n' },
      { name: 'explicit-exit-notify', args: ['2'], line: 8, column: 12, endLine: 8, source: 'setenv opt explicit-exit-notify 2', setenvOpt: true },
    ]);
    expect(c2?.block).toMatchObject([{ name: 'remote', line: 12 }]);
  });

  it('reports errors inside the body at absolute lines', () => {
    const r = read(`dev tun\n<connection>\nremote a 1\nremote c:${bs}x\n</connection>\n`);
    expect(r.errors.map((e) => [e.code, e.line, e.column])).toEqual([['OVPN_BAD_BACKSLASH', 4, 10]]);
    expect(r.directives[1]?.block).toMatchObject([{ name: 'remote', line: 3 }]);
  });

  it('sees body lines without their LF, so a trailing backslash is a residual state', () => {
    const r = read(`<connection>\nremote h 1\nremote x${bs}\n</connection>\n`);
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['OVPN_RESIDUAL_STATE', 3]]);
  });

  it('strips CR in the body and keeps CRLF files working', () => {
    const r = clean('<connection>\r\nremote h 1\r\n</connection>\r\n');
    expect(r.directives[0]?.block).toMatchObject([{ name: 'remote', args: ['h', '1'], source: 'remote h 1' }]);
    expect(r.directives[0]?.inline).toBe('remote h 1\n');
  });

  it('rejects a nested <connection>', () => {
    const r = read('<connection>\nremote a 1\n<connection>\nremote b 1\n</connection>\n</connection>\n');
    // The outer block ends at the first </connection>, which leaves the second one stray.
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([
      ['OVPN_NESTED_CONNECTION', 3],
      ['OVPN_UNEXPECTED_ENDTAG', 6],
    ]);
    expect(r.directives[0]?.block).toMatchObject([{ name: 'remote', args: ['a', '1'] }]);
    expect(r.directives.map((d) => d.name)).toEqual(['connection']);
  });

  it('reports a missing end tag of a block inside <connection>', () => {
    const r = read('<connection>\nremote a 1\n<tls-crypt>\nK\n</connection>\nclient\n');
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['OVPN_ENDTAG_MISSING', 3]]);
    expect(brief(r.directives)).toEqual([['connection'], ['client']]);
  });

  it('reports body lines that OpenVPN would cut at 255 bytes', () => {
    const r = read(`<connection>\n# ${'x'.repeat(253)}\n# ${'x'.repeat(254)}\nremote a 1\n</connection>\n`);
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['OVPN_LINE_TOO_LONG', 3]]);
  });

  it('does not read metadata inside a connection block', () => {
    expect(clean('<connection>\n# OVPN_ACCESS_SERVER_X=1\nremote a 1\n</connection>\n').metadata.values).toEqual([]);
  });
});

describe('readOpenVpnConfig: setenv opt', () => {
  it('unwraps setenv opt and remembers it', () => {
    const r = clean('setenv opt block-outside-dns\nsetenv opt up "/bin/x y"\n--setenv opt nobind\n');
    expect(r.directives.map((d) => [d.name, d.args, d.setenvOpt, d.column])).toEqual([
      ['block-outside-dns', [], true, 12],
      ['up', ['/bin/x y'], true, 12],
      ['nobind', [], true, 14],
    ]);
  });

  it('leaves plain setenv and look-alikes alone', () => {
    const r = clean('setenv CLIENT_CERT 0\nsetenv OPT x\nsetenv opt --remote h\nsetenv opts x\n');
    expect(r.directives.map((d) => [d.name, d.args, d.setenvOpt])).toEqual([
      ['setenv', ['CLIENT_CERT', '0'], false],
      ['setenv', ['OPT', 'x'], false],
      ['--remote', ['h'], true],
      ['setenv', ['opts', 'x'], false],
    ]);
  });

  it('does not treat a tag after setenv opt as an inline block', () => {
    expect(clean('setenv opt <ca>\n').directives[0]).toMatchObject({ name: '<ca>', setenvOpt: true });
    expect(clean('setenv opt <ca>\n').directives[0]?.inline).toBeUndefined();
  });

  it('rejects setenv opt with nothing after it (quoting does not matter)', () => {
    const r = read('setenv opt   # nothing\nclient\nsetenv "opt"\n');
    expect(r.errors.map((e) => [e.code, e.line, e.column])).toEqual([
      ['OVPN_SETENV_OPT_EMPTY', 1, 1],
      ['OVPN_SETENV_OPT_EMPTY', 3, 1],
    ]);
    expect(brief(r.directives)).toEqual([['client']]);
  });
});

describe('readOpenVpnConfig: Access Server metadata', () => {
  it('reads single-line values verbatim', () => {
    const r = clean(
      [
        '# OVPN_ACCESS_SERVER_USERNAME=alice',
        '# OVPN_ACCESS_SERVER_PROFILE=alice@vpn.example.com/AUTOLOGIN',
        '# OVPN_ACCESS_SERVER_FRIENDLY_NAME= My VPN = fast ',
        '# OVPN_ACCESS_SERVER_NO_WEB',
        '# OVPN_ACCESS_SERVER_CRLF=yes\r',
        'client',
        '',
      ].join('\n'),
    );
    expect(r.metadata.values).toEqual([
      { key: 'USERNAME', value: 'alice', line: 1 },
      { key: 'PROFILE', value: 'alice@vpn.example.com/AUTOLOGIN', line: 2 },
      { key: 'FRIENDLY_NAME', value: ' My VPN = fast ', line: 3 },
      { key: 'NO_WEB', value: '', line: 4 },
      { key: 'CRLF', value: 'yes', line: 5 },
    ]);
    expect(r.directives).toHaveLength(1);
  });

  it('requires exactly "# " at the start of the line', () => {
    const r = clean('#OVPN_ACCESS_SERVER_A=1\n  # OVPN_ACCESS_SERVER_B=1\n#  OVPN_ACCESS_SERVER_C=1\n; OVPN_ACCESS_SERVER_D=1\n# OVPN_ACCESS_SERVERX=1\n');
    expect(r.metadata.values).toEqual([]);
  });

  it('reads metadata on a BOM line', () => {
    expect(clean('\uFEFF# OVPN_ACCESS_SERVER_USERNAME=bob\n').metadata.values).toEqual([{ key: 'USERNAME', value: 'bob', line: 1 }]);
  });

  it('reads multi-line blocks, skipping lines that are not "# " data', () => {
    const r = clean(
      [
        'client',
        '# OVPN_ACCESS_SERVER_WEB_CA_BUNDLE_START', // 2
        '# -----BEGIN CERTIFICATE-----',
        '# MIIB',
        'remote h 1',
        '#',
        '# -----END CERTIFICATE-----\r',
        '# OVPN_ACCESS_SERVER_WEB_CA_BUNDLE_STOP',
        '# OVPN_ACCESS_SERVER_AUTOLOGIN=true',
        '',
      ].join('\n'),
    );
    expect(r.metadata.blocks).toEqual([
      { tag: 'WEB_CA_BUNDLE', line: 2, lines: ['-----BEGIN CERTIFICATE-----', 'MIIB', '-----END CERTIFICATE-----'] },
    ]);
    expect(r.metadata.values).toEqual([{ key: 'AUTOLOGIN', value: 'true', line: 9 }]);
    expect(brief(r.directives)).toEqual([['client'], ['remote', 'h', '1']]);
  });

  it('warns about a block without its STOP line and drops it', () => {
    const r = clean('# OVPN_ACCESS_SERVER_HOST_LIST_START\n# a.example\nclient\n');
    expect(r.metadata.blocks).toEqual([]);
    expect(r.warnings.map((w) => [w.code, w.line])).toEqual([['OVPN_META_UNCLOSED', 1]]);
  });
});

describe('readOpenVpnConfig: robustness', () => {
  function checkShape(r: OpenVpnReadResult): void {
    for (const e of [...r.errors, ...r.warnings]) {
      expect(e.line).toBeGreaterThanOrEqual(0);
      expect(e.column).toBeGreaterThanOrEqual(1);
      expect(e.message.en).not.toBe('');
      expect(e.message.ja).not.toBe('');
      expect(typeof e.text).toBe('string');
    }
    for (const d of r.directives) {
      expect(d.line).toBeGreaterThanOrEqual(1);
      expect(d.endLine).toBeGreaterThanOrEqual(d.line);
      expect(d.args.length).toBeLessThanOrEqual(15);
    }
    expect(r.errors.every((e) => e.code !== 'OVPN_READ_FAILED')).toBe(true);
  }

  const configish = fc
    .array(
      fc.oneof(
        fc.constantFrom('<ca>', '</ca>', '<connection>', '</connection>', '  </ca> x', '<tls-auth>', '</tls-auth>', 'setenv opt', 'setenv opt x y'),
        fc.constantFrom('# OVPN_ACCESS_SERVER_A=b', '# OVPN_ACCESS_SERVER_L_START', '# OVPN_ACCESS_SERVER_L_STOP', '# data', '\uFEFF'),
        fc.string({ unit: fc.constantFrom('a', ' ', '"', "'", bs, '#', ';', '\t', '\r', '<', '>', '/', '-', 'é', '\0'), maxLength: 300 }),
      ),
      { maxLength: 30 },
    )
    .map((lines) => lines.join('\n'));

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => checkShape(readOpenVpnConfig(bytes))),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (s) => checkShape(readOpenVpnConfig(s))),
      { numRuns: 1000 },
    );
  });

  it('never throws on config-shaped text', () => {
    fc.assert(
      fc.property(configish, (s) => checkShape(readOpenVpnConfig(s))),
      { numRuns: 1500 },
    );
  });

  it('stays fast on 10 MB inputs', () => {
    const big = 10 * 1024 * 1024;
    const random = new Uint8Array(big);
    let seed = 12345;
    for (let i = 0; i < big; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      random[i] = seed >>> 24;
    }
    const inputs: (string | Uint8Array)[] = [
      random,
      'x'.repeat(big),
      `<ca>\n${'A'.repeat(big)}\n`,
      `<ca>\n${'A'.repeat(big)}</ca> remote\n`,
      `<connection>\n${'remote h 1\n'.repeat(big / 110)}</connection>\n`,
      `${'"'.repeat(200)}\n`.repeat(big / 201),
    ];
    for (const input of inputs) {
      const started = Date.now();
      const r = readOpenVpnConfig(input);
      expect(Date.now() - started).toBeLessThan(8000);
      expect(r.errors.length).toBeLessThanOrEqual(501);
    }
  }, 60_000);
});

describe('readOpenVpnConfig: fast path', () => {
  // The reader decodes valid UTF-8 input once and lexes plain lines from the text; invalid input is
  // decoded line by line; quoted or escaped lines, and everything in readOpenVpnConfigExact(), go
  // through the byte-exact lexer. All three must agree exactly.
  const unit = fc.constantFrom('a', 'b', ' ', ' ', '"', "'", bs, '#', ';', '\t', '\r', '\v', '<', '>', '/', '-', 'é', '😀', '東', '\0', '\uFEFF');
  const line = fc.oneof(
    fc.constantFrom(
      '<ca>', '</ca>', '<connection>', '</connection>', '  </ca> x', '<tls-auth>', '</tls-auth>', '\uFEFFclient', 'setenv opt', 'setenv opt x y',
      '# OVPN_ACCESS_SERVER_A=b', '# OVPN_ACCESS_SERVER_L_START', '# OVPN_ACCESS_SERVER_L_STOP', '# data é', 'remote 東京 1194 # 主',
      'a b c d e f g h i j k l m n o p q é s', `${'A'.repeat(255)}</ca> verb 東`, `${'é'.repeat(85)} ${'é'.repeat(40)}`,
    ),
    fc.string({ unit, maxLength: 270 }),
    fc.array(fc.string({ unit: fc.constantFrom('x', 'é', '😀', '#', ';', '<', '>', '/'), maxLength: 12 }), { maxLength: 20 }).map((w) => w.join(' ')),
  );
  const config = fc
    .tuple(fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n'), fc.boolean())
    .map(([lines, eol, bom]) => `${bom ? '\uFEFF' : ''}${lines.join(eol)}`);
  /** The same config with one byte inserted (usually making it invalid UTF-8). */
  const withByte = fc.tuple(config, fc.nat(), fc.constantFrom(0xff, 0xe9, 0x80, 0x0a, 0)).map(([text, at, byte]) => {
    const bytes = enc.encode(text);
    const k = at % (bytes.length + 1);
    return new Uint8Array([...bytes.subarray(0, k), byte, ...bytes.subarray(k)]);
  });

  it('reads exactly like the byte-exact reference', () => {
    fc.assert(
      fc.property(config, (text) => {
        expect(readOpenVpnConfig(text)).toEqual(readOpenVpnConfigExact(text));
      }),
      { numRuns: 1500 },
    );
    fc.assert(
      fc.property(withByte, (bytes) => {
        expect(readOpenVpnConfig(bytes)).toEqual(readOpenVpnConfigExact(bytes));
      }),
      { numRuns: 1500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        expect(readOpenVpnConfig(bytes)).toEqual(readOpenVpnConfigExact(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('reads the same whether the file is ASCII, has multi-byte text, or is not valid UTF-8 elsewhere', () => {
    const body = [
      'client',
      '\t remote vpn.example.com 1194 udp   ; main',
      'route 10.1.2.0 255.255.255.0 vpn_gateway 5 # route 1',
      `ca "C:${bs}${bs}x y${bs}${bs}ca.crt"`,
      'a b c d e f g h i j k l m n o p q r',
      '<connection>',
      'remote b.example 443 tcp',
      '</connection>',
      `<ca>\n${'A'.repeat(255)}</ca> verb 4`,
      'setenv opt block-outside-dns',
      '',
    ].join('\n');
    const ascii = read(body);
    expect(ascii.errors).toEqual([]);
    const strip = (r: OpenVpnReadResult) => ({ ...r, warnings: r.warnings.filter((w) => w.code !== 'OVPN_COMMENT_NOT_UTF8') });
    // A multi-byte comment (valid UTF-8) and a Latin-1 one (not) after the same lines.
    const multibyte = read(`${body}# 東京の経路\n`);
    const latin1 = read(new Uint8Array([...enc.encode(body), ...enc.encode('# caf'), 0xe9, 0x0a]));
    expect(multibyte).toEqual(ascii);
    expect(strip(latin1)).toEqual(ascii);
    expect(latin1.warnings.map((w) => [w.code, w.line])).toEqual([...ascii.warnings.map((w) => [w.code, w.line]), ['OVPN_COMMENT_NOT_UTF8', 12]]);
    expect(readOpenVpnConfigExact(body)).toEqual(ascii);
  });

  it('keeps columns in UTF-16 units with multi-byte text before the token', () => {
    const r = read('\uFEFF東 x # é\n😀 y\n<connection>\né remote\n</connection>\n');
    expect(r.directives.map((d) => [d.name, d.column])).toEqual([
      ['東', 1],
      ['😀', 1],
      ['connection', 1],
    ]);
    expect(read('  é\u3000x y\n').directives[0]).toMatchObject({ name: 'é\u3000x', args: ['y'], column: 3 });
    expect(read('x a b c d e f g h i j k l m n o 😀 é\n').warnings[0]).toMatchObject({ code: 'OVPN_TOO_MANY_PARAMS', column: 33 });
  });
});

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { lexBytes, lexPlain, quoteArg, tokenizeLine, type TokenizeResult } from '../../shared/profiles/openvpn/lexer.js';

// Expected values follow OpenVPN 2.6 parse_line(); the trickiest ones were checked against the
// openvpn 2.6.14 binary (via `remote <token>` and --verb 4).

function tokens(line: string): string[] {
  const r = tokenizeLine(line);
  if (!r.ok) throw new Error(`unexpected ${r.code} at column ${r.column}`);
  return r.tokens;
}

function failure(line: string): Extract<TokenizeResult, { ok: false }> {
  const r = tokenizeLine(line);
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.tokens)}`);
  return r;
}

const bs = '\\';

describe('tokenizeLine: whitespace and plain tokens', () => {
  it('splits on every C isspace() byte and ignores the line break', () => {
    expect(tokens('remote  vpn.example.com\t1194\n')).toEqual(['remote', 'vpn.example.com', '1194']);
    expect(tokens('a\vb\fc\rd')).toEqual(['a', 'b', 'c', 'd']);
    expect(tokens('remote host 1194\r\n')).toEqual(['remote', 'host', '1194']);
  });

  it('returns nothing for empty and blank lines', () => {
    expect(tokens('')).toEqual([]);
    expect(tokens(' \t\r\n')).toEqual([]);
  });

  it('keeps non-ASCII text intact', () => {
    expect(tokens('setenv 名前 東京\n')).toEqual(['setenv', '名前', '東京']);
  });

  it('treats a NUL character as the end of the C string', () => {
    expect(tokens('remote a\0b c')).toEqual(['remote', 'a']);
  });
});

describe('tokenizeLine: comments', () => {
  it('ends the line at # or ; where a token would start', () => {
    expect(tokens('# comment')).toEqual([]);
    expect(tokens('; comment')).toEqual([]);
    expect(tokens('   # indented comment')).toEqual([]);
    expect(tokens('remote a 1194 # trailing')).toEqual(['remote', 'a', '1194']);
    expect(tokens('remote a 1194 ;trailing')).toEqual(['remote', 'a', '1194']);
  });

  it('keeps # and ; inside a token or inside quotes', () => {
    expect(tokens('remote a#b c;d')).toEqual(['remote', 'a#b', 'c;d']);
    expect(tokens('x "#not a comment" \'; nor this\'')).toEqual(['x', '#not a comment', '; nor this']);
  });

  it('starts a comment right after a closing quote', () => {
    expect(tokens('x "a"#tail')).toEqual(['x', 'a']);
  });

  it('starts a comment even after a backslash at token start', () => {
    expect(tokens(`remote ${bs}#x y`)).toEqual(['remote']);
    expect(tokens(`remote ${bs};x y`)).toEqual(['remote']);
  });
});

describe('tokenizeLine: double quotes', () => {
  it('groups blanks and yields empty tokens for ""', () => {
    expect(tokens('x "a b\tc"')).toEqual(['x', 'a b\tc']);
    expect(tokens('x "" y')).toEqual(['x', '', 'y']);
  });

  it('ends the token at the closing quote even if text follows', () => {
    expect(tokens('"a"b')).toEqual(['a', 'b']);
    expect(tokens('"a""b"')).toEqual(['a', 'b']);
  });

  it('is only special at token start', () => {
    expect(tokens('a"b c"')).toEqual(['a"b', 'c"']);
    expect(tokens("a'b'")).toEqual(["a'b'"]);
  });

  it('processes escapes inside quotes', () => {
    expect(tokens(`x "a${bs}${bs}b"`)).toEqual(['x', `a${bs}b`]);
    expect(tokens(`x "a${bs}"b"`)).toEqual(['x', 'a"b']);
    expect(tokens(`x "a${bs} b"`)).toEqual(['x', 'a b']);
  });

  it('keeps single quotes literal', () => {
    expect(tokens(`x "it's"`)).toEqual(['x', "it's"]);
  });

  it('reports an unterminated quote at the opening quote', () => {
    const r = failure('remote "abc\n');
    expect(r.code).toBe('OVPN_NO_CLOSING_QUOTE');
    expect(r.column).toBe(8);
    expect(failure(`x "abc${bs}"`).code).toBe('OVPN_NO_CLOSING_QUOTE');
  });
});

describe('tokenizeLine: single quotes', () => {
  it('is completely literal', () => {
    expect(tokens(`cd 'C:${bs}Program Files${bs}OpenVPN'`)).toEqual(['cd', `C:${bs}Program Files${bs}OpenVPN`]);
    expect(tokens(`x 'a"b${bs}'`)).toEqual(['x', `a"b${bs}`]);
    expect(tokens("x '#x' ''")).toEqual(['x', '#x', '']);
  });

  it('ends the token at the closing quote', () => {
    expect(tokens("'a'b")).toEqual(['a', 'b']);
  });

  it('reports an unterminated single quote', () => {
    const r = failure("remote 'abc");
    expect(r.code).toBe('OVPN_NO_CLOSING_SQUOTE');
    expect(r.column).toBe(8);
  });
});

describe('tokenizeLine: backslashes', () => {
  it('accepts exactly three escapes: \\\\, \\" and an escaped blank', () => {
    expect(tokens(`x a${bs}${bs}b`)).toEqual(['x', `a${bs}b`]);
    expect(tokens(`x ${bs}"a${bs}"`)).toEqual(['x', '"a"']);
    expect(tokens(`x a${bs} b`)).toEqual(['x', 'a b']);
    expect(tokens(`x a${bs}\tb`)).toEqual(['x', 'a\tb']);
    expect(tokens(`x a${bs}\rb`)).toEqual(['x', 'a\rb']);
  });

  it('takes an escaped line break into the token', () => {
    expect(tokens(`remote foo${bs}\n`)).toEqual(['remote', 'foo\n']);
  });

  it('drops an escaped blank at token start', () => {
    expect(tokens(`${bs} remote h 1`)).toEqual(['remote', 'h', '1']);
  });

  it('rejects any other escaped character, pointing at the backslash', () => {
    const r = failure(`ca C:${bs}temp${bs}ca.crt`);
    expect(r.code).toBe('OVPN_BAD_BACKSLASH');
    expect(r.column).toBe(6);
    expect(r.message.en).toContain('Bad backslash');
    expect(r.message.en).toContain(`Use ${bs}${bs} or single quotes for Windows paths`);
    expect(r.message.ja).toContain('バックスラッシュ');
    expect(failure(`x "c:${bs}temp"`).code).toBe('OVPN_BAD_BACKSLASH');
    expect(failure(`x a${bs}'b`).code).toBe('OVPN_BAD_BACKSLASH');
    expect(failure(`x ${bs}'b'`).code).toBe('OVPN_BAD_BACKSLASH');
    expect(failure(`x a${bs}#b`).code).toBe('OVPN_BAD_BACKSLASH');
  });

  it('counts columns in UTF-16 units after multi-byte text', () => {
    expect(failure(`x é${bs}q`).column).toBe(4);
    expect(failure(`x 😀${bs}q`).column).toBe(5);
  });

  it('fails with a residual parse state on a lone trailing backslash without a line break', () => {
    const r = failure(`remote foo${bs}`);
    expect(r.code).toBe('OVPN_RESIDUAL_STATE');
    expect(r.column).toBe(11);
  });

  it('ignores a lone backslash between tokens at the end', () => {
    expect(tokens(`remote ${bs}`)).toEqual(['remote']);
  });
});

describe('tokenizeLine: limits', () => {
  it('keeps 16 tokens and counts the silently dropped rest', () => {
    const words = Array.from({ length: 20 }, (_, i) => `t${i}`);
    const r = tokenizeLine(`${words.join(' ')}\n`);
    expect(r).toEqual({ ok: true, tokens: words.slice(0, 16), dropped: 4 });
    expect(tokenizeLine(words.slice(0, 16).join(' '))).toEqual({ ok: true, tokens: words.slice(0, 16), dropped: 0 });
    expect(tokenizeLine(`${words.slice(0, 16).join(' ')}   # comment`)).toMatchObject({ dropped: 0 });
  });

  it('never looks at text after the 16th token (errors there go unnoticed)', () => {
    const sixteen = Array.from({ length: 16 }, () => 'x').join(' ');
    expect(tokenizeLine(`${sixteen} "unterminated`)).toMatchObject({ ok: true, dropped: 0 });
    expect(tokenizeLine(`${sixteen} ok c:${bs}temp`)).toMatchObject({ ok: true, dropped: 1 });
  });

  it('allows tokens of 256 bytes and rejects 257', () => {
    expect(tokens(`x ${'a'.repeat(256)}`)).toEqual(['x', 'a'.repeat(256)]);
    expect(tokens(`x "${'a'.repeat(256)}"`)).toEqual(['x', 'a'.repeat(256)]);
    const r = failure(`x ${'a'.repeat(257)}`);
    expect(r.code).toBe('OVPN_PARAM_TOO_LONG');
    expect(r.column).toBe(3);
  });

  it('measures the token limit in UTF-8 bytes', () => {
    expect(tokens(`x ${'é'.repeat(128)}`)).toEqual(['x', 'é'.repeat(128)]);
    expect(failure(`x ${'é'.repeat(129)}`).code).toBe('OVPN_PARAM_TOO_LONG');
  });

  it('gives every error an English and a Japanese message', () => {
    for (const line of ['"a', "'a", `a${bs}`, `a${bs}x`, 'x'.repeat(300)]) {
      const r = failure(line);
      expect(r.message.en.length).toBeGreaterThan(20);
      expect(r.message.ja.length).toBeGreaterThan(10);
      expect(r.message.en).toContain(`column ${r.column}`);
    }
  });
});

describe('quoteArg', () => {
  it('leaves plain arguments bare', () => {
    expect(quoteArg('vpn.example.com')).toBe('vpn.example.com');
    expect(quoteArg('a#b')).toBe('a#b');
    expect(quoteArg('日本')).toBe('日本');
  });

  it('quotes what the tokenizer would otherwise change', () => {
    expect(quoteArg('')).toBe('""');
    expect(quoteArg('a b')).toBe('"a b"');
    expect(quoteArg('a\tb')).toBe('"a\tb"');
    expect(quoteArg('#x')).toBe('"#x"');
    expect(quoteArg(';x')).toBe('";x"');
    expect(quoteArg(`C:${bs}x`)).toBe(`"C:${bs}${bs}x"`);
    expect(quoteArg('say "hi"')).toBe(`"say ${bs}"hi${bs}""`);
    expect(quoteArg("it's")).toBe(`"it's"`);
  });

  it('is the exact inverse of tokenizeLine for one token', () => {
    const noBreaks = (s: string) => !/[\n\r\0]/.test(s) && new TextEncoder().encode(s).length <= 256;
    const interesting = fc.constantFrom(' ', '\t', '\v', '\f', '"', "'", bs, '#', ';', 'a', 'é', '😀', '<', '>');
    const arb = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({ unit: interesting, maxLength: 40 }),
      fc.string({ unit: 'binary-ascii', maxLength: 120 }),
    );
    fc.assert(
      fc.property(arb.filter(noBreaks), (x) => {
        expect(tokenizeLine(quoteArg(x))).toEqual({ ok: true, tokens: [x], dropped: 0 });
        expect(tokenizeLine(`${quoteArg(x)}\n`)).toEqual({ ok: true, tokens: [x], dropped: 0 });
      }),
      { numRuns: 3000 },
    );
  });
});

describe('tokenizeLine robustness', () => {
  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
        const r = tokenizeLine(s);
        if (r.ok) expect(r.tokens.length).toBeLessThanOrEqual(16);
        else expect(r.column).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('lexPlain (the fast path of lexBytes)', () => {
  const enc = new TextEncoder();

  /** lexBytes() on the UTF-8 of `line`, with byte offsets turned into string indexes. */
  function viaBytes(line: string) {
    const bytes = enc.encode(line);
    const r = lexBytes(bytes, 0, bytes.length);
    if (!r.ok) return r;
    const index = (offset: number) => new TextDecoder().decode(bytes.subarray(0, offset)).length;
    return {
      tokens: r.tokens.map((t) => t.text),
      offsets: r.tokens.map((t) => index(t.offset)),
      dropped: r.dropped,
      droppedOffset: r.droppedOffset < 0 ? -1 : index(r.droppedOffset),
    };
  }

  it('gives exactly what lexBytes gives, or defers to it', () => {
    const unit = fc.constantFrom('a', 'b', ' ', ' ', '\t', '\v', '\f', '\r', '\n', '#', ';', '"', "'", bs, '\0', 'é', '😀', '東', '\u00a0', '\u3000', '<', '>');
    const word = fc.string({ unit: fc.constantFrom('x', 'é', '😀', '東', '#', ';'), minLength: 1, maxLength: 120 });
    const arb = fc.oneof(
      fc.string({ unit, maxLength: 300 }),
      fc.array(word, { maxLength: 22 }).map((w) => w.join(' ')),
      fc.string({ unit: 'grapheme', maxLength: 200 }),
    );
    let plain = 0;
    fc.assert(
      fc.property(arb, fc.boolean(), (line, lf) => {
        const text = lf ? `${line}\n` : line;
        const fast = lexPlain(text, 0, text.length);
        if (fast === undefined) return;
        plain++;
        expect(fast).toEqual(viaBytes(text));
      }),
      { numRuns: 4000 },
    );
    expect(plain).toBeGreaterThan(1000);
  });

  it('takes every line without quotes, backslashes or NUL (and no token over 256 bytes)', () => {
    const unit = fc.constantFrom('a', ' ', '\t', '\r', '#', ';', 'é', '😀', '\u00a0', '<');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 250 }), (line) => {
        expect(lexPlain(line, 0, line.length)).toBeDefined();
      }),
      { numRuns: 1000 },
    );
    expect(lexPlain('x "a"', 0, 5)).toBeUndefined();
    expect(lexPlain(`x a${bs} b`, 0, 6)).toBeUndefined();
    expect(lexPlain(`x ${'é'.repeat(129)}`, 0, 131)).toBeUndefined();
    expect(lexPlain(`x ${'é'.repeat(128)} # "`, 0, 134)).toMatchObject({ tokens: ['x', 'é'.repeat(128)] });
  });

  it('works on a part of a longer string, with offsets into it', () => {
    const text = 'ignored\nremote 東京 1194 # c\nignored';
    expect(lexPlain(text, 8, 29)).toEqual({ tokens: ['remote', '東京', '1194'], offsets: [8, 15, 18], dropped: 0, droppedOffset: -1 });
  });

  it('counts the tokens after the 16th like lexBytes', () => {
    const words = Array.from({ length: 20 }, (_, i) => `é${i}`);
    const line = `${words.join('  ')}\n`;
    expect(lexPlain(line, 0, line.length)).toEqual(viaBytes(line));
    expect(lexPlain(line, 0, line.length)?.dropped).toBe(4);
  });
});

import { describe, expect, it } from 'vitest';
import { catalog } from '../../shared/i18n/catalog.js';

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    if (typeof value === 'string') out.set(prefix + key, value);
    else for (const [k, v] of flatten(value, `${prefix}${key}.`)) out.set(k, v);
  }
  return out;
}

const en = flatten(catalog.en);
const ja = flatten(catalog.ja);
const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)/g)].map((m) => m[1]).sort();

describe('UI catalog', () => {
  it('has every key in both languages (Japanese needs no _one plural)', () => {
    const needed = [...en.keys()].filter((k) => !k.endsWith('_one'));
    expect(needed.filter((k) => !ja.has(k))).toEqual([]);
    expect([...ja.keys()].filter((k) => !en.has(k))).toEqual([]);
  });

  it('uses the same placeholders in both languages', () => {
    for (const [key, value] of ja) {
      const english = en.get(key) ?? '';
      expect(placeholders(value), key).toEqual(placeholders(english));
    }
  });

  it('has no empty strings (except the Japanese sentence separator)', () => {
    const empty = [...en, ...ja].filter(([key, v]) => v === '' && key !== 'common.sentenceSeparator').map(([k]) => k);
    expect(empty).toEqual([]);
  });

  it('writes Japanese sentences in the polite です/ます register', () => {
    const impolite = [...ja].filter(([key, value]) => (en.get(key) ?? '').endsWith('.') && !/(ます|です|ません|ました|ください|でした)。$/.test(value)).map(([k, v]) => `${k}: ${v}`);
    expect(impolite).toEqual([]);
  });
});

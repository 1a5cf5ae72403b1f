import { describe, expect, it } from 'vitest';
import { blockImeEnter, isImeComposing } from '../../renderer/src/ime.js';

function keyEvent(key: string, native: { isComposing?: boolean; keyCode?: number }) {
  let prevented = false;
  return {
    event: { key, nativeEvent: { key, ...native }, preventDefault: () => { prevented = true; } },
    prevented: () => prevented,
  };
}

describe('IME guard: the Enter that commits a conversion never submits', () => {
  it('treats isComposing (Chromium, Firefox) as composing', () => {
    expect(isImeComposing({ key: 'Enter', isComposing: true, keyCode: 13 })).toBe(true);
  });

  it('treats keyCode 229 (Safari, the keydown after compositionend) as composing', () => {
    expect(isImeComposing({ key: 'Enter', isComposing: false, keyCode: 229 })).toBe(true);
  });

  it('does not treat a plain Enter or an unmarked key press as composing', () => {
    expect(isImeComposing({ key: 'Enter', isComposing: false, keyCode: 13 })).toBe(false);
    expect(isImeComposing({ key: 'Enter' })).toBe(false);
  });

  it('blockImeEnter prevents the implicit form submission only for the composing Enter', () => {
    const composing = keyEvent('Enter', { isComposing: true, keyCode: 229 });
    blockImeEnter(composing.event);
    expect(composing.prevented()).toBe(true);

    const plain = keyEvent('Enter', { isComposing: false, keyCode: 13 });
    blockImeEnter(plain.event);
    expect(plain.prevented()).toBe(false);

    // Other keys while composing (kana input) must reach the input method untouched.
    const kana = keyEvent('k', { isComposing: true, keyCode: 229 });
    blockImeEnter(kana.event);
    expect(kana.prevented()).toBe(false);
  });
});

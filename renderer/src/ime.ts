/**
 * Japanese (and Chinese, Korean) input methods use Enter to commit a conversion. That Enter must
 * not submit the form. Chromium marks such keydowns with isComposing; Safari-based engines send
 * keyCode 229 for the keydown that follows compositionend, so both are checked.
 */
export type KeyLike = { readonly key: string; readonly isComposing?: boolean; readonly keyCode?: number };

export function isImeComposing(event: KeyLike): boolean {
  return event.isComposing === true || event.keyCode === 229;
}

/** Form onKeyDown: swallow the Enter that commits a conversion so it cannot trigger implicit submission. */
export function blockImeEnter(event: { readonly key: string; readonly nativeEvent: KeyLike; preventDefault(): void }): void {
  if (event.key === 'Enter' && isImeComposing(event.nativeEvent)) event.preventDefault();
}

/**
 * Copies text. The async Clipboard API needs a permission main may deny (it denies all by
 * default), so fall back to a selection copy, which works from a click without any permission.
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return copyBySelection(text);
  }
}

function copyBySelection(text: string): boolean {
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'clipboard-buffer';
  const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  previous?.focus();
  return ok;
}

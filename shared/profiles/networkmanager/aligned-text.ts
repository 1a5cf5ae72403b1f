/**
 * The text a translator hands to the next format's inspector, written so that each line sits on
 * the line number of the keyfile setting it came from (blank lines fill the gaps). Errors that the
 * OpenVPN or WireGuard inspector finds in the translation then name the user's own line. A setting
 * that becomes several lines pushes the ones after it down, so the match is exact only up to it.
 */
export class AlignedText {
  private readonly items: Array<{ at: number; order: number; lines: string[] }> = [];

  /** Lines that stand for the keyfile line `at` (1-based). */
  add(at: number, ...lines: string[]): void {
    this.items.push({ at, order: this.items.length, lines });
  }

  get empty(): boolean {
    return this.items.length === 0;
  }

  toString(): string {
    const out: string[] = [];
    const sorted = [...this.items].sort((a, b) => a.at - b.at || a.order - b.order);
    for (const item of sorted) {
      while (out.length < item.at - 1) out.push('');
      out.push(...item.lines);
    }
    return `${out.join('\n')}\n`;
  }
}

/** A one-shot timeout that can be paused (time spent paused does not count) and resumed. */
export class PausableTimeout {
  private timer: NodeJS.Timeout | null = null;
  private remainingMs = 0;
  private startedAt = 0;
  private fn: (() => void) | null = null;

  start(ms: number, fn: () => void): void {
    this.clear();
    this.fn = fn;
    this.remainingMs = ms;
    this.resume();
  }

  pause(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.remainingMs = Math.max(0, this.remainingMs - (Date.now() - this.startedAt));
  }

  resume(): void {
    const fn = this.fn;
    if (this.timer || !fn) return;
    this.startedAt = Date.now();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.fn = null;
      fn();
    }, this.remainingMs);
  }

  /** Cancels it for good (resume() then does nothing). */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.fn = null;
  }

  get active(): boolean {
    return this.fn !== null;
  }
}

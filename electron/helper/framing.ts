/**
 * Newline-delimited JSON framing with a size limit. A frame that grows past the limit is dropped
 * up to its newline and reported, and the stream carries on: one bad frame never ends a connection.
 */

export type Frame = { kind: 'line'; text: string } | { kind: 'oversize'; bytes: number };

export class LineFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private discarding = false;
  private discarded = 0;

  constructor(private readonly maxBytes: number) {}

  /** Bytes held for a frame not yet finished (nothing is held while an oversize frame is skipped). */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Forgets the unfinished frame (the connection is being dropped). */
  clear(): void {
    this.chunks = [];
    this.buffered = 0;
  }

  /** Feeds raw bytes; returns the complete frames they finish. */
  push(data: Buffer): Frame[] {
    const frames: Frame[] = [];
    let start = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, start);
      const end = nl < 0 ? data.length : nl;
      const piece = data.subarray(start, end);
      if (this.discarding) {
        this.discarded += piece.length;
      } else if (this.buffered + piece.length > this.maxBytes) {
        this.discarding = true;
        this.discarded = this.buffered + piece.length;
        this.chunks = [];
        this.buffered = 0;
      } else if (piece.length > 0) {
        this.chunks.push(piece);
        this.buffered += piece.length;
      }
      if (nl < 0) break;
      if (this.discarding) {
        frames.push({ kind: 'oversize', bytes: this.discarded });
        this.discarding = false;
        this.discarded = 0;
      } else {
        const text = Buffer.concat(this.chunks, this.buffered).toString('utf8').replace(/\r$/, '');
        this.chunks = [];
        this.buffered = 0;
        if (text.trim() !== '') frames.push({ kind: 'line', text });
      }
      start = nl + 1;
    }
    return frames;
  }
}

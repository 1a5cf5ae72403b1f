/**
 * Terminal prompts for credentials. Secrets are never echoed. When standard input is not a
 * terminal, answers are read line by line from it, so `printf 'alice\nsecret\n' | tsunagu connect`
 * works in scripts.
 */
import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';

export class Prompter {
  private rl: Interface | null = null;
  private readonly muted: Writable & { muted: boolean };
  private queued: string[] = [];
  private waiting: ((line: string | null) => void) | null = null;
  private ended = false;

  constructor(private readonly input: NodeJS.ReadStream = process.stdin, private readonly output: NodeJS.WriteStream = process.stderr) {
    const out = output;
    this.muted = Object.assign(
      new Writable({
        write(chunk: Buffer, _enc, done) {
          if (!(this as unknown as { muted: boolean }).muted) out.write(chunk);
          done();
        },
      }),
      { muted: false },
    );
  }

  private ensure(): Interface {
    if (this.rl) return this.rl;
    const rl = createInterface({ input: this.input, output: this.muted, terminal: this.input.isTTY === true });
    rl.on('line', (line) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(line);
      } else {
        this.queued.push(line);
      }
    });
    rl.on('close', () => {
      this.ended = true;
      this.waiting?.(null);
      this.waiting = null;
    });
    this.rl = rl;
    return rl;
  }

  /** Asks one question; resolves null when input has ended. */
  ask(question: string, secret: boolean): Promise<string | null> {
    this.ensure();
    this.output.write(question);
    this.muted.muted = secret && this.input.isTTY === true;
    return new Promise((resolve) => {
      const finish = (line: string | null) => {
        if (this.muted.muted) this.output.write('\n');
        this.muted.muted = false;
        resolve(line);
      };
      const next = this.queued.shift();
      if (next !== undefined) finish(next);
      else if (this.ended) finish(null);
      else this.waiting = finish;
    });
  }

  close(): void {
    this.rl?.close();
    this.rl = null;
  }
}

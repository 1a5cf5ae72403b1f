/**
 * A client of the helper socket run as another operating-system user (a child process with that
 * uid, and by default gid 0 so a test helper with `--group root` admits it): the tests' way to be a second
 * user, since SO_PEERCRED reports what the kernel knows. It relays what the helper sends, line by
 * line, and sends what the test writes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { HELPER_PROTOCOL_VERSION } from '../../shared/ipc/helper-protocol.js';

const AGENT = `
const net = require('net');
const [path, countText] = process.argv.slice(1);
const count = Number(countText);
const sockets = [];
let opened = 0;
for (let i = 0; i < count; i++) {
  const s = net.connect(path);
  sockets.push(s);
  let buffer = '';
  s.setEncoding('utf8');
  s.on('connect', () => { opened++; if (opened === count) process.stdout.write(JSON.stringify({ agent: 'connected', count }) + '\\n'); });
  s.on('data', (d) => {
    buffer += d;
    let nl;
    while ((nl = buffer.indexOf('\\n')) >= 0) {
      process.stdout.write(JSON.stringify({ agent: 'line', conn: i, message: JSON.parse(buffer.slice(0, nl)) }) + '\\n');
      buffer = buffer.slice(nl + 1);
    }
  });
  s.on('error', (e) => process.stdout.write(JSON.stringify({ agent: 'error', conn: i, code: e.code }) + '\\n'));
  s.on('close', () => process.stdout.write(JSON.stringify({ agent: 'closed', conn: i }) + '\\n'));
}
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  input += d;
  let nl;
  while ((nl = input.indexOf('\\n')) >= 0) {
    const { conn, text } = JSON.parse(input.slice(0, nl));
    input = input.slice(nl + 1);
    sockets[conn].write(text);
  }
});
process.stdin.on('end', () => process.exit(0));
`;

export type AgentRecord =
  | { agent: 'connected'; count: number }
  | { agent: 'line'; conn: number; message: Record<string, unknown> }
  | { agent: 'error'; conn: number; code: string }
  | { agent: 'closed'; conn: number };

export class Agent {
  readonly records: AgentRecord[] = [];
  private buffer = '';

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      this.buffer += d;
      let nl;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        this.records.push(JSON.parse(this.buffer.slice(0, nl)) as AgentRecord);
        this.buffer = this.buffer.slice(nl + 1);
      }
    });
  }

  /**
   * Opens `connections` connections to the socket as `uid` (group `gid`, and supplementary groups
   * `groups`, set with setpriv: Node's spawn drops them); resolves once all are connected (or one failed).
   */
  static async open(socketPath: string, uid: number, connections = 1, gid = 0, groups: number[] = []): Promise<Agent> {
    const args = ['-e', AGENT, socketPath, String(connections)];
    const child = groups.length > 0
      ? spawn('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, `--groups=${groups.join(',')}`, process.execPath, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
      : spawn(process.execPath, args, { uid, gid, stdio: ['pipe', 'pipe', 'inherit'] });
    const agent = new Agent(child);
    await agent.until(() => agent.records.some((r) => r.agent === 'connected' || r.agent === 'error'), `uid ${uid} connecting`);
    return agent;
  }

  send(conn: number, message: Record<string, unknown>): void {
    this.child.stdin?.write(`${JSON.stringify({ conn, text: `${JSON.stringify(message)}\n` })}\n`);
  }

  /** Messages the helper sent on one connection. */
  messages(conn = 0): Array<Record<string, unknown>> {
    return this.records.flatMap((r) => (r.agent === 'line' && r.conn === conn ? [r.message] : []));
  }

  /** The socket error a connection failed with (EACCES, ...), if any. */
  error(conn = 0): string | undefined {
    return this.records.flatMap((r) => (r.agent === 'error' && r.conn === conn ? [r.code] : []))[0];
  }

  closed(conn: number): boolean {
    return this.records.some((r) => r.agent === 'closed' && r.conn === conn);
  }

  /** Polls `probe` until it returns a value (or true). */
  async until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`agent: timed out waiting for ${what}; last: ${JSON.stringify(this.records.slice(-3))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends a request on a connection and waits for the reply with its id. */
  request(conn: number, message: Record<string, unknown> & { id: number }): Promise<Record<string, unknown>> {
    this.send(conn, message);
    return this.until(() => this.messages(conn).find((m) => 'ok' in m && m['id'] === message.id), `reply ${message.id} to ${String(message['type'])}`);
  }

  async hello(conn = 0): Promise<void> {
    const reply = await this.request(conn, { id: 1, type: 'hello', version: HELPER_PROTOCOL_VERSION, client: 'agent' });
    if (reply['ok'] !== true) throw new Error(`hello refused: ${JSON.stringify(reply)}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) {
        resolve();
        return;
      }
      this.child.once('exit', () => resolve());
      this.child.stdin?.end();
    });
  }
}

/**
 * The attacker's hands: a tiny process the security tests run AS an unprivileged user (bundled by
 * the global setup into a world-readable directory). It knows nothing of the helper protocol; it
 * opens Unix sockets, writes exactly the bytes the test asks for and reports every line it reads,
 * so a test can send raw frames, half frames or thousands of idle connections from a real uid.
 *
 * Commands arrive on stdin, one JSON object a line; reports leave on stdout the same way.
 *   { op: 'open', conn, path }            → { conn, event: 'open' } | { conn, event: 'error', code }
 *   { op: 'write', conn, data, report? }  → { conn, event: 'wrote' } with `report` (the send time of a latency)
 *   { op: 'fill', conn, bytes }           → { conn, event: 'filled', left } once `bytes` of 'a' (no newline)
 *                                           are written or the connection closed (runs beside later commands)
 *   { op: 'close', conn }
 *   { op: 'open-many', from, count, path} → { event: 'opened-many', opened, errors: { CODE: n } }
 * Every report carries `at`, this process's monotonic milliseconds, so latencies are measured here
 * and not through the pipes.
 */
import { createConnection, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

type Command =
  | { op: 'open'; conn: number; path: string }
  | { op: 'write'; conn: number; data: string; report?: boolean }
  | { op: 'fill'; conn: number; bytes: number }
  | { op: 'close'; conn: number }
  | { op: 'open-many'; from: number; count: number; path: string };

const sockets = new Map<number, Socket>();

function report(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...message, at: performance.now() })}\n`);
}

function open(conn: number, path: string): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    let pending = '';
    socket.setEncoding('utf8');
    socket.once('connect', () => {
      sockets.set(conn, socket);
      resolve(null);
    });
    socket.on('data', (chunk: string) => {
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        report({ conn, event: 'line', text: pending.slice(0, nl) });
        pending = pending.slice(nl + 1);
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (!sockets.has(conn)) resolve(e.code ?? e.message);
      else report({ conn, event: 'socket-error', code: e.code ?? e.message });
    });
    socket.on('close', () => {
      if (sockets.get(conn) === socket) {
        sockets.delete(conn);
        report({ conn, event: 'close' });
      }
    });
  });
}

async function fill(conn: number, bytes: number): Promise<void> {
  const socket = sockets.get(conn);
  if (!socket) {
    report({ conn, event: 'error', code: 'not-open' });
    return;
  }
  const chunk = Buffer.alloc(64 * 1024, 'a');
  let left = bytes;
  while (left > 0 && !socket.destroyed) {
    const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
    left -= piece.length;
    if (!socket.write(piece)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.once('drain', done);
        socket.once('close', done);
      });
    }
  }
  report({ conn, event: 'filled', left });
}

async function handle(c: Command): Promise<void> {
  switch (c.op) {
    case 'open': {
      const error = await open(c.conn, c.path);
      report(error === null ? { conn: c.conn, event: 'open' } : { conn: c.conn, event: 'error', code: error });
      return;
    }
    case 'write':
      sockets.get(c.conn)?.write(c.data);
      if (c.report) report({ conn: c.conn, event: 'wrote' });
      return;
    case 'fill':
      // Not awaited: a helper that stops reading this connection must not hold up the others.
      void fill(c.conn, c.bytes);
      return;
    case 'close':
      sockets.get(c.conn)?.destroy();
      sockets.delete(c.conn);
      return;
    case 'open-many': {
      const errors: Record<string, number> = {};
      let opened = 0;
      // In batches: a burst of thousands of connect() calls at once only measures the backlog.
      for (let i = 0; i < c.count; i += 50) {
        const batch = await Promise.all(Array.from({ length: Math.min(50, c.count - i) }, (_, k) => open(c.from + i + k, c.path)));
        for (const e of batch) {
          if (e === null) opened++;
          else errors[e] = (errors[e] ?? 0) + 1;
        }
      }
      report({ event: 'opened-many', opened, errors });
      return;
    }
  }
}

let chain = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as Command;
  // In order, as the test wrote them; a slow fill does not let a later write overtake it.
  chain = chain.then(() => handle(command)).catch((e: unknown) => report({ event: 'agent-error', message: String(e) }));
}).on('close', () => {
  void chain.then(() => process.exit(0));
});
report({ event: 'ready', uid: process.getuid?.() ?? -1, groups: process.getgroups?.() ?? [] });

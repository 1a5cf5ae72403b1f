/**
 * The dev bridge: the production renderer in an ordinary browser, talking to the REAL app services
 * (electron/main/services) over HTTP instead of Electron IPC. For end-to-end tests, the UI
 * benchmark and the demo where the Electron binary is not available. Never part of the app.
 *
 *   GET  /?token=<token>     checks the token, sets it as an HttpOnly SameSite=Strict cookie and
 *                            redirects to / (the token leaves the address bar and history)
 *   GET  /, /index.html      the built index.html with /bridge/shim.js injected before the app's
 *                            script, and its CSP's `connect-src 'none'` relaxed to `'self'` (the
 *                            shim's fetch/EventSource need it; Electron's IPC does not)
 *   GET  /bridge/shim.js     window.tsunagu over HTTP (shim.ts, bundled with esbuild at start)
 *   POST /bridge/invoke      `{ channel, request }` → the channel's AppResult, through dispatch():
 *                            the same schema validation and reply check as registerHandlers
 *   GET  /bridge/events      AppEvents as Server-Sent Events
 *   GET  /assets/…           the renderer's files
 *
 * Bound to 127.0.0.1 on a random port. Every request needs the token (cookie, or `?token=`, or an
 * `x-tsunagu-token` header for scripts), the Host header must be this address (no DNS rebinding)
 * and a POST must come from this origin.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, sep } from 'node:path';
import { build } from 'esbuild';
import { APP_CHANNELS, type AppChannel, type AppEvent, type AppHandlers } from '../../shared/ipc/app-api.js';
import { dispatch } from '../main/services/register-handlers.js';

const COOKIE = 'tsunagu_bridge';
const MAX_BODY = 2 * 1024 * 1024;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export interface BridgeOptions {
  /** The built renderer (index.html and assets/), see buildRenderer(). */
  rendererDir: string;
  handlers: AppHandlers;
  /** The services' event stream (AppServices.events). */
  events: { on(listener: (event: AppEvent) => void): () => void };
  /** Fixed token (default: 32 random bytes, hex). */
  token?: string;
  /** Fixed port (default: a free one). */
  port?: number;
}

export interface Bridge {
  /** Opens the UI: http://127.0.0.1:<port>/?token=<token> */
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  close(): Promise<void>;
}

let shimCache: Promise<string> | null = null;

/** shim.ts as one browser script (built once per process). */
export function shimScript(): Promise<string> {
  shimCache ??= build({
    entryPoints: [join(import.meta.dirname, 'shim.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome130',
    logLevel: 'warning',
  }).then((r) => r.outputFiles[0]?.text ?? '');
  return shimCache;
}

/** index.html as the bridge serves it: the shim first, and connect-src for the shim's requests. */
export function injectShim(html: string): string {
  const csp = html.replace("connect-src 'none'", "connect-src 'self'");
  const at = csp.search(/<script\b/);
  const tag = '<script src="./bridge/shim.js"></script>\n    ';
  return at < 0 ? csp.replace('</head>', `${tag}</head>`) : csp.slice(0, at) + tag + csp.slice(at);
}

function sameSecret(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return value.join('=');
  }
  return undefined;
}

function send(res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8', headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isChannel(name: unknown): name is AppChannel {
  return typeof name === 'string' && Object.hasOwn(APP_CHANNELS, name);
}

export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const token = options.token ?? randomBytes(32).toString('hex');
  const rendererDir = await realpath(options.rendererDir);
  const indexHtml = injectShim(await readFile(join(rendererDir, 'index.html'), 'utf8'));
  const shim = await shimScript();
  const streams = new Set<ServerResponse>();
  let host = '';
  let origin = '';

  const unsubscribe = options.events.on((event) => {
    const frame = `data: ${JSON.stringify(event)}\n\n`;
    for (const res of streams) res.write(frame);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers.host !== host) return send(res, 421, 'wrong host');
    const url = new URL(req.url ?? '/', origin);
    const queryToken = url.searchParams.get('token') ?? undefined;
    const headerToken = typeof req.headers['x-tsunagu-token'] === 'string' ? req.headers['x-tsunagu-token'] : undefined;
    if (url.pathname === '/' && queryToken !== undefined) {
      if (!sameSecret(queryToken, token)) return send(res, 403, 'forbidden');
      return send(res, 303, '', undefined, { location: '/', 'set-cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/` });
    }
    if (!sameSecret(cookieToken(req) ?? headerToken, token)) return send(res, 403, 'forbidden: open the URL with its token');

    if (req.method === 'POST' && url.pathname === '/bridge/invoke') {
      const from = req.headers.origin;
      if (from !== undefined && from !== origin) return send(res, 403, 'wrong origin');
      const body = await readBody(req);
      if (body === null) return send(res, 413, 'too large');
      let message: { channel?: unknown; request?: unknown };
      try {
        message = JSON.parse(body) as { channel?: unknown; request?: unknown };
      } catch {
        return send(res, 400, 'not JSON');
      }
      if (!isChannel(message.channel)) return send(res, 404, 'no such channel');
      const result = await dispatch(options.handlers, message.channel, message.request);
      return send(res, 200, JSON.stringify(result), 'application/json');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');

    if (url.pathname === '/bridge/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': tsunagu\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (url.pathname === '/bridge/shim.js') return send(res, 200, shim, TYPES['.js']);
    if (url.pathname === '/' || url.pathname === '/index.html') return send(res, 200, indexHtml, TYPES['.html']);

    const file = join(rendererDir, decodeURIComponent(url.pathname));
    if (!file.startsWith(rendererDir + sep)) return send(res, 404, 'not found');
    try {
      const real = await realpath(file);
      if (!real.startsWith(rendererDir + sep)) return send(res, 404, 'not found');
      return send(res, 200, await readFile(real), TYPES[extname(real)] ?? 'application/octet-stream');
    } catch {
      return send(res, 404, 'not found');
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, e instanceof Error ? e.message : String(e));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  host = `127.0.0.1:${port}`;
  origin = `http://${host}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    close: async () => {
      unsubscribe();
      for (const res of streams) res.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

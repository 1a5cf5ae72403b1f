/**
 * Importing from the web against a real local https server (self-signed certificate, 127.0.0.1
 * only): https only (redirects too), the 1 MiB cap whether or not the server declares a length,
 * the content type, the timeout, names from Content-Disposition, certificate checking; and
 * tsunagu://import deep links, from parsing to the import-review event.
 */
import { execFileSync } from 'node:child_process';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../shared/ipc/app-api.js';
import { createAppServices, type AppServices } from '../../electron/main/services/app-services.js';
import type { SafeStorage } from '../../electron/main/services/credential-vault.js';
import { checkImportUrl, contentTypeProblem, downloadProfile, fileNameFor, parseDeepLink } from '../../electron/main/services/url-import.js';

const work = mkdtempSync(join(tmpdir(), 'tsunagu-main-url-'));
const WG = readFileSync(join(import.meta.dirname, '../fixtures/seed/wg-client.conf'), 'utf8');
const MiB = 1024 * 1024;

let ca = '';
let https: Server;
let http: Server;
let base = '';
let plainBase = '';
let plainRequests = 0;

function route(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '/';
  switch (path) {
    case '/office.conf':
      res.writeHead(200, { 'content-type': 'application/x-openvpn-profile', 'content-disposition': 'attachment; filename="office.conf"' });
      res.end(WG);
      return;
    case '/download?id=7':
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-disposition': "attachment; filename*=UTF-8''%E4%BA%AC%E9%83%BD.conf" });
      res.end(WG);
      return;
    case '/untyped/home.conf':
      res.writeHead(200);
      res.end(WG);
      return;
    case '/redirect-https':
      res.writeHead(302, { location: '/office.conf' });
      res.end();
      return;
    case '/redirect-http':
      res.writeHead(301, { location: `${plainBase}/office.conf` });
      res.end();
      return;
    case '/loop':
      res.writeHead(302, { location: '/loop' });
      res.end();
      return;
    case '/big-declared':
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(2 * MiB) });
      res.write('x'.repeat(1024));
      return;
    case '/big-chunked': {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = `${'x'.repeat(64 * 1024 - 1)}\n`;
      let sent = 0;
      const pump = () => {
        while (sent < 4 * MiB && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    case '/html':
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<html><body>Please sign in</body></html>');
      return;
    case '/json':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
      return;
    case '/slow':
      return; // never answers
    default:
      res.writeHead(404);
      res.end();
  }
}

beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(work, 'key.pem'), '-out', join(work, 'cert.pem')], { stdio: 'ignore' });
  ca = readFileSync(join(work, 'cert.pem'), 'utf8');
  https = createHttpsServer({ key: readFileSync(join(work, 'key.pem')), cert: ca }, route);
  http = createHttpServer((req, res) => {
    plainRequests++;
    route(req, res);
  });
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
  plainBase = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  https.closeAllConnections();
  http.closeAllConnections();
  await new Promise((r) => https.close(r));
  await new Promise((r) => http.close(r));
  rmSync(work, { recursive: true, force: true });
});

const get = (path: string, options = {}) => downloadProfile(`${base}${path}`, { ca, ...options });

describe('download from an https URL', () => {
  it('downloads a profile, named by Content-Disposition', async () => {
    const r = await get('/office.conf');
    expect(r).toMatchObject({ ok: true, value: { url: `${base}/office.conf`, fileName: 'office.conf' } });
    if (r.ok) expect(new TextDecoder().decode(r.value.bytes)).toBe(WG);
    expect(await get('/download?id=7')).toMatchObject({ ok: true, value: { fileName: '京都.conf' } });
    // No type is plain bytes; no disposition names it after the URL.
    expect(await get('/untyped/home.conf')).toMatchObject({ ok: true, value: { fileName: 'home.conf' } });
  });

  it('refuses http:// without sending anything', async () => {
    expect(await downloadProfile(`${plainBase}/office.conf`)).toMatchObject({ ok: false, error: { code: 'url-not-https' } });
    expect(plainRequests).toBe(0);
  });

  it('follows redirects to https only', async () => {
    expect(await get('/redirect-https')).toMatchObject({ ok: true, value: { url: `${base}/office.conf` } });
    expect(await get('/redirect-http')).toMatchObject({ ok: false, error: { code: 'url-redirect-insecure' } });
    expect(plainRequests).toBe(0);
    expect(await get('/loop')).toMatchObject({ ok: false, error: { code: 'url-too-many-redirects' } });
  });

  it('stops at 1 MiB, declared or not', async () => {
    const declared = await get('/big-declared');
    expect(declared).toMatchObject({ ok: false, error: { code: 'url-too-large' } });
    if (!declared.ok) expect(declared.error.message.en).toContain('1 MiB');
    expect(await get('/big-chunked')).toMatchObject({ ok: false, error: { code: 'url-too-large' } });
    expect(await get('/office.conf', { maxBytes: 100 })).toMatchObject({ ok: false, error: { code: 'url-too-large' } });
  });

  it('refuses web pages and other content types, and error statuses', async () => {
    expect(await get('/html')).toMatchObject({ ok: false, error: { code: 'url-web-page' } });
    expect(await get('/json')).toMatchObject({ ok: false, error: { code: 'url-content-type', message: { en: 'The address returned “application/json”, not a VPN profile.' } } });
    expect(await get('/missing')).toMatchObject({ ok: false, error: { code: 'url-http-status', message: { ja: 'サーバーがエラーを返しました (HTTP 404)。' } } });
  });

  it('gives up after the timeout', async () => {
    const started = Date.now();
    expect(await get('/slow', { timeoutMs: 300 })).toMatchObject({ ok: false, error: { code: 'url-timeout' } });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('checks the certificate (an untrusted one is a network error)', async () => {
    expect(await downloadProfile(`${base}/office.conf`)).toMatchObject({ ok: false, error: { code: 'url-network' } });
  });
});

describe('URL and header checks', () => {
  it('accepts only absolute https URLs without credentials', () => {
    expect(checkImportUrl('https://vpn.example.com/a.ovpn').ok).toBe(true);
    expect(checkImportUrl('http://vpn.example.com/a.ovpn')).toMatchObject({ ok: false, error: { code: 'url-not-https' } });
    expect(checkImportUrl('file:///etc/passwd')).toMatchObject({ ok: false, error: { code: 'url-not-https' } });
    expect(checkImportUrl('vpn.example.com/a.ovpn')).toMatchObject({ ok: false, error: { code: 'url-invalid' } });
    expect(checkImportUrl('https://trusted.example@evil.example/a.ovpn')).toMatchObject({ ok: false, error: { code: 'url-credentials' } });
    expect(checkImportUrl(`https://x.example/${'a'.repeat(3000)}`)).toMatchObject({ ok: false, error: { code: 'url-invalid' } });
  });

  it('knows profile content types', () => {
    for (const type of ['application/x-openvpn-profile', 'text/plain; charset=utf-8', 'application/octet-stream', undefined]) expect(contentTypeProblem(type)).toBeNull();
    expect(contentTypeProblem('application/xhtml+xml')).toMatchObject({ code: 'url-web-page' });
    expect(contentTypeProblem('image/png')).toMatchObject({ code: 'url-content-type' });
  });

  it('takes only a base name from Content-Disposition', () => {
    const url = new URL('https://x.example/dl/profile.ovpn?token=1');
    expect(fileNameFor('attachment; filename="../../etc/passwd"', url)).toBe('passwd');
    expect(fileNameFor('attachment; filename=work.ovpn', url)).toBe('work.ovpn');
    expect(fileNameFor(undefined, url)).toBe('profile.ovpn');
    expect(fileNameFor(undefined, new URL('https://x.example/'))).toBe('x.example');
  });
});

describe('tsunagu:// deep links', () => {
  it('accepts tsunagu://import with one https url', () => {
    expect(parseDeepLink('tsunagu://import?url=https%3A%2F%2Fvpn.example.com%2Fa.ovpn')).toMatchObject({ ok: true, value: { href: 'https://vpn.example.com/a.ovpn' } });
    expect(parseDeepLink('tsunagu://import/?url=https://vpn.example.com/a.ovpn')).toMatchObject({ ok: true });
    expect(parseDeepLink('tsunagu:import?url=https://vpn.example.com/a.ovpn')).toMatchObject({ ok: true });
  });

  it('refuses other schemes, actions, parameters and non-https targets', () => {
    const refused: Array<[string, string]> = [
      ['tsunagu://import?url=http://vpn.example.com/a.ovpn', 'url-not-https'],
      ['tsunagu://import?url=file:///etc/passwd', 'url-not-https'],
      ['tsunagu://import?url=javascript:alert(1)', 'url-not-https'],
      ['tsunagu://import?url=https://u:p@vpn.example.com/a.ovpn', 'url-credentials'],
      ['tsunagu://import?url=', 'url-invalid'],
      ['tsunagu://import', 'deeplink-invalid'],
      ['tsunagu://connect?url=https://vpn.example.com/a.ovpn', 'deeplink-invalid'],
      ['tsunagu://import?url=https://a.example/&url=https://b.example/', 'deeplink-invalid'],
      ['tsunagu://import?url=https://a.example/&run=1', 'deeplink-invalid'],
      ['https://import?url=https://a.example/', 'deeplink-invalid'],
      ['not a link', 'deeplink-invalid'],
    ];
    for (const [link, code] of refused) expect(parseDeepLink(link), link).toMatchObject({ ok: false, error: { code } });
  });
});

describe('opening a link or file from the operating system', () => {
  const safeStorage: SafeStorage = { isEncryptionAvailable: () => false, getSelectedStorageBackend: () => 'basic_text', encryptString: () => Buffer.alloc(0), decryptString: () => '' };
  let services: AppServices;
  const events: AppEvent[] = [];

  beforeAll(async () => {
    services = await createAppServices({
      dataDir: join(work, 'data'),
      version: '0.1.0',
      platform: 'linux',
      systemLanguage: 'en',
      safeStorage,
      dialogs: { chooseSavePath: async () => null },
      setLaunchAtLogin: async () => undefined,
      helper: { socketPath: join(work, 'no-helper.sock') },
      download: { ca },
    });
    services.events.on((e) => events.push(e));
  });

  it('shows a deep-linked profile for review, saving nothing yet', async () => {
    await services.open({ kind: 'link', url: `tsunagu://import?url=${encodeURIComponent(`${base}/office.conf`)}` });
    const review = events.find((e) => e.type === 'import-review');
    expect(review).toMatchObject({ type: 'import-review', preview: { source: `${base}/office.conf`, items: [{ ok: true, kind: 'wireguard', name: 'office', file: 'office.conf' }] } });
    const list = await services.handlers['profiles:list']({});
    expect(list).toEqual({ ok: true, value: { profiles: [] } });
  });

  it('reports a bad link or an unreadable file as import-failed', async () => {
    events.length = 0;
    await services.open({ kind: 'link', url: `tsunagu://import?url=${encodeURIComponent(`${plainBase}/office.conf`)}` });
    await services.open({ kind: 'file', path: join(work, 'missing.ovpn') });
    expect(events).toMatchObject([
      { type: 'import-failed', error: { code: 'url-not-https' } },
      { type: 'import-failed', source: join(work, 'missing.ovpn'), error: { code: 'IMPORT_NOT_FOUND' } },
    ]);
    expect(plainRequests).toBe(0);
  });
});

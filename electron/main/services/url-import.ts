/**
 * Importing a profile from the web: a typed https URL or a `tsunagu://import?url=https://…` deep
 * link. Everything about the source is untrusted, so the download is https only (redirects too),
 * capped at 1 MiB, bounded in time, and must say it is a profile (or plain bytes), not a web page.
 */
import { request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AppError, AppResult } from '../../../shared/ipc/app-api.js';
import { appError, failed, ok } from './errors.js';

export const MAX_URL_PROFILE_BYTES = 1024 * 1024;
const MAX_URL_LENGTH = 2048;

export interface UrlDownloadOptions {
  timeoutMs?: number;
  maxBytes?: number;
  maxRedirects?: number;
  /** Extra trusted roots (tests use a self-signed certificate); the system's are used otherwise. */
  ca?: string | Buffer;
}

export interface DownloadedProfile {
  /** The address finally downloaded (after redirects). */
  url: string;
  fileName: string;
  bytes: Uint8Array;
}

/** Accepts only absolute https URLs without embedded user names or passwords. */
export function checkImportUrl(raw: string): AppResult<URL> {
  if (raw.length > MAX_URL_LENGTH) return failed(appError('url-invalid', 'errUrlInvalid', {}, 'longer than 2048 characters'));
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return failed(appError('url-invalid', 'errUrlInvalid', {}, raw.slice(0, 200)));
  }
  if (url.protocol !== 'https:') return failed(appError('url-not-https', 'errUrlNotHttps', {}, url.protocol));
  // `https://trusted.example@evil.example/` reads like the first host but goes to the second.
  if (url.username !== '' || url.password !== '') return failed(appError('url-credentials', 'errUrlCredentials'));
  return ok(url);
}

/** `tsunagu://import?url=<https URL>` → the https URL; anything else is refused. */
export function parseDeepLink(raw: string): AppResult<URL> {
  const invalid = (detail: string) => failed<URL>(appError('deeplink-invalid', 'errDeepLinkInvalid', {}, detail));
  if (raw.length > MAX_URL_LENGTH * 3) return invalid('too long');
  let link: URL;
  try {
    link = new URL(raw);
  } catch {
    return invalid('not a URL');
  }
  if (link.protocol !== 'tsunagu:') return invalid(`scheme ${link.protocol}`);
  // `tsunagu://import?…` puts the action in the host; `tsunagu:import?…` in the path.
  const action = (link.host || link.pathname).replace(/^\/+|\/+$/g, '');
  if (action !== 'import') return invalid(`action '${action}'`);
  const keys = [...link.searchParams.keys()];
  const targets = link.searchParams.getAll('url');
  if (targets.length !== 1 || keys.length !== 1) return invalid('expected exactly one url parameter');
  return checkImportUrl(targets[0] ?? '');
}

// x-apple-aspen-config: what web and MDM servers send a .mobileconfig (signed or not) as.
const PROFILE_TYPES = /^(text\/plain|application\/(octet-stream|ovpn|x-ovpn|x-openvpn(-profile)?|x-wireguard(-profile|-config)?|x-wg-quick|x-apple-aspen-config))$/;

/** Null when the declared type may be a profile; otherwise why not. No type means plain bytes. */
export function contentTypeProblem(header: string | undefined): AppError | null {
  const type = (header ?? 'application/octet-stream').split(';')[0]?.trim().toLowerCase() ?? '';
  if (PROFILE_TYPES.test(type)) return null;
  if (type === 'text/html' || type === 'application/xhtml+xml') return appError('url-web-page', 'errUrlWebPage', {}, type);
  return appError('url-content-type', 'errUrlContentType', { type }, type);
}

function baseName(name: string): string {
  return name.split(/[\\/]/).pop()?.trim() ?? '';
}

/** The file name from Content-Disposition (RFC 6266, `filename*` first), else the URL's last segment. */
export function fileNameFor(contentDisposition: string | undefined, url: URL): string {
  if (contentDisposition) {
    const extended = /filename\*\s*=\s*([\w-]+)'[^']*'([^;]+)/i.exec(contentDisposition);
    if (extended?.[2]) {
      try {
        const name = baseName(decodeURIComponent(extended[2].trim()));
        if (name) return name;
      } catch {
        // a malformed escape: fall through to the plain filename
      }
    }
    const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(contentDisposition);
    const value = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2];
    if (value && baseName(value)) return baseName(value);
  }
  const segment = url.pathname.split('/').filter(Boolean).pop();
  if (segment) {
    try {
      const name = baseName(decodeURIComponent(segment));
      if (name) return name;
    } catch {
      return segment;
    }
  }
  return url.hostname;
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${n / (1024 * 1024)} MiB` : `${Math.round(n / 1024)} KiB`;
}

type Hop = { kind: 'redirect'; location: string } | { kind: 'body'; response: IncomingMessage };

function requestOnce(url: URL, options: UrlDownloadOptions, signal: AbortSignal): Promise<AppResult<Hop>> {
  return new Promise((resolve) => {
    const req = httpsRequest(url, {
      method: 'GET',
      headers: { accept: 'application/x-openvpn-profile, text/plain;q=0.9, application/octet-stream;q=0.8', 'user-agent': 'Tsunagu' },
      ...(options.ca ? { ca: options.ca } : {}),
      signal,
    });
    req.on('response', (response) => {
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400 && response.headers.location) {
        response.resume();
        resolve(ok({ kind: 'redirect', location: response.headers.location }));
      } else if (status < 200 || status >= 300) {
        response.resume();
        resolve(failed(appError('url-http-status', 'errUrlStatus', { status }, `HTTP ${status} from ${url.host}`)));
      } else {
        resolve(ok({ kind: 'body', response }));
      }
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (signal.aborted) resolve(failed(appError('url-timeout', 'errUrlTimeout', {}, url.host)));
      else resolve(failed(appError('url-network', 'errUrlNetwork', {}, `${e.code ?? ''} ${e.message}`.trim())));
    });
    req.end();
  });
}

function readCapped(response: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<AppResult<Uint8Array>> {
  return new Promise((resolve) => {
    const tooLarge = () => failed<Uint8Array>(appError('url-too-large', 'errUrlTooLarge', { limit: formatBytes(maxBytes) }));
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      response.destroy();
      resolve(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    response.on('data', (chunk: Buffer) => {
      total += chunk.length;
      // Stop reading the moment the cap is passed: a lying or missing Content-Length changes nothing.
      if (total > maxBytes) {
        response.destroy();
        resolve(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    // Only the first of these settles the promise: 'close' without 'end' means the body was cut short.
    response.on('end', () => resolve(ok(new Uint8Array(Buffer.concat(chunks)))));
    const cutShort = () => resolve(signal.aborted ? failed(appError('url-timeout', 'errUrlTimeout')) : failed(appError('url-network', 'errUrlNetwork', {}, 'connection closed mid-download')));
    response.on('error', cutShort);
    response.on('close', () => {
      if (!response.complete) cutShort();
    });
  });
}

/** Downloads one profile from an https URL, following https redirects only. */
export async function downloadProfile(raw: string, options: UrlDownloadOptions = {}): Promise<AppResult<DownloadedProfile>> {
  const checked = checkImportUrl(raw);
  if (!checked.ok) return checked;
  const maxBytes = options.maxBytes ?? MAX_URL_PROFILE_BYTES;
  const maxRedirects = options.maxRedirects ?? 5;
  // One deadline for the whole exchange, redirects and body included.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 15_000);
  try {
    let url = checked.value;
    for (let hops = 0; ; hops++) {
      const hop = await requestOnce(url, options, controller.signal);
      if (!hop.ok) return hop;
      if (hop.value.kind === 'redirect') {
        if (hops >= maxRedirects) return failed(appError('url-too-many-redirects', 'errUrlTooManyRedirects'));
        let next: URL;
        try {
          next = new URL(hop.value.location, url);
        } catch {
          return failed(appError('url-invalid', 'errUrlInvalid', {}, hop.value.location.slice(0, 200)));
        }
        if (next.protocol !== 'https:') return failed(appError('url-redirect-insecure', 'errUrlRedirectInsecure', {}, next.href.slice(0, 200)));
        const again = checkImportUrl(next.href);
        if (!again.ok) return again;
        url = again.value;
        continue;
      }
      const { response } = hop.value;
      const problem = contentTypeProblem(response.headers['content-type']);
      if (problem) {
        response.destroy();
        return failed(problem);
      }
      const body = await readCapped(response, maxBytes, controller.signal);
      if (!body.ok) return body;
      return ok({ url: url.href, fileName: fileNameFor(response.headers['content-disposition'], url), bytes: body.value });
    }
  } finally {
    clearTimeout(timer);
  }
}

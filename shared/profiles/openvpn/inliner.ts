/**
 * Makes a profile self-contained at import: files it names (ca.crt, client.key, ta.key ...) are
 * looked up beside it (folder or .zip) by basename only and inlined as `<tag>` blocks, so nothing
 * ever reads a user-supplied path later — least of all the root helper.
 */
import { profileError, type LocalizedText, type ProfileError } from '../diagnostics.js';
import type { RawDirective } from './reader.js';

/** Where the files beside a profile come from (a folder, a zip); provided by the caller. */
export interface ProfileFileSource {
  /** Shown in messages: "the folder /home/a/vpn", "vpn.zip". */
  description: LocalizedText;
  /** The file's bytes, or null when there is no such file. `name` is a plain basename. */
  read(name: string): Uint8Array | null;
}

/** Directives whose first argument names a file that may be inlined. */
export const INLINABLE = new Set([
  'ca', 'cert', 'key', 'extra-certs', 'pkcs12', 'crl-verify', 'tls-auth', 'tls-crypt', 'tls-crypt-v2',
  'secret', 'auth-user-pass', 'http-proxy-user-pass',
]);

export const MAX_INLINED_FILE_BYTES = 512 * 1024;

export function basenameOf(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] ?? '';
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function err(code: string, d: RawDirective, en: string, ja: string): ProfileError {
  return profileError(code, d, d.source, { en, ja });
}

function inlineOne(d: RawDirective, files: ProfileFileSource): { replacement: RawDirective[] } | { error: ProfileError } {
  const path = d.args[0] ?? '';
  const name = basenameOf(path);
  const where = files.description;
  if (d.name === 'crl-verify' && d.args[1] === 'dir') {
    return { error: err('IMPORT_CRL_DIRECTORY', d,
      `Line ${d.line}: 'crl-verify ... dir' points at a directory, which cannot be imported. Ask your provider for a single CRL file.`,
      `${d.line} 行目: 'crl-verify ... dir' はディレクトリを指しているためインポートできません。提供元に単一の CRL ファイルを依頼してください。`) };
  }
  if (name === '' || name === '.' || name === '..') {
    return { error: err('IMPORT_NO_FILENAME', d, `Line ${d.line}: '${d.name}' does not name a file.`, `${d.line} 行目: '${d.name}' にファイル名がありません。`) };
  }
  const bytes = files.read(name);
  if (bytes === null) {
    return { error: err('IMPORT_FILE_MISSING', d,
      `Line ${d.line}: '${d.name}' needs the file '${name}', which is not in ${where.en}. Put it next to the profile (or in the same .zip) and import again.`,
      `${d.line} 行目: '${d.name}' にはファイル '${name}' が必要ですが、${where.ja} にありません。プロファイルと同じ場所 (または同じ .zip) に置いて、もう一度インポートしてください。`) };
  }
  if (bytes.length > MAX_INLINED_FILE_BYTES) {
    return { error: err('IMPORT_FILE_TOO_LARGE', d,
      `Line ${d.line}: '${name}' is ${Math.ceil(bytes.length / 1024)} KiB; files up to ${MAX_INLINED_FILE_BYTES / 1024} KiB can be included. Check that it is the right file.`,
      `${d.line} 行目: '${name}' は ${Math.ceil(bytes.length / 1024)} KiB です。取り込めるのは ${MAX_INLINED_FILE_BYTES / 1024} KiB までです。正しいファイルか確認してください。`) };
  }
  let body: string;
  if (d.name === 'pkcs12') {
    // A .p12 is binary DER; OpenVPN's inline <pkcs12> takes it base64-encoded.
    body = toBase64(bytes);
    body = `${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n`;
  } else {
    let text: string;
    try {
      if (bytes.includes(0)) throw new TypeError('binary');
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return { error: err('IMPORT_FILE_BINARY', d,
        `Line ${d.line}: '${name}' is not a text file, so it cannot be included as '${d.name}'. Check that it is the right file.`,
        `${d.line} 行目: '${name}' はテキストファイルではないため、'${d.name}' として取り込めません。正しいファイルか確認してください。`) };
    }
    text = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
    // A file that contains the closing tag could end the block early and inject directives.
    if (text.includes(`</${d.name}`)) {
      return { error: err('IMPORT_FILE_BREAKOUT', d,
        `Line ${d.line}: '${name}' contains the text '</${d.name}>', which would let the file add its own settings. Tsunagu refuses it; check the file.`,
        `${d.line} 行目: '${name}' に '</${d.name}>' という文字列が含まれており、ファイルが独自の設定を追加できてしまいます。Tsunagu は受け付けません。ファイルを確認してください。`) };
    }
    body = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  }
  const inlined: RawDirective = { ...d, args: [], inline: body };
  const direction = d.args[1];
  if ((d.name === 'tls-auth' || d.name === 'secret') && direction !== undefined) {
    // `tls-auth file 1` cannot keep its direction inline; it becomes `key-direction 1`.
    return { replacement: [{ ...d, name: 'key-direction', args: [direction], inline: undefined }, inlined] };
  }
  return { replacement: [inlined] };
}

/** Inlines every file reference it can; returns the new directives and the files that failed. */
export function inlineReferencedFiles(directives: RawDirective[], files: ProfileFileSource): { directives: RawDirective[]; errors: ProfileError[]; inlined: string[] } {
  const errors: ProfileError[] = [];
  const inlined: string[] = [];
  const walk = (list: RawDirective[]): RawDirective[] =>
    list.flatMap((d) => {
      if (d.block) return [{ ...d, block: walk(d.block) }];
      const isReference = INLINABLE.has(d.name) && d.inline === undefined && d.args.length > 0 &&
        !(d.name === 'auth-user-pass' && d.args[0] === 'stdin');
      if (!isReference) return [d];
      const result = inlineOne(d, files);
      if ('error' in result) {
        errors.push(result.error);
        return [d];
      }
      inlined.push(basenameOf(d.args[0] ?? ''));
      return result.replacement;
    });
  const out = walk(directives);
  // An explicit direction from `tls-auth f d` wins over a separate key-direction line.
  const explicit = out.filter((d) => d.name === 'key-direction' && d.inline === undefined && directives.every((o) => o !== d));
  const result = explicit.length > 0 ? out.filter((d) => d.name !== 'key-direction' || explicit.includes(d)) : out;
  return { directives: result, errors, inlined };
}

/**
 * From raw directives (reader.ts) to a validated, typed OpenVPN profile: arity and inline checks as
 * openvpn 2.6 does them, the security policy, server-configuration detection, and the semantic
 * checks a client needs (a server to reach, a CA to trust, a way to authenticate).
 */
import { countedTexts } from '../../i18n/counted.js';
import { MAX_REPORTED_ERRORS, capAdvisories, capErrors, profileError, type Advisory, type ProfileError } from '../diagnostics.js';
import { weakCertificateDigest } from './cert-signature.js';
import { openSslProvides } from './ciphers.js';
import { DEFAULT_POLICY, checkOpenVpnDirective, fileReferenceError, privilegedPortError, serverConfigError, unprivilegedPort, type ProfilePolicy } from '../policy.js';
import { describe, indexByName } from './describe.js';
import { acceptsInline, specOf } from './directives.js';
import { checkInlineBody } from './inline-grammar.js';
import type { OpenVpnDirective, OpenVpnMetadata, OpenVpnProfile } from './model.js';
import { readOpenVpnConfig, type RawDirective } from './reader.js';
import { droppedAdvisory } from './advisories.js';

export interface OpenVpnParseResult {
  profile: OpenVpnProfile | null;
  errors: ProfileError[];
  /** Notes about lines that were dropped (Windows-only, ignored, unknown under `setenv opt`). */
  advisories: Advisory[];
  /** Line of each directive in the source, for advisories. */
  lines: Map<OpenVpnDirective, number>;
}

export interface OpenVpnParseOptions {
  policy?: ProfilePolicy;
  /** Hook run on the raw directives before validation (used to inline referenced files). */
  transformRaw?: (directives: RawDirective[]) => { directives: RawDirective[]; errors: ProfileError[] };
}

const SERVER_MARKERS = new Set(['server', 'server-bridge', 'tls-server', 'server-ipv6']);

function findServerMarker(raw: RawDirective[]): RawDirective | undefined {
  const isClient = raw.some((d) => d.name === 'client' || d.name === 'tls-client' || d.name === 'pull');
  const explicit = raw.find((d) => SERVER_MARKERS.has(d.name) || (d.name === 'mode' && d.args[0] === 'server'));
  if (explicit) return explicit;
  if (isClient) return undefined;
  return raw.find((d) => specOf(d.name)?.role === 'server');
}

function argCountError(d: RawDirective, min: number, max: number): ProfileError {
  const range = min === max ? `${min}` : `${min} to ${max}`;
  return profileError('OVPN_ARG_COUNT', d, d.source, countedTexts('argCount', max, { line: d.line, name: d.name, range, given: d.args.length }));
}

interface Context {
  policy: ProfilePolicy;
  errors: ProfileError[];
  advisories: Advisory[];
  lines: Map<OpenVpnDirective, number>;
  ignorable: Set<string>;
  forwardCompatible: boolean;
  /** Lines whose problem was already reported (e.g. a referenced file that is missing). */
  reportedLines: Set<number>;
  /** Directives skipped for that reason: semantic checks count them as present, to avoid cascades. */
  assumedPresent: Set<string>;
  /** The line where checking stopped early (too many problems), else 0. */
  stoppedAt: number;
}

function convert(raw: RawDirective[], ctx: Context, inConnection: boolean): OpenVpnDirective[] {
  const out: OpenVpnDirective[] = [];
  for (const d of raw) {
    // Past the cap nothing more would be shown, and the profile is refused anyway.
    if (ctx.errors.length > MAX_REPORTED_ERRORS) {
      ctx.stoppedAt ||= d.line;
      break;
    }
    const converted = convertOne(d, ctx, inConnection);
    if (converted) {
      ctx.lines.set(converted, d.line);
      out.push(converted);
    }
  }
  return out;
}

function convertOne(d: RawDirective, ctx: Context, inConnection: boolean): OpenVpnDirective | null {
  const { errors } = ctx;
  if (ctx.reportedLines.has(d.line)) {
    ctx.assumedPresent.add(d.name);
    return null;
  }
  if (d.name === 'connection') {
    if (inConnection) {
      errors.push(profileError('OVPN_NESTED_CONNECTION', d, d.source, {
        en: `Line ${d.line}: a <connection> block cannot contain another <connection> block. Close the first block before opening the next.`,
        ja: `${d.line} 行目: <connection> ブロックの中に別の <connection> ブロックは書けません。前のブロックを閉じてから次を開始してください。`,
      }));
      return null;
    }
    if (d.inline === undefined || !d.block) {
      errors.push(profileError('OVPN_CONNECTION_NOT_INLINE', d, d.source, {
        en: `Line ${d.line}: 'connection' must be written as a <connection> … </connection> block.`,
        ja: `${d.line} 行目: 'connection' は <connection> … </connection> ブロックとして記述してください。`,
      }));
      return null;
    }
    const block = convert(d.block, ctx, true);
    const remotes = d.block.filter((inner) => inner.name === 'remote').length;
    if (remotes !== 1) {
      errors.push(profileError('OVPN_CONNECTION_REMOTE', d, d.source, {
        en: `Line ${d.line}: each <connection> block needs exactly one 'remote' line; this one has ${remotes}.`,
        ja: `${d.line} 行目: 各 <connection> ブロックには 'remote' 行がちょうど 1 つ必要ですが、このブロックには ${remotes} 個あります。`,
      }));
    }
    return { name: 'connection', args: [], block };
  }

  const spec = specOf(d.name);
  if (!spec) {
    if (d.setenvOpt || ctx.forwardCompatible || ctx.ignorable.has(d.name)) {
      ctx.advisories.push(droppedAdvisory('OVPN_UNKNOWN_IGNORED', d));
      return null;
    }
    errors.push(profileError('OVPN_UNKNOWN_DIRECTIVE', d, d.source, {
      en: `Line ${d.line}: '${d.name}' is not an OpenVPN 2.6 option. Check the spelling, or remove the line.`,
      ja: `${d.line} 行目: '${d.name}' は OpenVPN 2.6 のオプションではありません。綴りを確認するか、この行を削除してください。`,
    }));
    return null;
  }

  if (inConnection && !spec.connection) {
    errors.push(profileError('OVPN_NOT_PER_CONNECTION', d, d.source, {
      en: `Line ${d.line}: '${d.name}' is not allowed inside a <connection> block. Move it above the block.`,
      ja: `${d.line} 行目: '${d.name}' は <connection> ブロック内では使えません。ブロックの外 (上) に移動してください。`,
    }));
    return null;
  }

  if (d.inline !== undefined) {
    if (!acceptsInline(d.name)) {
      errors.push(profileError('OVPN_NOT_INLINE', d, d.source, {
        en: `Line ${d.line}: '${d.name}' cannot be written as an inline <${d.name}> block. Write it as a normal line instead.`,
        ja: `${d.line} 行目: '${d.name}' はインラインの <${d.name}> ブロックとして記述できません。通常の行として記述してください。`,
      }));
      return null;
    }
  } else if (d.args.length < spec.min || d.args.length > spec.max) {
    errors.push(argCountError(d, spec.min, spec.max));
    return null;
  }

  // Tokens may legally carry a newline (`foo\<LF>`), which cannot be written back on one line.
  // eslint-disable-next-line no-control-regex
  const controlChar = d.args.find((a) => /[\x00-\x08\x0a-\x1f\x7f]/.test(a));
  if (controlChar !== undefined) {
    errors.push(profileError('OVPN_CONTROL_CHARACTER', d, d.source, {
      en: `Line ${d.line}: a value of '${d.name}' contains a control character (a line break after a backslash?). Remove it.`,
      ja: `${d.line} 行目: '${d.name}' の値に制御文字が含まれています (バックスラッシュの後の改行など)。削除してください。`,
    }));
    return null;
  }

  if (spec.role === 'removed' || spec.role === 'ignored' || spec.role === 'windows-only') {
    if (spec.dropSafely) {
      ctx.advisories.push(droppedAdvisory(spec.role === 'windows-only' ? 'OVPN_WINDOWS_ONLY' : 'OVPN_OBSOLETE_DROPPED', d));
      return null;
    }
    errors.push(profileError('OVPN_REMOVED_DIRECTIVE', d, d.source, {
      en: `Line ${d.line}: '${d.name}' is not supported by OpenVPN 2.6 on this system${spec.replacement ? `. Use '${spec.replacement}' instead` : '. Remove it, or ask your provider for an updated profile'}.`,
      ja: `${d.line} 行目: '${d.name}' はこのシステムの OpenVPN 2.6 では使えません${spec.replacement ? `。代わりに '${spec.replacement}' を使ってください` : '。削除するか、提供元に新しいプロファイルを依頼してください'}。`,
    }));
    return null;
  }
  if (spec.role === 'helper-owned') {
    ctx.advisories.push(droppedAdvisory('OVPN_HELPER_OWNED_DROPPED', d));
    return null;
  }
  if (spec.role === 'server') {
    ctx.advisories.push(droppedAdvisory('OVPN_SERVER_OPTION_DROPPED', d));
    return null;
  }
  if (spec.role === 'standalone') {
    errors.push(profileError('OVPN_STANDALONE_DIRECTIVE', d, d.source, {
      en: `Line ${d.line}: '${d.name}' is a one-off command, not a connection setting. Remove the line.`,
      ja: `${d.line} 行目: '${d.name}' は単発のコマンドであり、接続設定ではありません。この行を削除してください。`,
    }));
    return null;
  }

  // Permission for scripts, not a script: without the administrator's opt-in it is left out (openvpn's
  // default level 1 then runs none), and a script line is refused on its own.
  if (d.name === 'script-security' && !ctx.policy.allowScripts && !(Number(d.args[0]) <= 1)) {
    ctx.advisories.push(droppedAdvisory('OVPN_SCRIPT_SECURITY_DROPPED', d));
    return null;
  }
  const refusal = checkOpenVpnDirective(d, ctx.policy);
  if (refusal) {
    errors.push(refusal);
    return null;
  }

  if (d.inline !== undefined && spec.inline !== undefined) {
    const malformed = checkInlineBody(d.name, spec.inline, d.inline, d.line, d.source);
    if (malformed) {
      errors.push(malformed);
      // The block is there, only broken: no "no CA" / "no way to sign in" on top of it.
      ctx.assumedPresent.add(d.name);
      return null;
    }
  }
  if (d.inline === undefined && spec.fileArg !== undefined) {
    const file = d.args[spec.fileArg];
    if (file !== undefined && isFileArgument(d.name, spec.fileArg, file)) {
      errors.push(fileReferenceError(d, file));
      // The file is the one problem: no "no CA" / "not a client" because its directive is gone.
      ctx.assumedPresent.add(d.name);
      return null;
    }
  }
  return d.inline !== undefined ? { name: d.name, args: [], inline: d.inline } : { name: d.name, args: [...d.args] };
}

/** Arguments in a file position that are keywords, not paths. */
function isFileArgument(name: string, index: number, value: string): boolean {
  if ((name === 'http-proxy' || name === 'socks-proxy') && index === 2) return !['auto', 'auto-nct', 'stdin'].includes(value);
  if (name === 'auth-user-pass' && value === 'stdin') return false;
  return true;
}

function semanticErrors(profile: OpenVpnProfile, lines: Map<OpenVpnDirective, number>, assumedPresent: Set<string>): ProfileError[] {
  const errors: ProfileError[] = [];
  const index = indexByName(profile.directives);
  const first = (name: string) => index.get(name)?.[0];
  const lineOf = (name: string) => {
    const d = first(name);
    return d ? lines.get(d) ?? 0 : 0;
  };
  const has = (name: string) => first(name) !== undefined || assumedPresent.has(name);
  const staticKey = has('secret');

  if (!has('client') && !(has('tls-client') && has('pull')) && !staticKey) {
    errors.push(profileError('OVPN_NOT_A_CLIENT', { line: 0 }, '', {
      en: "This profile does not say it is a client: the 'client' line is missing. Add a line 'client', or ask your provider for the client profile.",
      ja: "このプロファイルにはクライアントであることを示す 'client' 行がありません。'client' 行を追加するか、提供元にクライアント用プロファイルを依頼してください。",
    }));
  }
  if (profile.remotes.length === 0) {
    errors.push(profileError('OVPN_NO_REMOTE', { line: 0 }, '', {
      en: "This profile names no server: add a line 'remote <server address> [port] [udp|tcp]'.",
      ja: "このプロファイルには接続先サーバーがありません。'remote <サーバーのアドレス> [ポート] [udp|tcp]' の行を追加してください。",
    }));
  }
  // Values are checked the same at top level and inside <connection> blocks.
  const all = profile.directives.flatMap((d) => (d.block ? [d, ...d.block] : [d]));
  for (const d of all) {
    if (d.name === 'remote') {
      const port = d.args[1];
      if (port !== undefined && !validPort(port)) errors.push(valueError(d, lines, `port '${port}'`, 'a number from 1 to 65535'));
      const proto = d.args[2];
      if (proto !== undefined && !CLIENT_PROTOS.has(proto)) errors.push(valueError(d, lines, `protocol '${proto}'`, PROTOS_EXPECTED));
    }
    if (d.name === 'proto' && !CLIENT_PROTOS.has(d.args[0] ?? '')) errors.push(valueError(d, lines, `protocol '${d.args[0]}'`, PROTOS_EXPECTED));
    if (d.name === 'proto-force' && d.args[0] !== 'udp' && d.args[0] !== 'tcp') errors.push(valueError(d, lines, `protocol '${d.args[0]}'`, 'udp or tcp'));
    if ((d.name === 'port' || d.name === 'rport') && !validPort(d.args[0] ?? '')) {
      errors.push(valueError(d, lines, `port '${d.args[0]}'`, 'a number from 1 to 65535'));
    }
    // openvpn reads it with atoi(): '30s' would be 30 seconds, so only plain numbers.
    if (d.name === 'explicit-exit-notify' && d.args[0] !== undefined && !/^\d{1,9}$/.test(d.args[0])) {
      errors.push(valueError(d, lines, `count '${d.args[0]}'`, 'a number of attempts, such as 1'));
    }
    if (d.name === 'key-direction' && d.args[0] !== '0' && d.args[0] !== '1') {
      errors.push(valueError(d, lines, `direction '${d.args[0]}'`, '0 or 1'));
    }
    if (d.name === 'static-challenge' && d.args[1] !== '0' && d.args[1] !== '1') {
      errors.push(valueError(d, lines, `echo flag '${d.args[1]}'`, '0 (hide the answer) or 1 (show it)'));
    }
    if (d.name === 'shaper' && !(/^\d{3,9}$/.test(d.args[0] ?? '') && Number(d.args[0]) >= 100 && Number(d.args[0]) <= 100_000_000)) {
      errors.push(valueError(d, lines, `rate '${d.args[0]}'`, 'a number of bytes per second from 100 to 100000000'));
    }
    if (d.name === 'compat-mode' && !/^\d+\.\d+(\.\d+)?$/.test(d.args[0] ?? '')) {
      errors.push(valueError(d, lines, `version '${d.args[0]}'`, 'an OpenVPN version such as 2.4.0'));
    }
    if (d.name === 'dev-type' && d.args[0] !== 'tun' && d.args[0] !== 'tap') {
      errors.push(valueError(d, lines, `device type '${d.args[0]}'`, 'tun or tap'));
    }
  }
  errors.push(...privilegedBind(all, lines));
  const dev = profile.device;
  // openvpn's dev_type_enum(): the name's prefix decides, and 'null' is a device of its own.
  if (!/^(tun|tap|null)/.test(dev) && !has('dev-type')) {
    errors.push(profileError('OVPN_DEVICE_TYPE', { line: lineOf('dev') }, `dev ${dev}`, {
      en: `Line ${lineOf('dev')}: OpenVPN cannot tell whether device '${dev}' is tun or tap. Add 'dev-type tun' or 'dev-type tap'.`,
      ja: `${lineOf('dev')} 行目: デバイス '${dev}' が tun か tap か判別できません。'dev-type tun' または 'dev-type tap' を追加してください。`,
    }));
  }
  // openvpn's cert profile is OpenSSL security level 1, where a SHA-1 signature is too weak; only
  // 'tls-cert-profile insecure' or a cipher string with @SECLEVEL=0 lower it.
  const lowered = index.get('tls-cert-profile')?.at(-1)?.args[0] === 'insecure' || /@SECLEVEL=0/i.test(index.get('tls-cipher')?.at(-1)?.args[0] ?? '');
  const certLine = first('cert');
  const weak = certLine?.inline !== undefined && !lowered ? weakCertificateDigest(certLine.inline) : null;
  if (certLine && weak) {
    const line = lines.get(certLine) ?? 0;
    errors.push(profileError('OVPN_CERT_WEAK_SIGNATURE', { line }, 'cert', {
      en: `Line ${line}: the client certificate in <cert> is signed with ${weak}, which OpenSSL 3 on this system refuses as too weak ("ca md too weak"), so OpenVPN cannot start. Ask your provider for a new certificate signed with SHA-256.`,
      ja: `${line} 行目: <cert> のクライアント証明書は ${weak} で署名されています。このシステムの OpenSSL 3 は弱すぎるとして拒否するため ("ca md too weak")、OpenVPN は起動できません。提供元に SHA-256 で署名された新しい証明書を依頼してください。`,
    }));
  }
  if (first('secret')) {
    // Static-key mode negotiates nothing: the data channel uses 'cipher', BF-CBC when unset.
    const cipherLine = index.get('cipher')?.at(-1);
    const cipher = cipherLine?.args[0] ?? 'BF-CBC';
    if (!openSslProvides(cipher)) {
      const line = cipherLine ? lines.get(cipherLine) ?? 0 : lineOf('secret');
      const implied = cipherLine ? '' : ' (the cipher a static-key profile uses when it names none)';
      const impliedJa = cipherLine ? '' : ' (暗号を指定しない静的鍵プロファイルが使う暗号)';
      errors.push(profileError('OVPN_CIPHER_UNAVAILABLE', { line }, cipherLine ? `cipher ${cipher}` : 'secret', {
        en: `Line ${line}: this static-key profile encrypts with ${cipher}${implied}, which OpenVPN 2.6 on this system no longer provides (OpenSSL 3 moved it to its legacy module), so OpenVPN would refuse to start. Ask your provider for a certificate-based profile, or for the cipher their server uses (such as 'cipher AES-256-CBC').`,
        ja: `${line} 行目: この静的鍵プロファイルは ${cipher}${impliedJa} で暗号化しますが、このシステムの OpenVPN 2.6 はこの暗号をもう提供していません (OpenSSL 3 がレガシーモジュールに移しました)。そのため OpenVPN は起動を拒否します。提供元に証明書ベースのプロファイル、またはサーバーが使う暗号 ('cipher AES-256-CBC' など) を問い合わせてください。`,
      }));
    }
  }
  if (!staticKey) {
    // openvpn takes the CA certificates from the PKCS#12 bundle when no --ca is given.
    if (!has('ca') && !has('peer-fingerprint') && !has('pkcs12')) {
      errors.push(profileError('OVPN_NO_CA', { line: 0 }, '', {
        en: 'This profile has no certificate authority (<ca>) to check the server with. Import it together with its ca.crt, or ask your provider for a complete profile.',
        ja: 'このプロファイルにはサーバーを検証するための認証局 (<ca>) がありません。ca.crt と一緒にインポートするか、提供元に完全なプロファイルを依頼してください。',
      }));
    }
    if (has('cert') !== has('key') && !assumedPresent.has('pkcs12')) {
      const present = has('cert') ? 'cert' : 'key';
      const missing = present === 'cert' ? 'key' : 'cert';
      errors.push(profileError('OVPN_CERT_KEY_PAIR', { line: lineOf(present) }, present, {
        en: `Line ${lineOf(present)}: the profile has a '${present}' but no '${missing}'. Both the client certificate and its key are needed.`,
        ja: `${lineOf(present)} 行目: '${present}' はありますが '${missing}' がありません。クライアント証明書とその鍵の両方が必要です。`,
      }));
    }
    if (has('pkcs12') && (has('cert') || has('key'))) {
      errors.push(profileError('OVPN_PKCS12_WITH_CERT', { line: lineOf('pkcs12') }, 'pkcs12', {
        en: `Line ${lineOf('pkcs12')}: 'pkcs12' already contains the certificate and key; remove the separate 'cert'/'key'.`,
        ja: `${lineOf('pkcs12')} 行目: 'pkcs12' には証明書と鍵が含まれています。別に指定された 'cert'/'key' を削除してください。`,
      }));
    }
    const a = profile.auth;
    const signIn = has('cert') || has('key') || has('pkcs12') || has('auth-user-pass') || a.token;
    if (!signIn && has('client')) {
      errors.push(profileError('OVPN_NO_AUTH', { line: 0 }, '', {
        en: "This profile has no way to sign in: add the client certificate and key (<cert>, <key>), a <pkcs12>, or 'auth-user-pass'.",
        ja: "このプロファイルにはサインイン方法がありません。クライアント証明書と鍵 (<cert>, <key>)、<pkcs12>、または 'auth-user-pass' を追加してください。",
      }));
    }
  }
  return errors;
}

/** socket.c's protocols a client can use; `tcp-server` and its kin make openvpn listen (or abort). */
const CLIENT_PROTOS = new Set([
  'udp', 'tcp', 'tcp-client', 'udp4', 'udp6', 'tcp4', 'tcp6', 'tcp4-client', 'tcp6-client',
]);
const PROTOS_EXPECTED = `one of ${[...CLIENT_PROTOS].join(', ')}`;

function validPort(value: string): boolean {
  return /^\d{1,5}$/.test(value) && Number(value) >= 1 && Number(value) <= 65535;
}

/**
 * `port N` sets the local port too, and openvpn binds it when `local`, `lport` or `bind` asks for
 * a bound socket (in either order: a later `port` overrides an earlier `lport`). As root that
 * would hand the profile a privileged port. Without those, automatic `nobind` covers it.
 */
function privilegedBind(all: OpenVpnDirective[], lines: Map<OpenVpnDirective, number>): ProfileError[] {
  if (!all.some((d) => d.name === 'local' || d.name === 'lport' || d.name === 'bind')) return [];
  return all
    .filter((d) => d.name === 'port' && !unprivilegedPort(d.args[0] ?? ''))
    .map((d) => {
      const line = lines.get(d) ?? 0;
      return privilegedPortError({ line, source: [d.name, ...d.args].join(' ') }, 'port', d.args[0] ?? '');
    });
}

function valueError(d: OpenVpnDirective, lines: Map<OpenVpnDirective, number>, what: string, expected: string): ProfileError {
  const line = lines.get(d) ?? 0;
  return profileError('OVPN_BAD_VALUE', { line }, [d.name, ...d.args].join(' '), {
    en: `Line ${line}: '${d.name}' has an invalid ${what}; expected ${expected}.`,
    ja: `${line} 行目: '${d.name}' の ${what} が正しくありません。${expected} を指定してください。`,
  });
}

export function parseOpenVpn(input: Uint8Array | string, options: OpenVpnParseOptions = {}): OpenVpnParseResult {
  const lines = new Map<OpenVpnDirective, number>();
  const read = readOpenVpnConfig(input);
  let raw = read.directives;
  const errors: ProfileError[] = [...read.errors];
  // An internal reader failure says nothing about the profile itself: report it alone.
  const internal = read.errors.find((e) => e.code === 'OVPN_READ_FAILED');
  if (internal) return { profile: null, errors: [internal], advisories: [], lines };

  const server = findServerMarker(raw);
  if (server) {
    return { profile: null, errors: [serverConfigError('openvpn', server.line, server.source.trim())], advisories: [], lines };
  }
  const reportedLines = new Set<number>();
  if (options.transformRaw) {
    const transformed = options.transformRaw(raw);
    raw = transformed.directives;
    errors.push(...transformed.errors);
    for (const e of transformed.errors) reportedLines.add(e.line);
  }

  const ctx: Context = {
    policy: options.policy ?? DEFAULT_POLICY,
    errors,
    advisories: [],
    lines,
    ignorable: new Set(raw.filter((d) => d.name === 'ignore-unknown-option').flatMap((d) => d.args)),
    forwardCompatible: raw.some((d) => d.name === 'setenv' && d.args[0] === 'FORWARD_COMPATIBLE' && d.args[1] === '1'),
    reportedLines,
    // A line openvpn reads but Tsunagu cannot (its own error): its directive is not "missing".
    assumedPresent: new Set(read.unreadable),
    stoppedAt: read.stoppedAt,
  };
  const directives = convert(raw, ctx, false);
  const metadata: OpenVpnMetadata = {
    values: read.metadata.values.map(({ key, value }) => ({ key, value })),
    blocks: read.metadata.blocks.map(({ tag, lines: body }) => ({ tag, lines: [...body] })),
  };
  const profile = describe(directives, metadata);
  // Semantic checks of a half-read profile would only add noise.
  if (ctx.stoppedAt === 0) errors.push(...semanticErrors(profile, lines, ctx.assumedPresent));
  errors.sort((a, b) => a.line - b.line);
  const reported = capErrors(errors, ctx.stoppedAt);
  return { profile: reported.length === 0 ? profile : null, errors: reported, advisories: capAdvisories(ctx.advisories), lines };
}

/**
 * A new WireGuard tunnel made here rather than imported: the app generates the key pair, the user
 * gives what the server administrator told them (endpoint, server key, allowed IPs, their tunnel
 * address), and the result is a wg-quick profile plus the [Peer] block the administrator adds on
 * the server. The profile text is checked by inspectProfile exactly as an import would be, and its
 * errors are mapped back to the form field whose line they point at.
 */
import type { LocalizedText, ProfileError } from '../diagnostics.js';
import { inspectProfile, type InspectAccepted } from '../inspect.js';
import { safeProfileName } from '../name.js';
import { generatePrivateKey, publicKeyFromPrivate } from './keys.js';

/** The form's fields, as typed (main trims them; empty optional fields mean "not set"). */
export interface NewWireGuardInput {
  name: string;
  /** The client's tunnel address(es), comma separated: "10.0.0.2/32, fd00::2/128". */
  address: string;
  dns?: string;
  /** host:port, [v6]:port. */
  endpoint: string;
  serverPublicKey: string;
  allowedIPs: string;
  /** Seconds, as typed. */
  persistentKeepalive?: string;
}

export type NewWireGuardField = 'name' | 'address' | 'dns' | 'endpoint' | 'serverPublicKey' | 'allowedIPs' | 'persistentKeepalive';

/** `form` when a problem belongs to no single field (the whole profile was refused). */
export interface NewWireGuardFieldError {
  field: NewWireGuardField | 'form';
  code: string;
  message: LocalizedText;
}

export type NewWireGuardResult =
  | {
      ok: true;
      /** The profile name, made safe (the store may still add " (2)"). */
      name: string;
      /** Canonical wg-quick text: inspectProfile accepts it and reads it back as `inspection.profile`. */
      text: string;
      inspection: InspectAccepted<'wireguard'>;
      privateKey: string;
      publicKey: string;
      /** What the server administrator adds to the server's configuration for this client. */
      peerBlock: string;
    }
  | { ok: false; fieldErrors: NewWireGuardFieldError[] };

const REQUIRED: Record<'name' | 'address' | 'endpoint' | 'serverPublicKey' | 'allowedIPs', LocalizedText> = {
  name: { en: 'Give the tunnel a name.', ja: 'トンネルの名前を入力してください。' },
  address: {
    en: 'Enter the tunnel address the administrator gave you, e.g. 10.0.0.2/32.',
    ja: '管理者から伝えられたトンネル内のアドレスを入力してください (例: 10.0.0.2/32)。',
  },
  endpoint: {
    en: "Enter the server's address and port, e.g. vpn.example.com:51820.",
    ja: 'サーバーのアドレスとポートを入力してください (例: vpn.example.com:51820)。',
  },
  serverPublicKey: {
    en: "Enter the server's public key (44 characters, ending in \"=\").",
    ja: 'サーバーの公開鍵を入力してください (「=」で終わる 44 文字)。',
  },
  allowedIPs: {
    en: 'Enter the networks to reach through the tunnel, e.g. 10.0.0.0/24 (0.0.0.0/0 for all traffic).',
    ja: 'トンネル経由でつなぐネットワークを入力してください (例: 10.0.0.0/24。すべての通信なら 0.0.0.0/0)。',
  },
};

const ONE_LINE: LocalizedText = {
  en: 'This field must be a single line.',
  ja: 'この欄には 1 行で入力してください。',
};

const NAME_UNUSABLE: LocalizedText = {
  en: 'This name has no usable characters. Use letters or digits.',
  ja: 'この名前には使える文字がありません。文字か数字を使ってください。',
};

/** The private key given (tests), or a new one from the platform's CSPRNG. */
export interface NewWireGuardKeys {
  privateKey: string;
}

interface Line {
  text: string;
  field: NewWireGuardField | 'form';
}

/** Which field's line an inspection error points at (line numbers are 1-based; 0 is the whole file). */
function fieldOf(lines: readonly Line[], error: ProfileError): NewWireGuardField | 'form' {
  return lines[error.line - 1]?.field ?? 'form';
}

/** The parser's messages start with the line ("Line 3: "), which means nothing beside a form field. */
function withoutLine(error: ProfileError): LocalizedText {
  const en = `Line ${error.line}: `;
  const ja = `${error.line} 行目: `;
  return {
    en: error.message.en.startsWith(en) ? error.message.en.slice(en.length) : error.message.en,
    ja: error.message.ja.startsWith(ja) ? error.message.ja.slice(ja.length) : error.message.ja,
  };
}

function hostAddress(address: string): string {
  const host = address.split('/')[0] ?? address;
  return host.includes(':') ? `${host}/128` : `${host}/32`;
}

/** The [Peer] block for the server: this client's key and its tunnel addresses, each as one host. */
export function peerBlockFor(name: string, publicKey: string, addresses: readonly string[]): string {
  return [`[Peer]`, `# ${name}`, `PublicKey = ${publicKey}`, `AllowedIPs = ${addresses.map(hostAddress).join(', ')}`, ''].join('\n');
}

/**
 * Builds a new tunnel. Never throws for bad input: every problem comes back per field, in both
 * languages, with the code the import check gives for the same mistake.
 */
export function newWireGuardTunnel(input: NewWireGuardInput, keys?: NewWireGuardKeys): NewWireGuardResult {
  const fieldErrors: NewWireGuardFieldError[] = [];
  const value = (field: NewWireGuardField): string => {
    const raw = input[field] ?? '';
    if (/[\r\n\u2028\u2029]/.test(raw)) {
      fieldErrors.push({ field, code: 'WG_NEW_MULTILINE', message: ONE_LINE });
      return '';
    }
    return raw.trim();
  };
  const fields = {
    name: value('name'),
    address: value('address'),
    dns: value('dns'),
    endpoint: value('endpoint'),
    serverPublicKey: value('serverPublicKey'),
    allowedIPs: value('allowedIPs'),
    persistentKeepalive: value('persistentKeepalive'),
  };
  for (const field of ['name', 'address', 'endpoint', 'serverPublicKey', 'allowedIPs'] as const) {
    if (fields[field] === '' && !fieldErrors.some((e) => e.field === field)) {
      fieldErrors.push({ field, code: 'WG_NEW_REQUIRED', message: REQUIRED[field] });
    }
  }
  const name = safeProfileName(fields.name);
  if (fields.name !== '' && name === '') fieldErrors.push({ field: 'name', code: 'WG_NEW_NAME_INVALID', message: NAME_UNUSABLE });

  const privateKey = keys?.privateKey ?? generatePrivateKey();
  const derived = publicKeyFromPrivate(privateKey);
  if (!derived.ok) return { ok: false, fieldErrors: [{ field: 'form', code: derived.error.code, message: derived.error.message }] };

  // One key per line, so that an error's line names its field. Empty fields are left out, and
  // checked above when they are required.
  const lines: Line[] = [
    { text: '[Interface]', field: 'form' },
    { text: `PrivateKey = ${privateKey}`, field: 'form' },
  ];
  const put = (key: string, field: NewWireGuardField, text: string) => {
    if (text !== '') lines.push({ text: `${key} = ${text}`, field });
  };
  put('Address', 'address', fields.address);
  put('DNS', 'dns', fields.dns);
  lines.push({ text: '', field: 'form' }, { text: '[Peer]', field: 'form' });
  put('PublicKey', 'serverPublicKey', fields.serverPublicKey);
  put('Endpoint', 'endpoint', fields.endpoint);
  put('AllowedIPs', 'allowedIPs', fields.allowedIPs);
  put('PersistentKeepalive', 'persistentKeepalive', fields.persistentKeepalive);
  lines.push({ text: '', field: 'form' });

  // Missing required keys would only repeat the errors above in the file's words.
  const inspection = inspectProfile(lines.map((l) => l.text).join('\n'), { kind: 'wireguard', fileName: `${name || 'wireguard'}.conf` });
  if (!inspection.ok) {
    const missing = new Set(fieldErrors.map((e) => e.field));
    for (const error of inspection.errors) {
      const field = fieldOf(lines, error);
      if (field === 'form' && fieldErrors.length > 0) continue;
      if (missing.has(field)) continue;
      fieldErrors.push({ field, code: error.code, message: field === 'form' ? error.message : withoutLine(error) });
    }
  }
  if (fieldErrors.length > 0) return { ok: false, fieldErrors };
  if (!inspection.ok || inspection.kind !== 'wireguard') {
    // Unreachable: a refusal without errors. Kept as a value so nothing escapes.
    return { ok: false, fieldErrors: [{ field: 'form', code: 'WG_INTERNAL', message: { en: 'The profile could not be created.', ja: 'プロファイルを作成できませんでした。' } }] };
  }
  const publicKey = inspection.profile.interface.publicKey;
  return {
    ok: true,
    name,
    text: inspection.canonical,
    inspection,
    privateKey,
    publicKey,
    peerBlock: peerBlockFor(name, publicKey, inspection.profile.interface.addresses),
  };
}

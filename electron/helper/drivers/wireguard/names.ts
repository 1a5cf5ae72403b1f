/**
 * Interface naming, log redaction and the user-facing error texts of the WireGuard driver.
 */
import { createHash } from 'node:crypto';
import type { Localized } from '../../../../shared/ipc/helper-protocol.js';

/** What wg-quick accepts as an interface name (it takes the name from `<name>.conf`). */
export const INTERFACE_NAME_RE = /^[a-zA-Z0-9_=+.-]{1,15}$/;

/**
 * `tsu` + 8 characters derived from the session id. Hashed rather than sliced so that ids sharing a
 * prefix still get different names: wireguard-go's UAPI socket (/var/run/wireguard/<if>.sock) is
 * global, so a name must be unique on the whole host, not just inside one network namespace.
 */
export function interfaceNameFor(sessionId: string): string {
  const digest = createHash('sha256').update(`tsunagu-wireguard:${sessionId}`).digest();
  let suffix = '';
  for (let i = 0; i < 8; i++) suffix += 'abcdefghijklmnopqrstuvwxyz234567'[(digest[i] ?? 0) & 31];
  return `tsu${suffix}`;
}

/** A name we may hand to wg-quick / ip as an argument (no option-looking leading dash). */
export function isSafeInterfaceName(name: string): boolean {
  return INTERFACE_NAME_RE.test(name) && !name.startsWith('-');
}

/** Anything shaped like a WireGuard key (private, preshared or public) is hidden from logs. */
export function redactKeys(text: string): string {
  return text.replace(/[A-Za-z0-9+/]{42}[AEIMQUYcgkosw480]=/g, '(key hidden)');
}

export type WireGuardErrorCode = 'no-handshake' | 'tunnel-setup-failed' | 'tunnel-process-exited' | 'interface-removed';

export const MESSAGES = {
  noHandshake: {
    en: 'No handshake: check the endpoint and keys.',
    ja: 'ハンドシェイクが成立しません。エンドポイントと鍵を確認してください。',
  },
  setupFailed: {
    en: 'wg-quick could not set up the tunnel.',
    ja: 'wg-quick がトンネルを設定できませんでした。',
  },
  endpointUnresolved: {
    en: 'wg-quick could not resolve the endpoint’s host name: check the Endpoint and the DNS of this computer.',
    ja: 'wg-quick がエンドポイントのホスト名を解決できませんでした。Endpoint とこのコンピューターの DNS を確認してください。',
  },
  processExited: {
    en: 'The WireGuard process (wireguard-go) stopped unexpectedly.',
    ja: 'WireGuard のプロセス (wireguard-go) が予期せず終了しました。',
  },
  interfaceRemoved: {
    en: 'The WireGuard interface disappeared (removed outside Tsunagu).',
    ja: 'WireGuard のインターフェイスが消えました (Tsunagu 以外から削除されました)。',
  },
} satisfies Record<string, Localized>;

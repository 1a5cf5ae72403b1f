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
  routeExists: {
    en: 'Another connection already routes some of this profile’s networks. Disconnect the other VPN first, or remove those networks from AllowedIPs.',
    ja: 'このプロファイルのネットワークの一部は、すでに別の接続が経路を持っています。先に他の VPN を切断するか、AllowedIPs からそのネットワークを外してください。',
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

/**
 * Which message explains a failed `wg-quick up`, from its output. wg-quick echoes each command as
 * `[#] ip -4 route add 10.0.0.0/24 dev wg0` before running it, so when `ip` answers "File exists"
 * the network that collided is the one on the last route command.
 */
export function setupFailureMessage(output: string): { message: Localized; network: string | null } {
  if (/name resolution|Name or service not known|Name does not resolve/i.test(output)) return { message: MESSAGES.endpointUnresolved, network: null };
  if (/RTNETLINK answers: File exists/.test(output)) {
    const routes = [...output.matchAll(/^\[#\] ip (?:-[46] )?route add (\S+)/gm)];
    const network = routes.at(-1)?.[1] ?? null;
    if (!network) return { message: MESSAGES.routeExists, network: null };
    return {
      message: {
        en: `${MESSAGES.routeExists.en} (${network})`,
        ja: `${MESSAGES.routeExists.ja}（${network}）`,
      },
      network,
    };
  }
  return { message: MESSAGES.setupFailed, network: null };
}

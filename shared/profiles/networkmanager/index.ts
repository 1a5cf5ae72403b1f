/**
 * NetworkManager keyfiles (.nmconnection) as translators (contract C3): a keyfile is not a kind of
 * its own but the OpenVPN, WireGuard or strongSwan connection it describes, rewritten in that
 * kind's format and then inspected as any file of that kind. Anything else NetworkManager can hold
 * (Ethernet, Wi-Fi, L2TP, PPTP, Cisco AnyConnect …) is refused with a reason.
 */
import { profileError, type LocalizedText, type ProfileError } from '../diagnostics.js';
import type { ProfileKind } from '../kinds.js';
import type { ProfileFileSource } from '../openvpn/inliner.js';
import { findEntry, findGroup, looksLikeKeyfile, parseKeyfile, stringValue, type Keyfile } from './keyfile.js';
import { entryError, missingKey } from './messages.js';
import { translateOpenVpnKeyfile } from './openvpn.js';
import { translateStrongSwanKeyfile } from './strongswan.js';
import type { TranslateContext, Translation, TranslatorResult } from './translation.js';
import { translateWireGuardKeyfile } from './wireguard.js';

export type { Translation } from './translation.js';
export { looksLikeKeyfile } from './keyfile.js';

const SERVICE_PREFIX = 'org.freedesktop.NetworkManager.';

/** The VPN plugins NetworkManager ships that Tsunagu cannot run, by their service name's last part. */
const OTHER_VPNS: Record<string, string> = {
  pptp: 'PPTP',
  vpnc: 'Cisco VPN (vpnc)',
  openconnect: 'OpenConnect / Cisco AnyConnect',
  libreswan: 'Libreswan',
  fortisslvpn: 'Fortinet SSL VPN',
  sstp: 'SSTP',
  iodine: 'iodine (DNS tunnel)',
  ssh: 'SSH',
  'strongswan-swanctl': 'strongSwan',
};

const t = (en: string, ja: string): LocalizedText => ({ en, ja });

function isNmFileName(fileName: string | undefined): boolean {
  return fileName !== undefined && /\.nmconnection$/i.test(fileName);
}

/** A guess at the kind for a keyfile that cannot be read (so the refusal is filed under it). */
function guessKind(text: string): ProfileKind {
  if (/^\s*type\s*=\s*wireguard\s*$/m.test(text)) return 'wireguard';
  if (/NetworkManager\.(strongswan|l2tp|libreswan)/.test(text)) return 'ikev2';
  return 'openvpn';
}

function refused(kind: ProfileKind, errors: ProfileError[]): Translation {
  return { ok: false, kind, errors };
}

function finish(kind: ProfileKind, name: string | null, result: TranslatorResult): Translation {
  if (!result.ok) return refused(kind, result.errors);
  return { ok: true, kind, text: result.text, files: result.files, source: 'networkmanager', name, advisories: result.advisories };
}

function connectionId(keyfile: Keyfile): string | null {
  const id = findEntry(findGroup(keyfile, 'connection'), 'id');
  if (!id) return null;
  const v = stringValue(id);
  return v.ok && v.value.trim() !== '' ? v.value.trim() : null;
}

/**
 * The keyfile in `text` as the profile of its kind, or null when the text is not a NetworkManager
 * keyfile. `files` are the files beside it (certificates and keys it names by path); OpenVPN
 * translations only check them, strongSwan ones need them.
 */
export function translateNetworkManager(text: string, fileName: string | undefined, files?: ProfileFileSource): Translation | null {
  try {
    return translate(text, fileName, files);
  } catch {
    // Defence in depth: nothing above is expected to throw, but callers are promised it never does.
    return refused(guessKind(typeof text === 'string' ? text : ''), [profileError('NM_INTERNAL', { line: 0 }, '', t(
      'This NetworkManager connection could not be read because of an internal error. Please report it.',
      '内部エラーのため、この NetworkManager の接続を読み込めませんでした。報告をお願いします。'))]);
  }
}

function translate(text: string, fileName: string | undefined, files: ProfileFileSource | undefined): Translation | null {
  if (typeof text !== 'string') return null;
  if (!looksLikeKeyfile(text) && !(isNmFileName(fileName) && /^\s*\[connection\]\s*$/m.test(text))) return null;
  const parsed = parseKeyfile(text);
  if (!parsed.ok) return refused(guessKind(text), parsed.errors);
  const keyfile = parsed.keyfile;
  const connection = findGroup(keyfile, 'connection');
  const typeEntry = findEntry(connection, 'type');
  if (!typeEntry) return refused(guessKind(text), [missingKey(connection, 'connection', 'type', t('says what kind of connection this is', '接続の種類を示すものです'))]);
  const typeValue = stringValue(typeEntry);
  if (!typeValue.ok) return refused(guessKind(text), [typeValue.error]);
  const type = typeValue.value.trim();
  const name = connectionId(keyfile);
  const ctx: TranslateContext = { files, name };

  if (type === 'wireguard') return finish('wireguard', name, translateWireGuardKeyfile(keyfile, ctx));
  if (type !== 'vpn') {
    return refused('openvpn', [entryError('NM_NOT_VPN', typeEntry, t(
      `This NetworkManager connection is of type '${type}', not a VPN. Choose the file of the VPN connection (type=vpn or type=wireguard).`,
      `この NetworkManager の接続の種類は '${type}' で、VPN ではありません。VPN の接続 (type=vpn または type=wireguard) のファイルを選んでください。`))]);
  }
  const vpn = findGroup(keyfile, 'vpn');
  const serviceEntry = findEntry(vpn, 'service-type');
  if (!serviceEntry) return refused('openvpn', [missingKey(vpn ?? connection, 'vpn', 'service-type', t('says which VPN this is', 'どの VPN かを示すものです'))]);
  const serviceValue = stringValue(serviceEntry);
  if (!serviceValue.ok) return refused('openvpn', [serviceValue.error]);
  const service = serviceValue.value.trim();
  const plugin = service.startsWith(SERVICE_PREFIX) ? service.slice(SERVICE_PREFIX.length) : service;

  if (plugin === 'openvpn') return finish('openvpn', name, translateOpenVpnKeyfile(keyfile, ctx));
  if (plugin === 'strongswan') return finish('ikev2', name, translateStrongSwanKeyfile(keyfile, ctx));
  if (plugin === 'l2tp') {
    return refused('ikev2', [entryError('NM_L2TP_UNSUPPORTED', serviceEntry, t(
      'This is an L2TP/IPsec connection. Tsunagu does not support L2TP: it connects with IKEv2 (or IKEv1) IPsec tunnels, OpenVPN and WireGuard. Ask your administrator whether the server also offers IKEv2, and for a profile for it.',
      'これは L2TP/IPsec の接続です。Tsunagu は L2TP に対応していません。対応しているのは IKEv2 (または IKEv1) の IPsec トンネル、OpenVPN、WireGuard です。サーバーが IKEv2 にも対応しているか管理者に確認し、そのプロファイルを依頼してください。'))]);
  }
  const other = OTHER_VPNS[plugin] ?? service;
  return refused('openvpn', [entryError('NM_VPN_UNSUPPORTED', serviceEntry, t(
    `This is a ${other} connection, which Tsunagu does not support. Tsunagu imports NetworkManager's OpenVPN, WireGuard and strongSwan (IKEv2) connections.`,
    `これは ${other} の接続で、Tsunagu は対応していません。Tsunagu がインポートできるのは NetworkManager の OpenVPN、WireGuard、strongSwan (IKEv2) の接続です。`))]);
}



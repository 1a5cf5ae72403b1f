import { quoteOffender, type LocalizedText } from '../diagnostics.js';
import type { KeyProblem } from './keys.js';
import { keyList } from './keytable.js';

/**
 * Every WireGuard error message, in English and Japanese. The English wording starts like
 * wireguard-windows's (so users can search for it) and then says how to fix the problem.
 */

export type WgErrorCode =
  | 'WG_TOO_LARGE'
  | 'WG_TOO_MANY_ERRORS'
  | 'WG_INTERNAL'
  | 'WG_LINE_OUTSIDE_SECTION'
  | 'WG_UNKNOWN_SECTION'
  | 'WG_DUPLICATE_INTERFACE'
  | 'WG_MISSING_EQUALS'
  | 'WG_EMPTY_VALUE'
  | 'WG_UNKNOWN_KEY'
  | 'WG_DUPLICATE_KEY'
  | 'WG_CONTROL_CHARACTER'
  | 'WG_KEY_INVALID'
  | 'WG_KEY_LENGTH'
  | 'WG_KEY_NONCANONICAL'
  | 'WG_KEY_ZERO'
  | 'WG_LIST_EMPTY_ITEM'
  | 'WG_INVALID_IP'
  | 'WG_INVALID_PREFIX'
  | 'WG_INVALID_DNS'
  | 'WG_INVALID_DNS_SERVER'
  | 'WG_ENDPOINT_MISSING_PORT'
  | 'WG_ENDPOINT_BRACKETS'
  | 'WG_ENDPOINT_HOST'
  | 'WG_INVALID_PORT'
  | 'WG_INVALID_LISTEN_PORT'
  | 'WG_INVALID_MTU'
  | 'WG_INVALID_KEEPALIVE'
  | 'WG_PRIVILEGED_LISTEN_PORT'
  | 'WG_FWMARK_REFUSED'
  | 'WG_TABLE_REFUSED'
  | 'WG_HOOK_COMMENT'
  | 'WG_INVALID_SAVECONFIG'
  | 'WG_NO_INTERFACE'
  | 'WG_NO_PRIVATE_KEY'
  | 'WG_PEER_NO_PUBLIC_KEY'
  | 'WG_DUPLICATE_PEER'
  | 'WG_ALLOWEDIPS_SHARED'
  | 'WG_PEER_IS_SELF';

/** Quotes user text for a message (one line, bounded length). */
const q = (text: string): string => `"${quoteOffender(text)}"`;
const jq = (text: string): string => `「${quoteOffender(text)}」`;

const INTERFACE_KEYS_LIST = keyList('Interface');
const PEER_KEYS_LIST = keyList('Peer');

export const MAX_ERRORS = 100;

export const msg = {
  tooLarge: (limit: string): LocalizedText => ({
    en: `This file is too large to be a WireGuard configuration (over ${limit}). Choose the .conf file your provider gave you.`,
    ja: `このファイルは WireGuard の設定ファイルとしては大きすぎます（${limit} 超）。提供された .conf ファイルを選択してください。`,
  }),
  tooManyErrors: (): LocalizedText => ({
    en: `Too many errors; only the first ${MAX_ERRORS} are shown. This may not be a WireGuard configuration at all: check that you chose the right file.`,
    ja: `エラーが多すぎるため、最初の ${MAX_ERRORS} 件だけを表示しています。WireGuard の設定ファイルではない可能性があります。正しいファイルを選んだか確認してください。`,
  }),
  lineOutsideSection: (line: string): LocalizedText => ({
    en: `Line must occur in a section: ${q(line)}. Move it below an [Interface] or [Peer] header, or delete it.`,
    ja: `行がセクションの外にあります：${jq(line)}。[Interface] または [Peer] の見出しの下に移動するか、削除してください。`,
  }),
  unknownSection: (header: string): LocalizedText => ({
    en: `Invalid section header ${q(header)}. A WireGuard configuration has only [Interface] and [Peer] sections: correct the header or delete the section.`,
    ja: `セクション見出し${jq(header)}は無効です。WireGuard の設定には [Interface] と [Peer] のセクションしかありません。見出しを修正するか、セクションを削除してください。`,
  }),
  duplicateInterface: (firstLine: number): LocalizedText => ({
    en: `A configuration must have exactly one [Interface] section, but another one starts here (the first is on line ${firstLine}). Merge them into one section.`,
    ja: `[Interface] セクションは 1 つだけにしてください。ここで 2 つ目が始まっています（1 つ目は ${firstLine} 行目）。1 つのセクションにまとめてください。`,
  }),
  missingEquals: (line: string): LocalizedText => ({
    en: `Config key is missing an equals separator: ${q(line)}. Write it as "Key = value".`,
    ja: `設定キーに等号（=）がありません：${jq(line)}。「キー = 値」の形で書いてください。`,
  }),
  emptyValue: (key: string): LocalizedText => ({
    en: `Key must have a value: ${q(key)} is empty. Write a value after "=", or delete the line.`,
    ja: `キーには値が必要です：${jq(key)}が空です。「=」の後に値を書くか、行を削除してください。`,
  }),
  unknownKey: (key: string, section: 'Interface' | 'Peer'): LocalizedText => {
    const valid = section === 'Interface' ? INTERFACE_KEYS_LIST : PEER_KEYS_LIST;
    return {
      en: `Invalid key for [${section}] section: ${q(key)}. Check the spelling; valid keys are ${valid}.`,
      ja: `[${section}] セクションでは無効なキーです：${jq(key)}。綴りを確認してください。使えるキーは ${valid} です。`,
    };
  },
  duplicateKey: (key: string, firstLine: number): LocalizedText => ({
    en: `${q(key)} may appear only once per section, but it was already set on line ${firstLine}. Keep one of the two lines.`,
    ja: `${jq(key)}は 1 つのセクションに 1 回しか書けませんが、すでに ${firstLine} 行目で設定されています。どちらか一方の行だけを残してください。`,
  }),
  controlCharacter: (key: string, codePoint: number): LocalizedText => {
    const u = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
    return {
      en: `The value of ${q(key)} contains an invisible control or text-direction character (${u}), which could hide what it really says. Retype the value without it.`,
      ja: `${jq(key)}の値に、内容を偽装できる不可視の制御文字または書字方向の制御文字（${u}）が含まれています。その文字を除いて値を入力し直してください。`,
    };
  },
  listEmptyItem: (value: string): LocalizedText => ({
    en: `Two commas in a row (or a comma at the start or end) in ${q(value)}. Remove the extra comma.`,
    ja: `${jq(value)}でカンマが連続しているか、先頭または末尾にカンマがあります。余分なカンマを削除してください。`,
  }),
  invalidIp: (item: string): LocalizedText => ({
    en: `Invalid IP address: ${q(item)}. Write an IPv4 or IPv6 address with an optional /prefix, such as 10.0.0.2/32 or fd00::2/128.`,
    ja: `IP アドレスが無効です：${jq(item)}。10.0.0.2/32 や fd00::2/128 のように、IPv4 または IPv6 アドレス（/プレフィックスは省略可）を書いてください。`,
  }),
  invalidPrefix: (item: string): LocalizedText => ({
    en: `Invalid prefix length in ${q(item)}: it must be a whole number from 0 to 32 for IPv4 or 0 to 128 for IPv6, without leading zeros.`,
    ja: `${jq(item)}のプレフィックス長が無効です。IPv4 では 0〜32、IPv6 では 0〜128 の整数（先頭に 0 を付けない）にしてください。`,
  }),
  invalidDns: (item: string): LocalizedText => ({
    en: `Invalid DNS entry: ${q(item)} is neither an IP address nor a valid domain name. Use a DNS server address such as 10.0.0.1, or a search domain such as example.com.`,
    ja: `DNS の指定が無効です：${jq(item)}は IP アドレスでも正しいドメイン名でもありません。10.0.0.1 のような DNS サーバーのアドレスか、example.com のような検索ドメインを書いてください。`,
  }),
  invalidDnsServer: (item: string): LocalizedText => ({
    en: `Invalid DNS server address: ${q(item)}. Write an IPv4 address such as 10.0.0.1 or an IPv6 address such as fd00::1.`,
    ja: `DNS サーバーのアドレスが無効です：${jq(item)}。10.0.0.1 のような IPv4 アドレスか、fd00::1 のような IPv6 アドレスを書いてください。`,
  }),
  endpointMissingPort: (value: string): LocalizedText => ({
    en: `Missing port from endpoint: ${q(value)}. Add the server's UDP port, for example vpn.example.com:51820 or [2001:db8::1]:51820.`,
    ja: `エンドポイントにポート番号がありません：${jq(value)}。vpn.example.com:51820 や [2001:db8::1]:51820 のように、サーバーの UDP ポートを付けてください。`,
  }),
  endpointBrackets: (host: string): LocalizedText => ({
    en: `Brackets must contain an IPv6 address: ${q(host)}. Write an IPv6 endpoint in brackets, such as [2001:db8::1]:51820, and an IPv4 address or host name without them.`,
    ja: `角括弧の中は IPv6 アドレスでなければなりません：${jq(host)}。IPv6 のエンドポイントは [2001:db8::1]:51820 のように角括弧で囲み、IPv4 アドレスやホスト名は囲まずに書いてください。`,
  }),
  endpointHost: (host: string): LocalizedText => ({
    en: `Invalid endpoint host: ${q(host)}. Use a host name such as vpn.example.com or an IP address such as 192.0.2.1.`,
    ja: `エンドポイントのホストが無効です：${jq(host)}。vpn.example.com のようなホスト名か、192.0.2.1 のような IP アドレスを書いてください。`,
  }),
  invalidPort: (port: string): LocalizedText => ({
    en: `Invalid port: ${q(port)} (must be 1–65535). Use the UDP port the server listens on, usually 51820.`,
    ja: `ポート番号が無効です：${jq(port)}（1〜65535 にしてください）。サーバーが待ち受けている UDP ポート（通常は 51820）を書いてください。`,
  }),
  invalidListenPort: (port: string): LocalizedText => ({
    en: `Invalid listen port: ${q(port)} (must be 0–65535). Delete the line to let the system choose a port.`,
    ja: `待ち受けポートが無効です：${jq(port)}（0〜65535 にしてください）。行を削除すると、システムがポートを自動で選びます。`,
  }),
  invalidMtu: (value: string): LocalizedText => ({
    en: `Invalid MTU: ${q(value)} (must be 576–65535). Delete the line to use the automatic value.`,
    ja: `MTU が無効です：${jq(value)}（576〜65535 にしてください）。行を削除すると自動で設定されます。`,
  }),
  invalidKeepalive: (value: string): LocalizedText => ({
    en: `Invalid persistent keepalive: ${q(value)} (must be 0–65535 seconds, or "off"). 25 is a common value.`,
    ja: `PersistentKeepalive が無効です：${jq(value)}（0〜65535 の秒数か「off」にしてください）。よく使われる値は 25 です。`,
  }),
  privilegedListenPort: (port: string): LocalizedText => ({
    en: `ListenPort ${q(port)} is a privileged port (below 1024): the tunnel runs as administrator, so it could take that port from a system service. Delete the line to let the system choose a port, or use 1024–65535.`,
    ja: `ListenPort ${jq(port)}は特権ポート（1024 未満）です。トンネルは管理者権限で動くため、システムのサービスからそのポートを奪えてしまいます。行を削除してシステムに選ばせるか、1024〜65535 を指定してください。`,
  }),
  fwMarkRefused: (value: string): LocalizedText => ({
    en: `FwMark ${q(value)} is not accepted: Tsunagu assigns packet marks and routing tables itself, because wg-quick deletes every routing rule of the table a mark names, which could switch off another connection's routing. Delete the line.`,
    ja: `FwMark ${jq(value)}は使えません。wg-quick はマークが指すテーブルのルーティング規則をすべて削除するため、別の接続のルーティングを止めてしまう恐れがあります。マークとルーティングテーブルは Tsunagu が自ら割り当てます。行を削除してください。`,
  }),
  tableRefused: (value: string): LocalizedText => ({
    en: `Table ${q(value)} is not accepted: only "auto" (the default) and "off" are. Another table could hold another connection's routes, which Tsunagu must not touch. Delete the line, or write "Table = off" to add no routes.`,
    ja: `Table ${jq(value)}は使えません。使えるのは「auto」（既定）と「off」だけです。別のテーブルには別の接続のルートが入っている可能性があり、Tsunagu はそれに触れてはなりません。行を削除するか、ルートを追加しない場合は「Table = off」と書いてください。`,
  }),
  hookComment: (key: string): LocalizedText => ({
    en: `${q(key)} contains "#". wg-quick cuts the command at "#" (some versions do not), so the command that would run is not the one written. Remove the "#" and any comment from this line.`,
    ja: `${jq(key)}に「#」が含まれています。wg-quick はコマンドを「#」の位置で切り詰めるため（切り詰めない版もあります）、実行されるコマンドが書かれたものと一致しません。この行から「#」とコメントを削除してください。`,
  }),
  invalidSaveConfig: (value: string): LocalizedText => ({
    en: `Invalid SaveConfig value: ${q(value)} (must be "true" or "false").`,
    ja: `SaveConfig の値が無効です：${jq(value)}（「true」か「false」にしてください）。`,
  }),
  noInterface: (): LocalizedText => ({
    en: 'This file has no [Interface] section, so it is not a WireGuard configuration. Choose the .conf file your provider gave you, or add an [Interface] section with your PrivateKey.',
    ja: 'このファイルには [Interface] セクションがないため、WireGuard の設定ファイルではありません。提供された .conf ファイルを選ぶか、PrivateKey を含む [Interface] セクションを追加してください。',
  }),
  zeroPrivateKey: (): LocalizedText => ({
    en: 'This PrivateKey is all zeros, which WireGuard reads as "no key": the tunnel could never connect. Use the key your provider gave you, or one made by "wg genkey".',
    ja: 'この PrivateKey はすべて 0 で、WireGuard は「鍵なし」として扱うため、トンネルは接続できません。提供された鍵か、「wg genkey」で作った鍵を使ってください。',
  }),
  noPrivateKey: (): LocalizedText => ({
    en: 'An interface must have a private key. Add "PrivateKey = …" to the [Interface] section, with the key your provider gave you or one made by "wg genkey".',
    ja: 'インターフェースには秘密鍵が必要です。[Interface] セクションに「PrivateKey = …」を追加してください（提供された鍵か、「wg genkey」で作った鍵）。',
  }),
  peerNoPublicKey: (): LocalizedText => ({
    en: 'All peers must have public keys. Add "PublicKey = …" with the server\'s public key to this [Peer] section.',
    ja: 'すべてのピアに公開鍵が必要です。この [Peer] セクションに、サーバーの公開鍵を「PublicKey = …」として追加してください。',
  }),
  duplicatePeer: (key: string, firstLine: number): LocalizedText => ({
    en: `Two peers have the same public key ${q(key)} (the first is on line ${firstLine}). Each [Peer] needs its own key: merge the two sections or delete one.`,
    ja: `2 つのピアが同じ公開鍵${jq(key)}を使っています（1 つ目は ${firstLine} 行目）。ピアごとに別の鍵が必要です。2 つのセクションをまとめるか、一方を削除してください。`,
  }),
  allowedIpsShared: (cidr: string, firstPeerLine: number): LocalizedText => ({
    en: `AllowedIPs ${q(cidr)} is already given to the peer on line ${firstPeerLine}. WireGuard gives each network to one peer only (the last one listed), so the earlier peer would silently lose it. Keep it in one [Peer] section.`,
    ja: `AllowedIPs ${jq(cidr)}はすでに ${firstPeerLine} 行目のピアに割り当てられています。WireGuard は各ネットワークを 1 つのピア（最後に書かれたもの）にしか割り当てないため、前のピアから黙って外されます。1 つの [Peer] セクションにだけ書いてください。`,
  }),
  peerIsSelf: (key: string): LocalizedText => ({
    en: `The peer's public key ${q(key)} is this interface's own public key (derived from its PrivateKey). Use the server's public key here.`,
    ja: `ピアの公開鍵${jq(key)}は、このインターフェース自身の公開鍵（PrivateKey から導かれるもの）です。ここにはサーバーの公開鍵を書いてください。`,
  }),
};

/** The error code and message for a value that is not a valid WireGuard key. */
export function keyProblemMessage(problem: KeyProblem, text: string): { code: WgErrorCode; message: LocalizedText } {
  switch (problem.kind) {
    case 'length':
      return {
        code: 'WG_KEY_LENGTH',
        message: {
          en: `Keys must decode to exactly 32 bytes, but ${q(text)} decodes to ${problem.bytes}. Copy the whole key again: it is 44 characters long and ends with "=".`,
          ja: `鍵はデコードするとちょうど 32 バイトでなければなりませんが、${jq(text)}は ${problem.bytes} バイトになります。鍵全体（「=」で終わる 44 文字）をもう一度コピーしてください。`,
        },
      };
    case 'noncanonical':
      return {
        code: 'WG_KEY_NONCANONICAL',
        message: {
          en: `Invalid key: ${q(text)} has stray bits in its last character, so it was not produced by WireGuard and "wg" would reject it. Copy the key again from its source.`,
          ja: `鍵が無効です：${jq(text)}は最後の文字に余分なビットがあり、WireGuard が作った鍵ではないため「wg」でも受け付けられません。鍵を元の場所からもう一度コピーしてください。`,
        },
      };
    case 'format':
      return {
        code: 'WG_KEY_INVALID',
        message: {
          en: `Invalid key: ${q(text)} is not a base64 key. A WireGuard key is 44 characters of A–Z, a–z, 0–9, "+" and "/" ending with "=", as printed by "wg genkey" or "wg pubkey". Copy it again without spaces or line breaks.`,
          ja: `鍵が無効です：${jq(text)}は base64 の鍵ではありません。WireGuard の鍵は「wg genkey」や「wg pubkey」が出力する、A–Z・a–z・0–9・「+」・「/」からなり「=」で終わる 44 文字です。空白や改行を含めずにもう一度コピーしてください。`,
        },
      };
  }
}

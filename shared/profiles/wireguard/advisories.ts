/**
 * WireGuard advisories: settings that work but surprise, with automatic fixes where safe.
 */
import type { Advisory } from '../diagnostics.js';
import { isPlaceholderHost, placeholderHostText } from '../placeholder-host.js';
import { isFullTunnel } from '../routes.js';
import type { WireGuardLocated, WireGuardProfile } from './model.js';

export interface WireGuardAdvisoryItem {
  advisory: Advisory;
  apply?: (profile: WireGuardProfile) => WireGuardProfile;
}

export function wireGuardAdvisories(profile: WireGuardProfile, located: WireGuardLocated): WireGuardAdvisoryItem[] {
  const items: WireGuardAdvisoryItem[] = [];
  const iface = profile.interface;
  for (const empty of located.emptyDefaults) {
    items.push({
      advisory: {
        code: 'WG_EMPTY_DEFAULT',
        severity: 'info',
        line: empty.line,
        message: {
          en: `Line ${empty.line}: '${empty.key}' has no value; like wg-quick, Tsunagu takes it as not set and leaves the line out.`,
          ja: `${empty.line} 行目: '${empty.key}' に値がありません。wg-quick と同じく未指定として扱い、この行を除外しました。`,
        },
        explanation: {
          en: 'wg-quick uses its default for an empty value (no address, no DNS server, the automatic MTU or routing table, no command).',
          ja: 'wg-quick は空の値に既定値を使います (アドレスなし、DNS サーバーなし、自動の MTU やルーティングテーブル、コマンドなし)。',
        },
        fix: { automatic: true, description: { en: 'The empty line is left out of the saved profile.', ja: '空の行は保存されるプロファイルから除外されます。' } },
      },
    });
  }
  if (iface.saveConfig !== undefined) {
    const line = located.keyLines['interface.saveconfig'] ?? 0;
    items.push({
      advisory: {
        code: 'WG_SAVECONFIG',
        severity: iface.saveConfig ? 'warning' : 'info',
        line,
        message: {
          en: `Line ${line}: 'SaveConfig' makes wg-quick rewrite the configuration when the tunnel stops; it is left out.`,
          ja: `${line} 行目: 'SaveConfig' はトンネル停止時に wg-quick が設定を書き換える指定のため、除外しました。`,
        },
        explanation: {
          en: 'Tsunagu keeps your profile exactly as imported; a server-style SaveConfig would overwrite it with runtime state.',
          ja: 'Tsunagu はプロファイルをインポートしたとおりに保持します。サーバー向けの SaveConfig は実行時の状態で上書きしてしまいます。',
        },
        fix: { automatic: true, description: { en: "Remove 'SaveConfig'.", ja: "'SaveConfig' を削除します。" } },
      },
      apply: (p) => {
        const { saveConfig: _dropped, ...rest } = p.interface;
        return { ...p, interface: rest };
      },
    });
  }
  if (iface.table === 'off') {
    const line = located.keyLines['interface.table'] ?? 0;
    items.push({
      advisory: {
        code: 'WG_TABLE_OFF',
        severity: 'info',
        line,
        message: {
          en: `Line ${line}: 'Table = off' means no routes are added: traffic will not use the tunnel unless you route it yourself.`,
          ja: `${line} 行目: 'Table = off' のためルートが追加されません。自分でルーティングしない限り、通信はトンネルを通りません。`,
        },
        explanation: {
          en: 'This is meant for advanced setups that manage routing separately.',
          ja: 'ルーティングを別途管理する高度な構成向けの設定です。',
        },
      },
    });
  }
  for (const entry of located.maskedAllowedIPs) {
    items.push({
      advisory: {
        code: 'WG_ALLOWEDIPS_HOST_BITS',
        severity: 'warning',
        line: entry.line,
        message: {
          en: `Line ${entry.line}: AllowedIPs '${entry.written}' has address bits set beyond its prefix length; WireGuard ignores them, so it means ${entry.cidr} and is written that way.`,
          ja: `${entry.line} 行目: AllowedIPs '${entry.written}' はプレフィックス長より後ろのビットが立っています。WireGuard はそれを無視するため ${entry.cidr} の意味になり、そのように書き直しました。`,
        },
        explanation: {
          en: `A prefix covers the addresses that share its first bits; '${entry.written}' looks narrower than the ${entry.cidr} it really routes through the tunnel.`,
          ja: `プレフィックスは先頭のビットが一致するアドレスをすべて含みます。'${entry.written}' は見かけより広い ${entry.cidr} をトンネルに通します。`,
        },
      },
    });
  }
  for (const [index, peer] of profile.peers.entries()) {
    const host = peer.endpoint?.host;
    if (host === undefined || !isPlaceholderHost(host)) continue;
    const line = located.keyLines[`peer.${index}.endpoint`] ?? 0;
    const text = placeholderHostText(host, line, 'Endpoint');
    items.push({
      advisory: { code: 'WG_PLACEHOLDER_ENDPOINT', severity: 'warning', line, message: text.message, explanation: text.explanation, fix: { automatic: false, description: text.fix } },
    });
  }
  const fullTunnel = isFullTunnel(profile.peers.flatMap((p) => p.allowedIPs));
  if (fullTunnel && iface.dns.servers.length === 0) {
    items.push({
      advisory: {
        code: 'WG_FULL_TUNNEL_NO_DNS',
        severity: 'warning',
        line: located.keyLines['interface'] ?? 0,
        message: {
          en: 'All traffic goes through this tunnel, but the profile sets no DNS server.',
          ja: 'すべての通信がこのトンネルを通りますが、プロファイルに DNS サーバーが設定されていません。',
        },
        explanation: {
          en: 'Name lookups keep using your local network’s DNS server, which may fail through the tunnel or reveal the sites you visit. Ask your provider for the DNS server to add.',
          ja: '名前解決はローカルネットワークの DNS サーバーを使い続けるため、トンネル経由では失敗したり、閲覧先が漏れたりする恐れがあります。提供元に追加すべき DNS サーバーを確認してください。',
        },
      },
    });
  }
  return items;
}

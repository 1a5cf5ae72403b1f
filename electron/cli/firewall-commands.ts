/**
 * The kill switch on the command line (issue 14): the firewall line `tsunagu status` prints, and
 * `tsunagu lockdown on|off [--allow-lan]` and `tsunagu unblock` (the helper's `set-lockdown` and
 * `unblock` requests, the same ones the app sends).
 */
import { HelperClient, HelperRequestError } from '../main/helper-client.js';
import type { FirewallStatus } from '../../shared/ipc/helper-protocol.js';
import type { HelperCliContext } from './helper-commands.js';
import type { Lang } from './lang.js';

const TEXT = {
  en: {
    tunnel: 'kill switch on — only the VPN carries traffic',
    tunnelLan: 'kill switch on — only the VPN and the local network carry traffic',
    vpnDown: 'blocked — the VPN is down; nothing leaves until it connects again (tsunagu unblock lifts the block)',
    restart: 'blocked — the helper restarted while the kill switch held; nothing leaves (tsunagu unblock lifts the block)',
    lockdown: 'always-on — all traffic is blocked until a VPN connects (tsunagu lockdown off turns it off)',
    policy: "always-on, by your organization's policy — all traffic is blocked until a VPN connects",
    off: 'off — traffic outside a VPN is not blocked',
    alwaysOn: 'always-on is on',
    forced: "the kill switch is forced on by your organization's policy",
    label: 'Firewall',
    tooOld: 'This helper is too old to block traffic outside the VPN. Update Tsunagu.',
  },
  ja: {
    tunnel: 'キルスイッチ有効 — VPN 経由の通信だけが送信されます',
    tunnelLan: 'キルスイッチ有効 — VPN とローカルネットワークの通信だけが送信されます',
    vpnDown: '遮断中 — VPN が切断されています。再接続するまで何も送信されません (tsunagu unblock で遮断を解除します)',
    restart: '遮断中 — キルスイッチが有効なままヘルパーが再起動しました。何も送信されません (tsunagu unblock で遮断を解除します)',
    lockdown: '常時接続 — VPN に接続するまですべての通信を遮断しています (tsunagu lockdown off でオフにします)',
    policy: '常時接続 (組織のポリシー) — VPN に接続するまですべての通信を遮断しています',
    off: 'オフ — VPN 以外の通信は遮断されていません',
    alwaysOn: '常時接続はオンです',
    forced: 'キルスイッチは組織のポリシーにより常にオンです',
    label: 'ファイアウォール',
    tooOld: 'このヘルパーは古いため、VPN 以外の通信を遮断できません。Tsunagu を更新してください。',
  },
} as const;

/** One line: what the helper's firewall does now, and the policy or always-on behind it. */
export function firewallLine(status: FirewallStatus, lang: Lang): string {
  const t = TEXT[lang];
  let what: string;
  if (status.mode === 'tunnel') what = status.allowLan ? t.tunnelLan : t.tunnel;
  else if (status.mode === 'off') what = t.off;
  else if (status.reason === 'policy') what = t.policy;
  else if (status.reason === 'lockdown') what = t.lockdown;
  else if (status.reason === 'restart') what = t.restart;
  else what = t.vpnDown;
  const notes = [status.lockdown.enabled && status.mode === 'tunnel' ? t.alwaysOn : null, status.killSwitchForced ? t.forced : null].filter((n) => n !== null);
  return `${t.label}: ${what}${notes.length > 0 ? ` (${notes.join(lang === 'ja' ? '、' : '; ')})` : ''}`;
}

/** The firewall line for `tsunagu status`, or null from a helper that has no firewall. */
export async function statusFirewallLine(client: HelperClient, lang: Lang): Promise<string | null> {
  try {
    return firewallLine(await client.request('firewall', {}), lang);
  } catch (e) {
    if (e instanceof HelperRequestError) return null;
    throw e;
  }
}

function explain(e: unknown, lang: Lang): string {
  if (e instanceof HelperRequestError) {
    // An old helper has no schema for these requests and calls them malformed.
    if (e.error.code === 'bad-request') return TEXT[lang].tooOld;
    return e.error.message[lang] + (e.error.detail ? `\n${e.error.detail}` : '');
  }
  return e instanceof Error ? e.message : String(e);
}

async function withHelper(command: string, ctx: HelperCliContext, run: (client: HelperClient) => Promise<FirewallStatus>): Promise<number> {
  let client: HelperClient;
  try {
    client = await HelperClient.connect({ socketPath: ctx.socketPath, clientName: 'tsunagu-cli' });
  } catch (e) {
    ctx.io.stderr(`tsunagu ${command}: ${explain(e, ctx.lang)}\n`);
    return 1;
  }
  try {
    ctx.io.stdout(`${firewallLine(await run(client), ctx.lang)}\n`);
    return 0;
  } catch (e) {
    ctx.io.stderr(`tsunagu ${command}: ${explain(e, ctx.lang)}\n`);
    return 1;
  } finally {
    client.close();
  }
}

/** `tsunagu lockdown on|off [--allow-lan]`: always-on, kept by the helper across restarts. */
export function runLockdown(enabled: boolean, allowLan: boolean, ctx: HelperCliContext): Promise<number> {
  return withHelper('lockdown', ctx, (client) => client.request('set-lockdown', { enabled, allowLan }));
}

/** `tsunagu unblock`: lifts a block no session holds (the tunnel died, or the helper restarted). */
export function runUnblock(ctx: HelperCliContext): Promise<number> {
  return withHelper('unblock', ctx, (client) => client.request('unblock', {}));
}

/**
 * The kill switch on the command line: the firewall line `tsunagu status` prints for each state in
 * both languages, and the usage and connection errors of `tsunagu lockdown` / `tsunagu unblock`.
 * (Against the real helper: test/e2e/kill-switch.test.ts runs status, lockdown and unblock.)
 */
import { describe, expect, it } from 'vitest';
import type { FirewallStatus } from '../../shared/ipc/helper-protocol.js';
import { firewallLine } from '../../electron/cli/firewall-commands.js';
import { main, type CliIo } from '../../electron/cli/main.js';

const OFF: FirewallStatus = { mode: 'off', reason: null, sessionId: null, ownSession: false, allowLan: false, lockdown: { enabled: false, byPolicy: false }, killSwitchForced: false, since: 1 };

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, readStdin: async () => '' };
  const code = await main(args, io);
  return { code, out, err };
}

describe('the firewall line', () => {
  it('says what the kill switch does in every state', () => {
    expect(firewallLine(OFF, 'en')).toBe('Firewall: off — traffic outside a VPN is not blocked');
    expect(firewallLine({ ...OFF, mode: 'tunnel', reason: 'kill-switch', sessionId: 'abcdefgh', ownSession: true }, 'en')).toBe('Firewall: kill switch on — only the VPN carries traffic');
    expect(firewallLine({ ...OFF, mode: 'tunnel', reason: 'kill-switch', allowLan: true }, 'en')).toBe('Firewall: kill switch on — only the VPN and the local network carry traffic');
    expect(firewallLine({ ...OFF, mode: 'blocked', reason: 'kill-switch' }, 'en')).toMatch(/^Firewall: blocked — the VPN is down; .*tsunagu unblock/);
    expect(firewallLine({ ...OFF, mode: 'blocked', reason: 'restart' }, 'en')).toMatch(/^Firewall: blocked — the helper restarted/);
    expect(firewallLine({ ...OFF, mode: 'blocked', reason: 'lockdown', lockdown: { enabled: true, byPolicy: false } }, 'en')).toMatch(/^Firewall: always-on — all traffic is blocked until a VPN connects \(tsunagu lockdown off/);
    expect(firewallLine({ ...OFF, mode: 'blocked', reason: 'policy', lockdown: { enabled: true, byPolicy: true }, killSwitchForced: true }, 'en')).toBe(
      "Firewall: always-on, by your organization's policy — all traffic is blocked until a VPN connects (the kill switch is forced on by your organization's policy)",
    );
    expect(firewallLine({ ...OFF, mode: 'tunnel', reason: 'lockdown', lockdown: { enabled: true, byPolicy: false } }, 'en')).toBe('Firewall: kill switch on — only the VPN carries traffic (always-on is on)');
  });

  it('speaks Japanese', () => {
    expect(firewallLine(OFF, 'ja')).toBe('ファイアウォール: オフ — VPN 以外の通信は遮断されていません');
    expect(firewallLine({ ...OFF, mode: 'blocked', reason: 'kill-switch' }, 'ja')).toMatch(/^ファイアウォール: 遮断中 — VPN が切断されています/);
    expect(firewallLine({ ...OFF, mode: 'tunnel', lockdown: { enabled: true, byPolicy: false }, killSwitchForced: true }, 'ja')).toBe('ファイアウォール: キルスイッチ有効 — VPN 経由の通信だけが送信されます (常時接続はオンです、キルスイッチは組織のポリシーにより常にオンです)');
  });
});

describe('tsunagu lockdown / unblock', () => {
  it('explains a wrong use (exit 2)', async () => {
    expect(await run(['lockdown'])).toMatchObject({ code: 2, err: "tsunagu lockdown: say 'on' or 'off'. Run 'tsunagu --help' for usage.\n" });
    expect(await run(['lockdown', 'maybe'])).toMatchObject({ code: 2 });
    expect(await run(['lockdown', 'on', 'now'])).toMatchObject({ code: 2 });
    expect(await run(['unblock', 'everything'])).toMatchObject({ code: 2, err: "tsunagu unblock: unexpected 'everything'. Run 'tsunagu --help' for usage.\n" });
    expect((await run(['--help'])).out).toContain('lockdown on|off [--allow-lan]');
  });

  it('says why when the helper cannot be reached (exit 1)', async () => {
    const r = await run(['--socket', '/nonexistent/tsunagu.sock', 'unblock', '--lang', 'en']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^tsunagu unblock: .+/);
    expect((await run(['--socket', '/nonexistent/tsunagu.sock', 'lockdown', 'on'])).err).toMatch(/^tsunagu lockdown: .+/);
  });
});
